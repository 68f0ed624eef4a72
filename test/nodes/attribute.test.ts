import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { hdcSuite } from '../support/hdc-suite';
import { errorFor } from '../support/node-suite';
import { statusMatching } from '../support/red';

const MODULE: unknown = require('../../nodes/attribute');

const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'a',
  type: 'device-agent-attribute',
  connection: 'conn',
  key: '',
  value: 'payload',
  valueType: 'msg',
  wires: [['out']],
  ...extra,
});

describe('attribute node (Helix Device Cloud)', { timeout: 30_000 }, () => {
  const suite = hdcSuite();

  it('sends every key of an object as an attribute, numbers and booleans as text', async () => {
    const a = await suite.load([node()], 'a', [MODULE]);
    a.receive({ payload: { os_name: 'Linux', cores: 4, ssh: true } });
    const sim = suite.sim();
    await sim.waitFor(() => sim.attributes.length === 3, 3000, 'attributes');
    assert.deepEqual(
      sim.attributes.map((x) => [x.key, x.value]),
      [
        ['os_name', 'Linux'],
        ['cores', '4'],
        ['ssh', 'true'],
      ],
    );
  });

  it('names a single value by the node setting, else by msg.topic', async () => {
    const a = await suite.load([node({ key: 'fw_version' })], 'a', [MODULE]);
    a.receive({ payload: '1.2.3', topic: 'ignored' });
    const sim = suite.sim();
    await sim.waitFor(() => sim.attributes.length === 1, 3000, 'attribute');
    assert.deepEqual([sim.attributes[0]?.key, sim.attributes[0]?.value], ['fw_version', '1.2.3']);
  });

  for (const [what, msg] of [
    ['a single value without a name', { payload: 'x' }],
    ['a bad attribute name', { payload: { 'a b': 'x' } }],
    ['an object value', { payload: { a: { b: 1 } } }],
    ['an empty object', { payload: {} }],
  ] as const) {
    it(`refuses ${what} with an error and a red status, sending nothing`, async () => {
      const a = await suite.load([node()], 'a', [MODULE]);
      const red = statusMatching(a, (s) => s['fill'] === 'red');
      const err = await errorFor(a, msg);
      assert.ok(err.message.length > 0);
      await red;
      assert.equal(suite.sim().attributes.length, 0);
    });
  }
});
