/**
 * examples/cumulocity-pi-agent.json as shipped (only the reading intervals shortened and plain
 * http allowed for the simulator's software repository), configured by environment variables,
 * against the simulator and its HTTP side, with the simulated Sense HAT, a fake host for the
 * system measurements and a stand-in journalctl.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packFramebuffer } from '../../devices/sense-hat/frame';
import { currentSimulation } from '../../devices/sense-hat/hub';
import type { SyntheticSenseHat } from '../../devices/sense-hat/synthetic';
import { frameCount, stripFrame, textStrip } from '../../devices/sense-hat/text';
import { demoHost, writeFakeHost } from '../../devices/system-info/synthetic';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { zip } from '../support/archives';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, helperUrl, useSettings } from '../support/red';
import { setC8yEnv } from '../support/env';
import { until } from '../unit/devices/fake-sense-hat';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'cumulocity-pi-agent.json');
const DEV = 'example-sense-pi';
const OUR_NODES: unknown[] = ['sense-hat-in', 'sense-hat-out', 'joystick', 'system-info', 'software-update', 'log-upload', 'remote-access'].map(
  (n) => require(`../../nodes/${n}`) as unknown,
);

describe('example cumulocity-pi-agent.json', { timeout: 120_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let userDir: string;
  let hat: SyntheticSenseHat;
  let root: string;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    web = await SimPlatformHttp.start(sim);
    restoreEnv = setC8yEnv(sim.port, DEV, 'example-pw', { C8Y_HTTP_URL: web.url() });
    // A host with /proc but no Sense HAT: the Sense HAT nodes fall back to the simulated board.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-pi-host-'));
    await writeFakeHost(root, demoHost(0));
    userDir = path.join(root, 'user-dir');
    fs.mkdirSync(userDir);
    const journalctl = path.join(root, 'journalctl');
    fs.writeFileSync(journalctl, "#!/bin/sh\nprintf '2026-11-20T10:00:01+0000 pi node-red[9]: Started flows\\n2026-11-20T10:00:00+0000 pi systemd[1]: Starting\\n'\n", {
      mode: 0o755,
    });
    cleanup = useSettings({
      userDir,
      deviceAgentHostRoot: root,
      deviceAgentSoftwareUpdate: { minFreeBytes: 0 },
      deviceAgentLogUpload: { journalctl },
    }).cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) {
      if (n['type'] === 'device-agent-sense-hat-in') n['interval'] = '0.25';
      if (n['type'] === 'device-agent-system-info') n['interval'] = '1';
      if (n['type'] === 'device-agent-software-update') n['allowHttp'] = true;
    }
    await helper.load([...CORE_NODES, ...ALL_NODES, ...OUR_NODES], flow, {});
    await until(async () => (await currentSimulation()) !== undefined, 'the simulated Sense HAT');
    const s = await currentSimulation();
    assert.ok(s);
    hat = s;
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await web.stop();
    await sim.stop();
    cleanup();
    fs.rmSync(root, { recursive: true, force: true });
    restoreEnv();
  });

  const op = (id: string): ReturnType<CumulocitySimulator['operation']> => sim.operation(id);
  const series = (type: string): Map<string, { value: number; unit: string }> =>
    new Map((sim.measurements.find((m) => m.type === type)?.series ?? []).map((s) => [s.series, { value: s.value, unit: s.unit }]));

  it('carries no secret and uses the environment for the connection', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials)"\s*:/);
    assert.match(text, /"credentialsFrom": "env"/);
    const flow = JSON.parse(text) as Record<string, unknown>[];
    assert.equal(flow.find((n) => n['type'] === 'device-agent-remote-access')?.['allow'], '', 'remote access ships off');
  });

  it('declares its operations, software types and logs, but not remote access', async () => {
    await sim.waitFor(() => (sim.devices.get(DEV)?.supportedOperations.length ?? 0) >= 7, 10_000, '114');
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations.slice().sort(), [
      'c8y_Configuration',
      'c8y_Firmware',
      'c8y_LogfileRequest',
      'c8y_Message',
      'c8y_Restart',
      'c8y_SendConfiguration',
      'c8y_SoftwareUpdate',
    ]);
    await sim.waitFor(() => (sim.devices.get(DEV)?.softwareTypes?.length ?? 0) > 0 && (sim.devices.get(DEV)?.logTypes?.length ?? 0) > 0, 10_000, '143 and 118');
    assert.deepEqual(sim.devices.get(DEV)?.softwareTypes, ['archive', 'node-red-package']);
    assert.deepEqual(sim.devices.get(DEV)?.logTypes, ['system', 'nodered']);
  });

  it('sends Sense HAT environment and motion measurements with units', async () => {
    await sim.waitFor(() => series('c8y_Environment').size > 0 && series('c8y_Motion').size > 0, 10_000, 'Sense HAT measurements');
    const env = series('c8y_Environment');
    assert.equal(env.get('temperature')?.unit, '°C');
    assert.ok(Math.abs((env.get('temperature')?.value ?? 0) - 24) <= 3);
    assert.equal(env.get('humidity')?.unit, '%RH');
    assert.ok(Math.abs((env.get('pressure')?.value ?? 0) - 1013.25) <= 2);
    const motion = series('c8y_Motion');
    for (const k of ['accelerationZ', 'gyroscopeX', 'roll', 'pitch', 'yaw']) assert.ok(motion.has(k), `c8y_Motion.${k}`);
    assert.ok(Math.abs((motion.get('accelerationZ')?.value ?? 0) - 1) < 0.05);
  });

  it('sends system measurements of the host', async () => {
    await sim.waitFor(() => series('c8y_System').size > 0, 10_000, 'system measurement');
    const sys = series('c8y_System');
    assert.deepEqual(sys.get('memoryTotal'), { value: 1024, unit: 'MB' });
    assert.deepEqual(sys.get('cpuTemperature'), { value: 48.31, unit: '°C' });
    assert.equal(sys.get('uptime')?.unit, 's');
  });

  it('raises the temperature alarm above 30 °C and clears it below', async () => {
    await hat.set({ temperature: 35 });
    await sim.waitFor(() => sim.alarms.some((a) => a.type === 'c8y_TemperatureAlarm' && a.status === 'ACTIVE'), 10_000, 'alarm raised');
    assert.match(sim.alarms.find((a) => a.type === 'c8y_TemperatureAlarm')?.text ?? '', /^Temperature 35 °C above 30 °C$/);
    await hat.set({ temperature: 20 });
    await sim.waitFor(() => sim.alarms.some((a) => a.type === 'c8y_TemperatureAlarm' && a.status === 'CLEARED'), 10_000, 'alarm cleared');
    await hat.set({});
  });

  it('turns a joystick press into a c8y_Joystick event', async () => {
    await hat.press('LEFT');
    await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_Joystick' && e.text === 'Joystick LEFT pressed'), 10_000, 'joystick event');
    assert.ok(!sim.events.some((e) => e.type === 'c8y_Joystick' && /released/.test(e.text)), 'only presses are sent');
  });

  it('scrolls a c8y_Message across the LED matrix in the configured colour, then reports SUCCESSFUL', async () => {
    const strip = textStrip('Hi');
    const orange = new Set(Array.from({ length: frameCount(strip) }, (_, k) => packFramebuffer(stripFrame(strip, k, [255, 165, 0], [0, 0, 0]), 0, false).toString('hex')));
    const blank = Buffer.alloc(128).toString('hex');
    const id = sim.createOperation(DEV, 'c8y_Message', { text: 'Hi' });
    const seen = new Set<string>();
    while (op(id)?.status !== 'SUCCESSFUL') {
      const fb = (await hat.framebuffer()).toString('hex');
      if (fb !== blank) seen.add(fb);
      assert.notEqual(op(id)?.status, 'FAILED', op(id)?.failureReason);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(seen.size >= 3, `saw ${seen.size} frames of the text`);
    for (const f of seen) assert.ok(orange.has(f), 'every frame shown is a frame of "Hi" in orange');
    assert.deepEqual(op(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
  });

  it('fails a c8y_Message the LED matrix cannot show', async () => {
    const id = sim.createOperation(DEV, 'c8y_Message', { text: '☃' });
    await sim.waitFor(() => op(id)?.status === 'FAILED', 10_000, 'FAILED');
    assert.ok((op(id)?.failureReason ?? '').length > 0);
  });

  it('applies a text configuration: 113 with the new text before SUCCESSFUL', async () => {
    const config = '# set from the platform\ntemperature.threshold=25\nmessage.color=red\n';
    const id = sim.createOperation(DEV, 'c8y_Configuration', { config });
    await sim.waitFor(() => op(id)?.status === 'SUCCESSFUL', 10_000, 'configuration SUCCESSFUL');
    assert.equal(sim.devices.get(DEV)?.config, config);
    const upstream = sim.received
      .filter((r) => r.clientId === DEV)
      .map((r) => r.payload.toString())
      .join('\n');
    const i113 = upstream.indexOf('113,"# set from the platform');
    const iDone = upstream.indexOf(`506,${id}`);
    assert.ok(i113 >= 0 && iDone > i113, '113 goes before the operation is reported SUCCESSFUL');
  });

  it('refuses a malformed configuration and keeps the previous one', async () => {
    const bad = sim.createOperation(DEV, 'c8y_Configuration', { config: 'temperature.threshold=warm\n' });
    await sim.waitFor(() => op(bad)?.status === 'FAILED', 10_000, 'bad configuration FAILED');
    assert.equal(op(bad)?.failureReason, 'temperature.threshold must be a number');
    const get = sim.createOperation(DEV, 'c8y_SendConfiguration', {});
    await sim.waitFor(() => op(get)?.status === 'SUCCESSFUL', 10_000, 'configuration sent');
    assert.equal(sim.devices.get(DEV)?.config, '# set from the platform\ntemperature.threshold=25\nmessage.color=red\n');
  });

  it('handles c8y_Restart with a simulated restart', async () => {
    const id = sim.createOperation(DEV, 'c8y_Restart', {});
    await sim.waitFor(() => op(id)?.status === 'SUCCESSFUL', 10_000, 'restart SUCCESSFUL');
  });

  it('installs an archive from the software repository (528) with the device credentials and reports the installed list', async () => {
    const url = web.addRepositoryBinary('hello-1.0.zip', zip([{ name: 'hello.sh', data: 'echo hello from the platform\n', unixMode: 0o100755 }]));
    const id = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [{ name: 'hello', version: '1.0', url, action: 'install' }]);
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(op(id)?.status ?? ''), 20_000, 'final status');
    assert.equal(op(id)?.status, 'SUCCESSFUL', op(id)?.failureReason);
    assert.deepEqual(op(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
    assert.deepEqual(sim.devices.get(DEV)?.software, [{ name: 'hello', version: '1.0', url }]);
    assert.equal(fs.readFileSync(path.join(userDir, 'apps', 'hello', 'hello.sh'), 'utf8'), 'echo hello from the platform\n');
    const path_ = new URL(url).pathname;
    assert.deepEqual(
      web.requests.filter((r) => r.path === path_).map((r) => r.status),
      [200],
      'downloaded once, authenticated as the device',
    );
  });

  it('fails a software update whose file is not in the repository, keeping the installed list', async () => {
    const id = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [{ name: 'ghost', version: '2.0', url: `${web.url()}/inventory/binaries/424242`, action: 'install' }]);
    await sim.waitFor(() => op(id)?.status === 'FAILED', 20_000, 'FAILED');
    assert.match(op(id)?.failureReason ?? '', /404/);
    assert.deepEqual(
      sim.devices.get(DEV)?.software?.map((s) => s.name),
      ['hello'],
    );
    assert.ok(!fs.existsSync(path.join(userDir, 'apps', 'ghost')));
  });

  it('uploads the Node-RED service log on request (522)', async () => {
    const id = sim.createOperation(DEV, 'c8y_LogfileRequest', { logFile: 'nodered', searchText: 'flows', maximumLines: 100 });
    await sim.waitFor(() => op(id)?.status === 'SUCCESSFUL', 10_000, 'SUCCESSFUL');
    const ev = web.events.at(-1);
    assert.ok(ev);
    assert.deepEqual(op(id)?.result, [`${web.url()}/event/events/${ev.id}/binaries`]);
    assert.equal(web.binaries.get(ev.id)?.content.toString('utf8'), '2026-11-20T10:00:01+0000 pi node-red[9]: Started flows\n');
  });

  it('does not offer remote access as shipped: a request for it is FAILED and opens nothing', async () => {
    const id = sim.createOperation(DEV, 'c8y_RemoteAccessConnect', { hostname: '127.0.0.1', port: 1880, connectionKey: 'k-secret-1' });
    await sim.waitFor(() => op(id)?.status === 'FAILED', 10_000, 'FAILED');
    assert.match(op(id)?.failureReason ?? '', /not supported/);
    assert.equal(web.tunnels.length, 0);
  });

  it('with the editor allowed as the comment says, tunnels to the Node-RED editor and audits it', async () => {
    const editor = new URL(helperUrl());
    const target = `127.0.0.1:${editor.port}`;
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'device-agent-remote-access') n['allow'] = target;
    await helper.unload();
    await helper.load([...CORE_NODES, ...ALL_NODES, ...OUR_NODES], flow, {});
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true, 10_000, '114');
    const direct = await httpGet(Number(editor.port), '/settings');
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', Number(editor.port));
    try {
      const tunnelled = await httpGet(ep.port, '/settings');
      assert.equal(tunnelled.status, direct.status);
      assert.equal(tunnelled.body, direct.body);
      assert.ok(tunnelled.body.length > 0);
    } finally {
      await ep.close();
    }
    await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_RemoteAccessAudit' && /opened/.test(e.text)), 10_000, 'audit event');
    assert.match(sim.events.find((e) => e.type === 'c8y_RemoteAccessAudit')?.text ?? '', new RegExp(`^tunnel #1 to 127\\.0\\.0\\.1:${editor.port} opened$`));
  });
});

/** One HTTP GET on 127.0.0.1:port with a fresh connection: status and body. */
function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
