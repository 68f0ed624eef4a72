import { strict as assert } from 'node:assert';
import { after, afterEach, before, describe, it } from 'node:test';
import { tiltOrientation } from '../../devices/sense-hat/fusion';
import { helper, nextError, nextMessage, statusMatching, useSettings, type TestNode } from '../support/red';
import { EXPECTED, FakeSenseHat } from '../unit/devices/fake-sense-hat';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORE_NODES } from '../support/core-nodes';

const IN_NODE = require('../../nodes/sense-hat-in') as unknown;

const ALL_SENSORS = {
  temperature: true,
  humidity: true,
  pressure: true,
  acceleration: true,
  gyroscope: true,
  magnetometer: true,
  orientation: true,
  colour: true,
};
const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'hat',
  type: 'device-agent-sense-hat-in',
  ...ALL_SENSORS,
  interval: '0',
  fusion: 'tilt',
  wires: [['out']],
  ...extra,
});
const r = (n: number, d: number): number => Math.round(n * 10 ** d) / 10 ** d;

describe('Sense HAT in node', { timeout: 60_000 }, () => {
  let fake: FakeSenseHat | undefined;
  let cleanup: (() => void) | undefined;
  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    cleanup?.();
    fake?.cleanup();
    fake = undefined;
  });

  async function load(def: object, root: string): Promise<{ hat: TestNode; out: TestNode }> {
    cleanup = useSettings({ deviceAgentHostRoot: root }).cleanup;
    await helper.load([IN_NODE], [def, { id: 'out', type: 'helper' }]);
    return { hat: helper.getNode('hat')!, out: helper.getNode('out')! };
  }

  it('sends every sensor as series with units, from hand-computed (raw + offset) × scale', async () => {
    fake = new FakeSenseHat();
    const { hat, out } = await load(node(), fake.root);
    await statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.ok');
    const got = nextMessage(out);
    hat.receive({ payload: 'now' });
    const msg = await got;
    assert.equal(msg['topic'], 'sense-hat');
    assert.equal(msg['fragment'], 'c8y_SenseHat');
    const e = EXPECTED;
    const o = tiltOrientation(e.accelerometer, e.magnetometer)!;
    assert.deepEqual(msg['payload'], {
      temperature: { value: r(e.humidity.temperature, 2), unit: '°C' },
      temperatureFromHumidity: { value: r(e.humidity.temperature, 2), unit: '°C' },
      temperatureFromPressure: { value: r(e.pressure.temperature, 2), unit: '°C' },
      humidity: { value: 35, unit: '%RH' },
      pressure: { value: r(e.pressure.pressure, 2), unit: 'hPa' },
      accelerationX: { value: r(e.accelerometer.x, 4), unit: 'g' },
      accelerationY: { value: r(e.accelerometer.y, 4), unit: 'g' },
      accelerationZ: { value: r(e.accelerometer.z, 4), unit: 'g' },
      gyroscopeX: { value: r(e.gyroscope.x, 4), unit: 'rad/s' },
      gyroscopeY: { value: r(e.gyroscope.y, 4), unit: 'rad/s' },
      gyroscopeZ: { value: r(e.gyroscope.z, 4), unit: 'rad/s' },
      magneticFieldX: { value: -14, unit: 'µT' },
      magneticFieldY: { value: -28, unit: 'µT' },
      magneticFieldZ: { value: -87, unit: 'µT' },
      roll: { value: r(o.roll, 2), unit: '°' },
      pitch: { value: r(o.pitch, 2), unit: '°' },
      yaw: { value: r(o.yaw, 2), unit: '°' },
      colourRed: { value: 128, unit: '' },
      colourGreen: { value: 64, unit: '' },
      colourBlue: { value: 0, unit: '' },
      colourClear: { value: 255, unit: '' },
    });
    assert.equal(msg['payload'] && (msg['payload'] as Record<string, { value: number }>)['temperature']?.value, 24.4);
  });

  it('sends only the selected series, in °/s when asked, at its interval', async () => {
    fake = new FakeSenseHat();
    const { out } = await load(
      node({
        temperature: false,
        humidity: false,
        pressure: false,
        acceleration: false,
        magnetometer: false,
        orientation: false,
        colour: false,
        gyroUnit: 'deg/s',
        interval: '0.05',
      }),
      fake.root,
    );
    const first = await nextMessage(out);
    const second = await nextMessage(out);
    assert.deepEqual(Object.keys(first['payload'] as object), ['gyroscopeX', 'gyroscopeY', 'gyroscopeZ']);
    assert.deepEqual((second['payload'] as Record<string, unknown>)['gyroscopeY'], {
      value: r((200 * 0.000305433 * 180) / Math.PI, 4),
      unit: 'deg/s',
    });
  });

  it('fuses gyroscope, accelerometer and magnetometer into the attitude the board is held at', async () => {
    fake = new FakeSenseHat();
    for (const a of ['x', 'y', 'z']) fake.attr('lsm9ds1-gyro', `in_anglvel_${a}_raw`, '0\n'); // held still
    const { hat, out } = await load(
      node({ fusion: 'madgwick', fusionRate: '50', temperature: false, humidity: false, pressure: false, colour: false }),
      fake.root,
    );
    await statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.ok');
    await new Promise((res) => setTimeout(res, 300)); // a few filter steps
    const got = nextMessage(out);
    hat.receive({});
    const p = (await got)['payload'] as Record<string, { value: number }>;
    const o = tiltOrientation(EXPECTED.accelerometer, EXPECTED.magnetometer)!;
    for (const k of ['roll', 'pitch', 'yaw'] as const)
      assert.ok(Math.abs((p[k]?.value ?? NaN) - o[k]) < 0.05, `${k} ${p[k]?.value} vs ${o[k]}`);
  });

  it('falls back to tilt with a yellow status when there is no gyroscope', async () => {
    fake = new FakeSenseHat({ iio: ['lsm9ds1_accel', 'lsm9ds1-magn'] });
    const { hat } = await load(
      node({ fusion: 'madgwick', temperature: false, humidity: false, pressure: false, colour: false, gyroscope: false }),
      fake.root,
    );
    const s = await statusMatching(hat, (st) => st['fill'] === 'yellow');
    assert.equal(s['text'], 'sense-hat-in.status.tilt');
  });

  it('reports garbage once with a red status, keeps sending the other sensors and recovers', async () => {
    fake = new FakeSenseHat();
    const { hat, out } = await load(node({ interval: '0.05', colour: false }), fake.root);
    await nextMessage(out);
    const red = statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.garbage');
    const err = nextError(hat);
    fake.attr('lps25h-press', 'in_pressure_raw', '#!?\n');
    assert.equal(await err, 'sense-hat-in.errors.sensor');
    await red;
    const partial = await nextMessage(out);
    assert.equal((partial['payload'] as Record<string, unknown>)['pressure'], undefined);
    assert.ok((partial['payload'] as Record<string, unknown>)['humidity']);
    const green = statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.ok');
    fake.attr('lps25h-press', 'in_pressure_raw', '4145152\n');
    await green;
  });

  it('fails a requested reading with done(err) while a sensor is missing', async () => {
    fake = new FakeSenseHat({ iio: ['hts221'] });
    const { hat, out } = await load(
      node({
        pressure: true,
        temperature: false,
        humidity: true,
        acceleration: false,
        gyroscope: false,
        magnetometer: false,
        orientation: false,
        colour: false,
      }),
      fake.root,
    );
    const got = nextMessage(out);
    const err = nextError(hat);
    hat.receive({ payload: 1 });
    assert.equal(await err, 'sense-hat-in.errors.sensor');
    assert.deepEqual(Object.keys((await got)['payload'] as object), ['humidity'], 'what could be read is still sent');
  });

  it('says plainly that there is no Sense HAT, and that the overlay is missing when the board is there', async () => {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    const { hat } = await load(node({ interval: '0.05' }), fake.root);
    await statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.no-hat' && s['fill'] === 'red');
    fake.write('proc/device-tree/hat/product', 'Sense HAT\0');
    await statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.overlay', 8000);
  });

  it('reads a simulated board (blue ring) when none is found and simulation is on', async () => {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    const { hat, out } = await load(node({ simulate: true, colour: false }), fake.root);
    await statusMatching(hat, (s) => s['fill'] === 'blue' && s['shape'] === 'ring' && s['text'] === 'sense-hat-in.status.simulated');
    const got = nextMessage(out);
    hat.receive({});
    const p = (await got)['payload'] as Record<string, { value: number }>;
    assert.ok((p['temperature']?.value ?? 0) > 20 && (p['temperature']?.value ?? 99) < 28, JSON.stringify(p['temperature']));
    assert.ok(Math.abs((p['accelerationZ']?.value ?? 0) - 1) < 0.05);
  });

  it('refuses a configuration without any sensor', async () => {
    fake = new FakeSenseHat();
    const { hat } = await load(node({ ...Object.fromEntries(Object.keys(ALL_SENSORS).map((k) => [k, false])) }), fake.root);
    await statusMatching(hat, (s) => s['text'] === 'sense-hat-in.status.config');
  });

  /** A per-node example flow as shipped, with `patch` applied, on an empty root (so simulated). */
  async function loadExample(file: string, nodes: unknown[], patch: (n: Record<string, unknown>) => void = () => undefined): Promise<void> {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    cleanup = useSettings({ deviceAgentHostRoot: fake.root }).cleanup;
    const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', file), 'utf8')) as Record<string, unknown>[];
    flow.forEach(patch);
    await helper.load([...CORE_NODES, ...nodes], flow);
  }

  it('runs its example flow as shipped: every series reaches the debug node', async () => {
    await loadExample('sense-hat-in.json', [IN_NODE], (n) => n['type'] === 'device-agent-sense-hat-in' && (n['interval'] = '0.1'));
    const msg = await nextMessage(helper.getNode('da_ex_hatin_dbg')!, 10_000);
    const keys = Object.keys(msg['payload'] as object);
    for (const k of ['temperature', 'humidity', 'pressure', 'accelerationX', 'gyroscopeZ', 'magneticFieldY', 'roll', 'yaw'])
      assert.ok(keys.includes(k), k);
  });
});
