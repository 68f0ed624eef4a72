/**
 * A simulated UART for demos and tests: the same TtyUart code appending to a plain file that
 * stands for the serial line (read it to see what a device on the other end would receive).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Uart } from './interface';
import { TtyUart } from './linux';

export const SIM_DEVICE = '/dev/ttySIM0';

export class SimulatedUart implements Uart {
  readonly simulated: boolean = true;
  readonly path: string;
  private readonly inner: TtyUart;
  private ready: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.inner = new TtyUart(root, SIM_DEVICE);
    this.path = this.inner.path;
  }

  async write(text: string): Promise<void> {
    this.ready ??= fsp.mkdir(path.dirname(this.path), { recursive: true }).then(() => fsp.appendFile(this.path, ''));
    await this.ready;
    return this.inner.write(text);
  }
}
