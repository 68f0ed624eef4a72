/**
 * A local mosquitto for fault tests (issue 4): loopback only, random port, anonymous access,
 * persistence in a temp dir so a graceful restart keeps the queue of a persistent subscriber.
 * Tests skip with a printed reason where mosquitto is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './net';

/** Path of the mosquitto binary: on PATH, else Debian's /usr/sbin (not on every user's PATH). */
export function findMosquitto(): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, '/usr/sbin', '/usr/local/sbin']) {
    const file = path.join(dir, 'mosquitto');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts mosquitto on a free 127.0.0.1 port; resolves once it listens. */
  static async start(bin: string): Promise<Mosquitto> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-mosquitto-'));
    const port = await freePort();
    const conf = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // Run as root (CI), mosquitto would switch to user "mosquitto", who cannot write our temp dir.
      `user ${os.userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'mosquitto.conf'), conf);
    const m = new Mosquitto(bin, dir, port);
    try {
      await m.resume();
    } catch (err) {
      await m.stop();
      throw err;
    }
    return m;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** (Re)starts the broker on the same port and persistence file; resolves once it listens. */
  resume(timeoutMs = 10_000): Promise<void> {
    if (this.child) return Promise.resolve();
    const child = spawn(this.bin, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString('utf8')).slice(-50_000);
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    return new Promise((resolve, reject) => {
      let seen = '';
      const done = (err?: Error): void => {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onData = (d: Buffer): void => {
        seen += d.toString('utf8');
        // mosquitto 2.x logs this once every listener is open.
        if (/mosquitto version \S+ running/.test(seen)) done();
      };
      const onExit = (code: number | null): void =>
        done(new Error(`mosquitto exited with ${String(code)} while starting: ${this.tail(500)}`));
      const timer = setTimeout(() => done(new Error(`mosquitto did not start within ${timeoutMs} ms: ${this.tail(500)}`)), timeoutMs);
      child.stderr?.on('data', onData);
      child.on('exit', onExit);
    });
  }

  /** Graceful stop (SIGTERM: mosquitto saves its persistence file), SIGKILL after `timeoutMs`. */
  pause(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        this.child = undefined;
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops the broker and removes its directory. */
  async stop(): Promise<void> {
    await this.pause();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines mosquitto logged, for failure messages. */
  tail(chars = 1500): string {
    return this.log.slice(-chars);
  }
}
