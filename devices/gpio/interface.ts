/**
 * GPIO pins as the libpyiotcloud agent sees them (get_gpio / set_gpio), whatever the backend:
 * the kernel's sysfs interface under a root dir (linux.ts) or the same code on a fake tree
 * (simulated.ts). Pins are BCM numbers, values 0 or 1.
 */
export type Level = 0 | 1;

export interface Gpio {
  /** Pins this backend can drive, BCM numbers in ascending order. */
  readonly pins: readonly number[];
  /** True for the simulated board. */
  readonly simulated: boolean;
  /** The pin's level: the input level, or the driven value of an output. */
  read(pin: number): Promise<Level>;
  /** Makes the pin an output (if it is not one) at this level. */
  write(pin: number, value: Level): Promise<void>;
}
