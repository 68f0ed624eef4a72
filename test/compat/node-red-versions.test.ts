/**
 * The packed tarball on another Node-RED (and Node.js): installed into a fresh user directory, every
 * node type registers without a load error, and examples/cumulocity-basic.json runs against the
 * simulator — measurements arrive and operations come back SUCCESSFUL.
 *
 * Runs only when scripts/compat.js points it at an installation: DA_COMPAT_RED (the node-red
 * package directory) and DA_COMPAT_NODE (the node binary to run it with; default this one).
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { request } from '../support/editor-server';
import { freePort } from '../support/net';

const ROOT = path.join(__dirname, '..', '..', '..');
const RED_DIR = process.env['DA_COMPAT_RED'];
const NODE = process.env['DA_COMPAT_NODE'] || process.execPath;
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { nodes: Record<string, string> };
};
const DEVICE = 'compat-pi';

const skip = RED_DIR ? undefined : 'DA_COMPAT_RED is not set: run `npm run compat` to test other Node-RED versions';
if (skip) console.log(`# ${skip}`);

interface NodeSet {
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

describe(`package on another Node-RED (${RED_DIR ?? 'none'})`, { skip: skip ?? false, timeout: 300_000 }, () => {
  let work: string;
  let sim: CumulocitySimulator;
  let red: ChildProcess | undefined;
  let log = '';
  let port = 0;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'da-compat-'));
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEVICE, 'compat-pw');
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
    const tarball = (JSON.parse(out) as { filename: string }[])[0]?.filename ?? '';
    const userDir = path.join(work, 'userDir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', path.join(work, tarball)], { cwd: userDir, stdio: 'pipe' });

    const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'cumulocity-basic.json'), 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'inject') n['repeat'] = '1';
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
    port = await freePort();
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
      deviceAgentDataDir: path.join(work, 'data'),
    };
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings)};\n`);
    red = spawn(NODE, [path.join(RED_DIR ?? '', 'red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        C8Y_HOST: '127.0.0.1',
        C8Y_PORT: String(sim.port),
        C8Y_PROTOCOL: 'mqtt',
        C8Y_TENANT: sim.tenant,
        C8Y_DEVICE_ID: DEVICE,
        C8Y_USER: `device_${DEVICE}`,
        C8Y_PASSWORD: 'compat-pw',
        C8Y_RESTART_MODE: 'simulate',
      },
    });
    red.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    red.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    await sim
      .waitFor(() => sim.connected(DEVICE), 120_000, `the example to connect. Log:\n${log}`)
      .catch((e: unknown) => {
        throw new Error(`${String(e)}\n${log}`);
      });
  });

  after(async () => {
    if (red && red.exitCode === null) {
      const gone = new Promise<void>((resolve) => red?.once('exit', () => resolve()));
      red.kill('SIGKILL');
      await gone;
    }
    await sim?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('registers every node type of the tarball without a load error', async () => {
    const versions = /Node-RED version: (v\S+)[\s\S]*?Node\.js {2}version: (v\S+)/.exec(log);
    console.log(`# tested on Node-RED ${versions?.[1] ?? '?'} with Node.js ${versions?.[2] ?? '?'}`);
    const r = await request(port, 'GET', '/nodes', undefined, { Accept: 'application/json' });
    const ours = (JSON.parse(r.body) as NodeSet[]).filter((s) => s.module === PKG.name);
    const types = ours.flatMap((s) => s.types);
    for (const type of Object.keys(PKG['node-red'].nodes)) assert.ok(types.includes(type), `${type} not registered. Log:\n${log}`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `${s.types.join(',')}: ${s.err ?? ''}`);
      assert.equal(s.enabled, true);
    }
  });

  it('runs the example flow: measurements, supported operations, restart and message round trips', async () => {
    await sim.waitFor(() => sim.measurements.length >= 2, 30_000, 'two measurements');
    await sim.waitFor(() => (sim.devices.get(DEVICE)?.supportedOperations.length ?? 0) > 0, 30_000, 'supported operations');
    assert.deepEqual(sim.devices.get(DEVICE)?.supportedOperations.slice().sort(), ['c8y_Message', 'c8y_Restart']);
    const restart = sim.createOperation(DEVICE, 'c8y_Restart', {});
    await sim.waitFor(() => sim.operation(restart)?.status === 'SUCCESSFUL', 30_000, 'restart SUCCESSFUL');
    const message = sim.createOperation(DEVICE, 'c8y_Message', { text: 'compat' });
    await sim.waitFor(() => sim.operation(message)?.status === 'SUCCESSFUL', 30_000, 'message SUCCESSFUL');
    assert.ok(sim.events.some((e) => e.text === 'compat'));
    assert.deepEqual(
      log.split('\n').filter((l) => /\[error\]/.test(l)),
      [],
      'Node-RED logged errors',
    );
  });
});
