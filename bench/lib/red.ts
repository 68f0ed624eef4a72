/**
 * Node-RED as a real child process (red.js, its own user directory), the way a device runs it.
 * The test helper is not used here: it wraps every node method in a sinon spy that records each
 * call, which would distort both throughput and memory.
 *
 * The generated settings.js loads bench/lib/probe.js, which answers memory requests over the IPC
 * channel (after a full GC) and can apply bench-only tweaks (see probe.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../test/support/net';
import { isRecord, ROOT } from './util';

export interface RedOptions {
  flows: object[];
  /** Link this package into the user directory's node_modules (false: bare Node-RED). */
  withPackage: boolean;
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  /** Bench-only: one record per publish (see probe.ts). */
  unbatched?: boolean;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeArgs?: readonly string[];
}

export interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  /** Files in require.cache when measured. */
  modules: string[];
}

export class RedChild {
  private out = '';
  private exited = false;
  private readonly memWaiters: ((m: Mem) => void)[] = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.on('exit', () => (this.exited = true));
    child.on('message', (m: unknown) => {
      if (!isRecord(m) || m['kind'] !== 'mem') return;
      const modules = Array.isArray(m['modules']) ? m['modules'].filter((x): x is string => typeof x === 'string') : [];
      const mem: Mem = { rss: Number(m['rss']), heapUsed: Number(m['heapUsed']), external: Number(m['external']), modules };
      this.memWaiters.shift()?.(mem);
    });
  }

  static async start(o: RedOptions): Promise<RedChild> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-bench-red-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    if (o.withPackage) fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'node-red-contrib-device-agent'), 'dir');
    const port = await freePort();
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: 'bench',
      deviceAgentBackoff: { initialMs: 100, maxMs: 1000, stableMs: 60_000 },
      ...o.settings,
    };
    const probe = path.join(__dirname, 'probe.js');
    fs.writeFileSync(
      path.join(dir, 'settings.js'),
      `require(${JSON.stringify(probe)}).install(${JSON.stringify({ unbatched: o.unbatched === true })});\n` +
        `module.exports = ${JSON.stringify(settings)};\n`,
    );
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(o.flows));
    const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...(o.nodeArgs ?? []), redJs, '--userDir', dir, '--settings', path.join(dir, 'settings.js')],
      { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: dir },
    );
    const red = new RedChild(dir, port, child);
    await red.waitForLog(/Started flows/, 60_000);
    return red;
  }

  log(): string {
    return this.out;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async waitForLog(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.out)) {
      if (this.exited) throw new Error(`Node-RED exited\n${this.out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`Node-RED: no ${String(re)} within ${timeoutMs} ms\n${this.out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Presses an inject node through the admin API, with `payload` as the message payload. */
  inject(nodeId: string, payload: number): Promise<void> {
    return this.post(`/inject/${nodeId}`, { __user_inject_props__: [{ p: 'payload', v: String(payload), vt: 'num' }] }, {});
  }

  /** A full deploy through the admin API (what the editor's Deploy button does). */
  deploy(flows: object[]): Promise<void> {
    return this.post('/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
  }

  /** RSS and heap of the Node-RED process after a full GC. */
  mem(): Promise<Mem> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no memory report')), 10_000);
      this.memWaiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
      this.child.send({ cmd: 'mem' });
    });
  }

  /** SIGINT (Node-RED stops its flows and exits, writing --cpu-prof profiles), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGINT');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private post(urlPath: string, body: unknown, headers: Record<string, string>): Promise<void> {
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: urlPath,
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': data.length, ...headers },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            res.statusCode !== undefined && res.statusCode < 300
              ? resolve()
              : reject(new Error(`POST ${urlPath}: ${res.statusCode ?? '?'} ${text}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }
}
