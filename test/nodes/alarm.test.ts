import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sleep, statusMatching } from '../support/red';
import { DEVICE, errorFor, nodeSuite } from '../support/node-suite';

const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'a',
  type: 'device-agent-alarm',
  connection: 'conn',
  alarmType: 'c8y_TemperatureAlarm',
  severity: 'MAJOR',
  action: 'payload',
  text: 'Too hot',
  textType: 'str',
  onlyOnChange: true,
  wires: [[]],
  ...extra,
});

describe('alarm node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  it('raises on true and clears on false', async () => {
    const a = await suite.load([node()], 'a');
    const sim = suite.sim();
    a.receive({ payload: true });
    await sim.waitFor(() => sim.alarms.some((x) => x.type === 'c8y_TemperatureAlarm' && x.status === 'ACTIVE'), 3000, 'raised');
    const alarm = sim.alarms.find((x) => x.type === 'c8y_TemperatureAlarm')!;
    assert.equal(alarm.severity, 'MAJOR');
    assert.equal(alarm.text, 'Too hot');
    assert.equal(alarm.deviceId, DEVICE);
    a.receive({ payload: false });
    await sim.waitFor(() => sim.alarms.some((x) => x.type === 'c8y_TemperatureAlarm' && x.status === 'CLEARED'), 3000, 'cleared');
  });

  it('sends a repeated raise only once when "only on change" is set', async () => {
    const a = await suite.load([node()], 'a');
    const sim = suite.sim();
    for (let i = 0; i < 5; i += 1) a.receive({ payload: 'raise' });
    await sim.waitFor(() => sim.alarms.length === 1, 3000, 'raised');
    await sleep(200);
    assert.equal(sim.alarms[0]!.count, 1);
  });

  it('sends every raise when "only on change" is off (the platform counts them)', async () => {
    const a = await suite.load([node({ onlyOnChange: false })], 'a');
    const sim = suite.sim();
    for (let i = 0; i < 3; i += 1) a.receive({ payload: true });
    await sim.waitFor(() => sim.alarms[0]?.count === 3, 3000, 'count 3');
  });

  it('takes severity and text from an object payload', async () => {
    const a = await suite.load([node()], 'a');
    const sim = suite.sim();
    a.receive({ payload: { action: 'raise', severity: 'critical', text: 'Fire' } });
    await sim.waitFor(() => sim.alarms.some((x) => x.severity === 'CRITICAL' && x.text === 'Fire'), 3000, 'critical');
  });

  for (const [what, payload] of [
    ['an unknown action', 'maybe'],
    ['an unknown severity', { action: 'raise', severity: 'HUGE' }],
    ['a missing payload', undefined],
  ] as const) {
    it(`refuses ${what} with an error and a red status`, async () => {
      const a = await suite.load([node()], 'a');
      const red = statusMatching(a, (s) => s['fill'] === 'red');
      const err = await errorFor(a, { payload });
      assert.ok(err.message.length > 0);
      await red;
      assert.equal(suite.sim().alarms.length, 0);
    });
  }
});
