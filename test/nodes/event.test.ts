import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { statusMatching } from '../support/red';
import { errorFor, nodeSuite } from '../support/node-suite';

const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'e',
  type: 'device-agent-event',
  connection: 'conn',
  eventType: 'c8y_DoorOpened',
  text: 'payload',
  textType: 'msg',
  wires: [[]],
  ...extra,
});

describe('event node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  it('sends the text with the configured type', async () => {
    const e = await suite.load([node()], 'e');
    e.receive({ payload: 'Door opened, "front"' });
    const sim = suite.sim();
    await sim.waitFor(() => sim.events.some((x) => x.type === 'c8y_DoorOpened'), 3000, 'event');
    assert.equal(sim.events.find((x) => x.type === 'c8y_DoorOpened')?.text, 'Door opened, "front"');
  });

  it('takes type and text from an object payload', async () => {
    const e = await suite.load([node()], 'e');
    e.receive({ payload: { type: 'c8y_Custom', text: 'hello' } });
    const sim = suite.sim();
    await sim.waitFor(() => sim.events.some((x) => x.type === 'c8y_Custom' && x.text === 'hello'), 3000, 'event');
  });

  for (const [what, payload] of [
    ['an empty text', ''],
    ['no text at all', undefined],
    ['an object without text', { type: 'x' }],
    ['a text too large for one record', 'x'.repeat(20_000)],
  ] as const) {
    it(`refuses ${what} with an error and a red status`, async () => {
      const e = await suite.load([node()], 'e');
      const red = statusMatching(e, (s) => s['fill'] === 'red');
      const err = await errorFor(e, { payload });
      assert.ok(err.message.length > 0);
      await red;
      const sim = suite.sim();
      assert.equal(sim.events.filter((x) => x.type === 'c8y_DoorOpened').length, 0);
    });
  }
});
