/**
 * Node-RED as a separate process with this package linked into a fresh user directory, for
 * tests that kill it (SIGKILL) or restart it on the same user directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './net';

const ROOT = path.join(__dirname, '..', '..', '..');

export interface RedProcess {
  dir: string;
  /** The editor and admin API port (settings.uiPort). */
  port: number;
  /** Everything the current process printed. */
  log(): string;
  start(env?: Record<string, string>): void;
  /** SIGKILL, as a crash or power cut would; resolves when the process is gone. */
  kill(): Promise<void>;
  /** Stops the process (if any) and removes the user directory. */
  dispose(): Promise<void>;
}

export async function redProcess(flows: object[], settings: Record<string, unknown> = {}): Promise<RedProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-red-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'node-red-contrib-device-agent'), 'dir');
  const port = await freePort();
  const all = { uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', ...settings };
  fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${JSON.stringify(all)};\n`);
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
  // scripts/compat.js points the browser and compat tests at another Node-RED (and Node.js).
  const other = process.env['DA_COMPAT_RED'];
  const redJs = other ? path.join(other, 'red.js') : require.resolve('node-red/red.js', { paths: [ROOT] });
  const nodeBin = process.env['DA_COMPAT_NODE'] || process.execPath;
  let child: ChildProcess | undefined;
  let out = '';
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await gone;
  };
  return {
    dir,
    port: typeof all.uiPort === 'number' ? all.uiPort : port,
    log: () => out,
    start: (env = {}) => {
      out = '';
      child = spawn(nodeBin, [redJs, '--userDir', dir, '--settings', path.join(dir, 'settings.js')], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    },
    kill,
    dispose: async () => {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
