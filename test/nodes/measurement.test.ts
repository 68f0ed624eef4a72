import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { helper, nextMessage, statusMatching } from '../support/red';
import { DEVICE, errorFor, nodeSuite } from '../support/node-suite';

const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'm',
  type: 'device-agent-measurement',
  connection: 'conn',
  fragment: 'c8y_Temperature',
  series: 'T',
  unit: 'C',
  value: 'payload',
  valueType: 'msg',
  wires: [['out']],
  ...extra,
});

describe('measurement node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  it('sends a number as one series with its unit and the message time, and passes the message on', async () => {
    const m = await suite.load([node(), { id: 'out', type: 'helper' }], 'm');
    const out = nextMessage(helper.getNode('out')!);
    m.receive({ payload: 25.3, timestamp: '2026-01-02T03:04:05.678Z' });
    assert.equal((await out)['payload'], 25.3);
    const sim = suite.sim();
    await sim.waitFor(() => sim.measurements.length === 1, 3000, 'measurement');
    const got = sim.measurements[0]!;
    assert.equal(got.deviceId, DEVICE);
    assert.equal(got.time, '2026-01-02T03:04:05.678Z');
    assert.deepEqual(got.series, [{ fragment: 'c8y_Temperature', series: 'T', value: 25.3, unit: 'C' }]);
  });

  it('sends an object as several series with their own units', async () => {
    const m = await suite.load([node({ fragment: 'c8y_Env' }), { id: 'out', type: 'helper' }], 'm');
    m.receive({ payload: { T: 21.5, H: { value: 40, unit: '%' } } });
    const sim = suite.sim();
    await sim.waitFor(() => sim.measurements.length === 1, 3000, 'measurement');
    assert.deepEqual(sim.measurements[0]!.series, [
      { fragment: 'c8y_Env', series: 'T', value: 21.5, unit: 'C' },
      { fragment: 'c8y_Env', series: 'H', value: 40, unit: '%' },
    ]);
  });

  it('takes the value from another message property (TypedInput)', async () => {
    const m = await suite.load([node({ value: 'sensor.temp', valueType: 'msg' }), { id: 'out', type: 'helper' }], 'm');
    m.receive({ payload: 'ignored', sensor: { temp: 19 } });
    const sim = suite.sim();
    await sim.waitFor(() => sim.measurements.length === 1, 3000, 'measurement');
    assert.equal(sim.measurements[0]!.series[0]!.value, 19);
  });

  for (const [what, payload] of [
    ['a text that is not a number', 'warm'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an empty object', {}],
    ['a missing payload', undefined],
    ['an object with a non-numeric series', { T: 'x' }],
  ] as const) {
    it(`refuses ${what} with an error and a red status, sending nothing`, async () => {
      const m = await suite.load([node(), { id: 'out', type: 'helper' }], 'm');
      const red = statusMatching(m, (s) => s['fill'] === 'red' && s['shape'] === 'dot');
      const err = await errorFor(m, { payload });
      assert.ok(err.message.length > 0);
      await red;
      // The node keeps working: the next good value goes through and the status recovers.
      const green = statusMatching(m, (s) => s['fill'] === 'green');
      m.receive({ payload: 1 });
      await green;
      const sim = suite.sim();
      await sim.waitFor(() => sim.measurements.length === 1, 3000, 'good measurement');
      assert.equal(sim.measurements[0]!.series[0]!.value, 1);
    });
  }

  it('refuses a record over the platform size limit before it is queued', async () => {
    const m = await suite.load([node({ fragment: 'c8y_'.padEnd(17_000, 'x') })], 'm');
    const err = await errorFor(m, { payload: 1 });
    assert.ok(err.message.length > 0);
    const sim = suite.sim();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sim.measurements.length, 0);
    assert.ok(sim.connected(DEVICE), 'an oversize record never reached the broker');
  });

  it('refuses an invalid timestamp', async () => {
    const m = await suite.load([node()], 'm');
    const err = await errorFor(m, { payload: 1, timestamp: 'yesterday-ish' });
    assert.ok(err.message.length > 0);
  });
});
