/**
 * examples/cumulocity-pi-agent.json as shipped (only the reading intervals shortened), configured
 * by environment variables, against the simulator, with the simulated Sense HAT and a fake host
 * for the system measurements.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packFramebuffer } from '../../devices/sense-hat/frame';
import { currentSimulation } from '../../devices/sense-hat/hub';
import type { SyntheticSenseHat } from '../../devices/sense-hat/synthetic';
import { frameCount, stripFrame, textStrip } from '../../devices/sense-hat/text';
import { demoHost, writeFakeHost } from '../../devices/system-info/synthetic';
import { CumulocitySimulator } from '../sim/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, useSettings } from '../support/red';
import { setEnv } from '../support/env';
import { until } from '../unit/devices/fake-sense-hat';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'cumulocity-pi-agent.json');
const DEV = 'example-sense-pi';
const ENV = ['C8Y_HOST', 'C8Y_PORT', 'C8Y_PROTOCOL', 'C8Y_TENANT', 'C8Y_DEVICE_ID', 'C8Y_USER', 'C8Y_PASSWORD'];
const OUR_NODES: unknown[] = ['sense-hat-in', 'sense-hat-out', 'joystick', 'system-info'].map((n) => require(`../../nodes/${n}`) as unknown);

describe('example cumulocity-pi-agent.json', { timeout: 120_000 }, () => {
  let sim: CumulocitySimulator;
  let hat: SyntheticSenseHat;
  let root: string;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    restoreEnv = setEnv(ENV, {
      C8Y_HOST: '127.0.0.1',
      C8Y_PORT: String(sim.port),
      C8Y_PROTOCOL: 'mqtt',
      C8Y_TENANT: 't12345',
      C8Y_DEVICE_ID: DEV,
      C8Y_USER: `device_${DEV}`,
      C8Y_PASSWORD: 'example-pw',
    });
    // A host with /proc but no Sense HAT: the Sense HAT nodes fall back to the simulated board.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-pi-host-'));
    await writeFakeHost(root, demoHost(0));
    cleanup = useSettings({ deviceAgentHostRoot: root }).cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) {
      if (n['type'] === 'device-agent-sense-hat-in') n['interval'] = '0.25';
      if (n['type'] === 'device-agent-system-info') n['interval'] = '1';
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
  });

  it('declares restart, message and both configuration operations', async () => {
    await sim.waitFor(() => (sim.devices.get(DEV)?.supportedOperations.length ?? 0) >= 4, 10_000, '114');
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations.slice().sort(), ['c8y_Configuration', 'c8y_Message', 'c8y_Restart', 'c8y_SendConfiguration']);
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
});
