/**
 * A UART through its tty device file (`/dev/serial0`, `/dev/ttyUSB0`…) under a root dir. No serial
 * port library: `serialport` needs a native addon built or downloaded by an install script, which
 * does not install here and needs binaries per Pi ARM flavour. Writing the device file is all
 * `write_uart` needs; the line settings (speed, raw mode) are set once with `stty`, run without
 * a shell and with arguments of ours only (never message data).
 */
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { BAUD_RATES, type Uart } from './interface';

/** Runs a program without a shell; resolves on exit code 0. */
export type Runner = (file: string, args: readonly string[]) => Promise<void>;

export const runFile: Runner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: 5000 }, (err) => (err ? reject(new Error(err.message, { cause: err })) : resolve()));
  });

export interface TtyOptions {
  /** Set the speed (and raw mode, no echo) before the first write; undefined = leave the port as it is. */
  baud?: number | undefined;
  run?: Runner | undefined;
}

/** A device path under /dev (no `..`), or an error text. */
export function checkDevicePath(device: string): string | undefined {
  if (!/^\/dev\/[A-Za-z0-9._/-]+$/.test(device) || device.split('/').includes('..')) {
    return `serial device must be a path under /dev, not ${JSON.stringify(device)}`;
  }
  return undefined;
}

export class TtyUart implements Uart {
  readonly simulated: boolean = false;
  readonly path: string;
  private configured: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    root: string,
    readonly device: string,
    private readonly opts: TtyOptions = {},
  ) {
    const bad = checkDevicePath(device);
    if (bad) throw new Error(bad);
    if (opts.baud !== undefined && !BAUD_RATES.includes(opts.baud)) throw new Error(`unsupported serial speed ${opts.baud}`);
    this.path = path.join(root, device);
  }

  write(text: string): Promise<void> {
    // One write at a time, in order: texts of two requests must not interleave on the line.
    const run = this.queue.then(
      () => this.writeNow(text),
      () => this.writeNow(text),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(text: string): Promise<void> {
    await this.configure();
    // O_NOCTTY: never become our controlling terminal; O_NONBLOCK: a stalled line (flow control)
    // fails the request instead of blocking a libuv thread; O_APPEND keeps a plain file (simulated) growing.
    const flags = constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK | constants.O_APPEND;
    const fh = await fsp.open(this.path, flags);
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        if (bytesWritten <= 0) throw new Error(`${this.device}: write made no progress`);
        off += bytesWritten;
      }
    } finally {
      await fh.close();
    }
  }

  private configure(): Promise<void> {
    const baud = this.opts.baud;
    if (baud === undefined) return Promise.resolve();
    this.configured ??= (this.opts.run ?? runFile)('stty', ['-F', this.path, String(baud), 'raw', '-echo']).catch((err: unknown) => {
      this.configured = undefined;
      throw new Error(`${this.device}: stty failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.configured;
  }
}
