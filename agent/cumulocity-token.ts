/**
 * Keeps the device JWT of a certificate session (cumulocity.md §4.2): asks for one when a session
 * starts, stores the `71` answer, asks again when half of its lifetime is used (never on a fixed
 * loop) and hands it out while it is valid. Never throws.
 */
import { tokenRefreshDelayMs, tokenTimes } from '../dialects/cumulocity';

/** A token is not handed out in its last seconds: a request must not start with one about to expire. */
const EXPIRY_MARGIN_MS = 10_000;

export class DeviceTokenKeeper {
  private jwt: string | undefined;
  private expMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Publishes the empty `s/uat` on the current session (no-op when there is none). */
    private readonly request: () => void,
    private readonly warn: (text: string) => void,
  ) {}

  /** A session is up and subscribed to `s/dat`: ask now. */
  sessionUp(): void {
    this.clearTimer();
    this.request();
  }

  /** The session is gone: no refresh until the next one (the token itself may still be valid). */
  sessionDown(): void {
    this.clearTimer();
  }

  /** A `71,<jwt>` answer. */
  accept(jwt: string | undefined, nowMs = Date.now()): void {
    const t = tokenTimes(jwt ?? '', Math.floor(nowMs / 1000));
    if (!t.ok) {
      this.warn(`ignored a device token from the platform: ${t.error}`);
      return;
    }
    this.jwt = jwt;
    this.expMs = t.value.exp * 1000;
    this.clearTimer();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.request();
      },
      tokenRefreshDelayMs(t.value, nowMs),
    );
    this.timer.unref();
  }

  /** The token while it is valid, else undefined. */
  current(nowMs = Date.now()): string | undefined {
    return this.jwt !== undefined && nowMs < this.expMs - EXPIRY_MARGIN_MS ? this.jwt : undefined;
  }

  stop(): void {
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
