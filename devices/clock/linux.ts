/**
 * The system clock. Setting it is off by default (safety: a wrong time breaks TLS and logs):
 * when allowed it runs `date -u -s @<seconds>` without a shell (needs root or CAP_SYS_TIME, and
 * NTP will correct it again). No root dir: the clock is a system call, not a file.
 */
import type { Runner } from '../uart/linux';
import { runFile } from '../uart/linux';
import type { Clock } from './interface';

export interface SystemClockOptions {
  allowSet?: boolean | undefined;
  run?: Runner | undefined;
}

export class SystemClock implements Clock {
  readonly simulated: boolean = false;
  constructor(private readonly opts: SystemClockOptions = {}) {}

  now(): number {
    return Date.now();
  }

  async set(epochSec: number): Promise<boolean> {
    if (!this.opts.allowSet) return false;
    if (!Number.isSafeInteger(epochSec) || epochSec < 0) throw new Error(`not a time: ${epochSec}`);
    await (this.opts.run ?? runFile)('date', ['-u', '-s', `@${epochSec}`]);
    return true;
  }
}
