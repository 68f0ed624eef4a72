/**
 * A restart operation across a real process death: Node-RED is killed with SIGKILL after
 * EXECUTING (the device "reboots"), started again, and must report SUCCESSFUL by itself.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/net';
import { CumulocitySimulator } from '../sim/simulator';

const ROOT = path.join(__dirname, '..', '..', '..');
const DEV = 'rpi-restart';

describe('restart operation across a killed process', { timeout: 120_000 }, () => {
  let sim: CumulocitySimulator;
  let dir: string;
  let red: ChildProcess | undefined;
  let log = '';

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'restart-pw');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-restart-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'node-red-contrib-device-agent'), 'dir');
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'settings.js'),
      `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', deviceAgentBackoff: { initialMs: 100, maxMs: 500, stableMs: 60000 } };\n`,
    );
    const flows = [
      { id: 't', type: 'tab', label: 'restart' },
      {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'cumulocity',
        host: '127.0.0.1',
        port: String(sim.port),
        protocol: 'mqtt',
        tenant: 't12345',
        deviceId: DEV,
        authMode: 'basic',
        credentialsFrom: 'env',
        userEnv: 'T_USER',
        passwordEnv: 'T_PASSWORD',
        will: true,
      },
      // The flow "reboots" the device and never reports anything itself.
      {
        id: 'op',
        type: 'device-agent-operation',
        z: 't',
        connection: 'conn',
        fragments: 'c8y_Restart',
        timeout: '60',
        completeOnRestart: 'auto',
        wires: [[]],
      },
    ];
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
  });

  after(async () => {
    red?.kill('SIGKILL');
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function startRed(): ChildProcess {
    const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
    const child = spawn(process.execPath, [redJs, '--userDir', dir, '--settings', path.join(dir, 'settings.js')], {
      env: { ...process.env, T_USER: `device_${DEV}`, T_PASSWORD: 'restart-pw' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    return child;
  }

  it('reports SUCCESSFUL after Node-RED was killed and started again', async () => {
    red = startRed();
    await sim.waitFor(() => (sim.devices.get(DEV)?.supportedOperations ?? []).includes('c8y_Restart'), 30_000, `first start\n${log}`);
    const id = sim.createOperation(DEV, 'c8y_Restart', {});
    await sim.waitFor(() => sim.operation(id)?.status === 'EXECUTING', 10_000, 'EXECUTING');
    const marker = path.join(dir, 'device-agent', '127.0.0.1', DEV, 'operations.json');
    assert.ok(fs.existsSync(marker), 'restart persisted before the flow acted');

    const dead = new Promise((resolve) => red?.once('exit', resolve));
    red.kill('SIGKILL');
    await dead;
    await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_ConnectionEvent'), 10_000, 'last will after kill -9');
    assert.equal(sim.operation(id)?.status, 'EXECUTING');

    red = startRed();
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 30_000, `SUCCESSFUL after restart\n${log}`);
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
    assert.ok(!fs.existsSync(marker), 'marker removed after reporting');
    assert.doesNotMatch(log, /\[error\]/);
  });
});
