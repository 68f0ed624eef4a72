/**
 * Reconnect delays: exponential with full jitter, capped, reset after a session stayed up long
 * enough (cumulocity.md §1.2). Pure: randomness and time come in as arguments.
 */
export interface BackoffOptions {
  /** First delay in ms (before jitter). */
  initialMs: number;
  /** Upper bound of the delay in ms. */
  maxMs: number;
  /** A session that stayed up this long resets the attempt counter. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 300_000, stableMs: 60_000 };

/** Ceiling of the delay before the attempt-th retry (attempt counts from 0). */
export function backoffCeiling(attempt: number, opts: BackoffOptions): number {
  const exp = Math.min(attempt, 30);
  return Math.min(opts.maxMs, opts.initialMs * 2 ** exp);
}

/**
 * Delay before the attempt-th retry: uniform in [floor × ceiling, ceiling]. `floor` 0 is full
 * jitter (network drops: spread reconnecting devices out); 0.5 is "equal jitter", used after a
 * refusal so that a storm of CONNACK 5 cannot turn into rapid retries. `random` in [0,1).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number, floor = 0): number {
  const c = backoffCeiling(attempt, opts);
  return Math.floor(c * floor + random() * c * (1 - floor));
}

/** Tracks consecutive failures; `reset` when a session was stable. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay for the next retry (see {@link backoffDelay} for `floor`); advances the attempt counter. */
  next(floor = 0): number {
    const d = backoffDelay(this.attempt, this.opts, this.random, floor);
    this.attempt += 1;
    return d;
  }

  /** Call when a session ends; resets the counter if it lasted at least `stableMs`. */
  sessionEnded(upForMs: number): void {
    if (upForMs >= this.opts.stableMs) this.attempt = 0;
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/**
 * Detects two clients kicking each other off with the same id (cumulocity.md §1.2): `limit`
 * sessions within `windowMs` that each ended less than `shortMs` after CONNACK 0, with no local cause.
 */
export class TakeoverDetector {
  private ends: number[] = [];
  constructor(
    private readonly limit = 3,
    private readonly windowMs = 5 * 60_000,
    private readonly shortMs = 10_000,
  ) {}

  /** Records a session end; returns true when the pattern is present. */
  sessionEnded(now: number, upForMs: number, localCause: boolean): boolean {
    if (localCause || upForMs >= this.shortMs) {
      this.ends = [];
      return false;
    }
    this.ends = this.ends.filter((t) => now - t <= this.windowMs);
    this.ends.push(now);
    return this.ends.length >= this.limit;
  }

  clear(): void {
    this.ends = [];
  }
}
