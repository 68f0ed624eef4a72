/** The device clock of libpyiotcloud's get_rtc / set_rtc. */
export interface Clock {
  readonly simulated: boolean;
  /** Milliseconds since 1970. */
  now(): number;
  /** Sets the clock to whole seconds since 1970; resolves false when this clock may not be set (the reply stays the same). */
  set(epochSec: number): Promise<boolean>;
}
