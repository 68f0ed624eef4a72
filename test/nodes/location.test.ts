import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { hdcSuite } from '../support/hdc-suite';
import { errorFor } from '../support/node-suite';
import { statusMatching } from '../support/red';

const MODULE: unknown = require('../../nodes/location');

const node = (): object => ({
  id: 'l',
  type: 'device-agent-location',
  connection: 'conn',
  value: 'payload',
  valueType: 'msg',
  wires: [[]],
});

describe('location node (Helix Device Cloud)', { timeout: 30_000 }, () => {
  const suite = hdcSuite();

  it('sends a fix with the optional fields it was given and nulls for the rest', async () => {
    const l = await suite.load([node()], 'l', [MODULE]);
    l.receive({ payload: { latitude: '45.35', longitude: -75.91, speed: 3, city: 'Ottawa' } });
    const sim = suite.sim();
    await sim.waitFor(() => sim.locations.length === 1, 3000, 'location');
    const fix = sim.locations[0];
    assert.equal(fix?.['lat'], 45.35);
    assert.equal(fix?.['lng'], -75.91);
    assert.equal(fix?.['speed'], 3);
    assert.equal(fix?.['city'], 'Ottawa');
    assert.equal(fix?.['heading'], null);
  });

  for (const [what, payload] of [
    ['a latitude out of range', { lat: 91, lng: 0 }],
    ['a missing longitude', { lat: 1 }],
    ['a text heading', { lat: 1, lng: 2, heading: 'north' }],
    ['a plain number', 45],
  ] as const) {
    it(`refuses ${what} with an error and a red status, sending nothing`, async () => {
      const l = await suite.load([node()], 'l', [MODULE]);
      const red = statusMatching(l, (s) => s['fill'] === 'red');
      const err = await errorFor(l, { payload });
      assert.ok(err.message.length > 0);
      await red;
      assert.equal(suite.sim().locations.length, 0);
    });
  }
});
