/**
 * Request/reply over the Node IPC channel between the orchestrator and its child processes.
 * Every measured party runs in a child of its own, so no variant shares a heap, a JIT state or
 * an event loop with another one or with the orchestrator.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { isRecord } from './util';

export type Reply = Record<string, unknown>;
type Handler = (msg: Reply) => Promise<Reply> | Reply;

/** A bench child process (a compiled file under dist/bench/workers) answering requests. */
export class Worker {
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private out = '';
  private exited = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m: unknown) => {
      if (!isRecord(m) || typeof m['id'] !== 'number') return;
      const p = this.pending.get(m['id']);
      if (!p) return;
      this.pending.delete(m['id']);
      if (typeof m['error'] === 'string') p.reject(new Error(`${name}: ${m['error']}`));
      else p.resolve(isRecord(m['result']) ? m['result'] : {});
    });
    child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal ?? '?'})\n${this.out.slice(-2000)}`));
      this.pending.clear();
    });
  }

  /** Starts `dist/bench/workers/<file>.js` with --expose-gc and extra node flags (e.g. --cpu-prof). */
  static start(file: string, nodeArgs: readonly string[] = [], env: Record<string, string> = {}): Worker {
    const script = path.join(__dirname, '..', 'workers', `${file}.js`);
    const child = fork(script, [], {
      execArgv: ['--expose-gc', ...nodeArgs],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new Worker(file, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  log(): string {
    return this.out;
  }

  request(cmd: string, args: Reply = {}, timeoutMs = 120_000): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running\n${this.out.slice(-2000)}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no reply to ${cmd} within ${timeoutMs} ms\n${this.out.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** Asks the child to exit (so --cpu-prof profiles are written), then kills it after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ id: 0, cmd: 'exit' });
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }
}

/** Child side: answers requests with `handlers[cmd]`; `exit` ends the process. */
export function serve(handlers: Record<string, Handler>, onExit: () => Promise<void> = () => Promise.resolve()): void {
  const send = (m: Reply): void => {
    process.send?.(m);
  };
  process.on('message', (m: unknown) => {
    if (!isRecord(m) || typeof m['id'] !== 'number' || typeof m['cmd'] !== 'string') return;
    const id = m['id'];
    if (m['cmd'] === 'exit') {
      void onExit().finally(() => process.exit(0));
      return;
    }
    const h = handlers[m['cmd']];
    if (!h) {
      send({ id, error: `unknown command ${m['cmd']}` });
      return;
    }
    Promise.resolve()
      .then(() => h(m))
      .then(
        (result) => send({ id, result }),
        (err: unknown) => send({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
