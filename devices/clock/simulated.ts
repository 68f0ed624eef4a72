/** A simulated clock: an offset on the system clock that set_rtc moves, so get_rtc shows the set time running on. */
import type { Clock } from './interface';

export class SimulatedClock implements Clock {
  readonly simulated: boolean = true;
  private offsetMs = 0;
  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offsetMs;
  }

  set(epochSec: number): Promise<boolean> {
    if (!Number.isSafeInteger(epochSec) || epochSec < 0) return Promise.reject(new Error(`not a time: ${epochSec}`));
    this.offsetMs = epochSec * 1000 - this.base();
    return Promise.resolve(true);
  }
}
