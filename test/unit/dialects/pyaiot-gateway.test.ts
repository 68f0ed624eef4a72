/**
 * The gateway side of the pyaiot dialect against pyaiot.md §7 G1–G10 with a controllable clock:
 * liveness is tested at 120 s without waiting 120 s. Bad input (§ "Bad input" of issue 7) is
 * ignored with a counted warning.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { GatewayTable, GATEWAY_CHECK, type Effects } from '../../../dialects/pyaiot';

function table(opts: Partial<{ maxTimeSec: number; maxNodes: number; maxResources: number }> = {}): GatewayTable {
  let n = 0;
  return new GatewayTable({ maxTimeSec: 120, maxNodes: 100, maxResources: 8, newUid: () => `uid-${(n += 1)}`, ...opts });
}

const types = (fx: Effects): string[] =>
  fx.emit.map((e) => (e.payload.type === 'update' ? `update ${e.payload.endpoint}=${JSON.stringify(e.payload.data)}` : e.payload.type));

describe('pyaiot gateway table', () => {
  it('G1: a new node → new, update id, update protocol, and discover resources', () => {
    const t = table();
    const fx = t.check('{"id":"nr1"}', 0);
    assert.deepEqual(types(fx), ['new', 'update id="nr1"', 'update protocol="MQTT"']);
    assert.deepEqual(fx.emit[0]!.payload, { type: 'new', uid: 'uid-1', dst: 'all' });
    assert.deepEqual(fx.publish, [{ topic: 'gateway/nr1/discover', payload: 'resources' }]);
    assert.equal(t.size, 1);
  });

  it('G2/G3: resources → discover values; a listed value → update', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    assert.deepEqual(t.resources('nr1', '["led","temperature"]').publish, [{ topic: 'gateway/nr1/discover', payload: 'values' }]);
    const fx = t.value('nr1', 'temperature', '{"value":"21°C"}');
    assert.deepEqual(
      fx.emit.map((e) => e.payload),
      [{ type: 'update', uid: 'uid-1', endpoint: 'temperature', data: '21°C', dst: 'all' }],
    );
    assert.deepEqual(fx.emit[0]!.node.values, { temperature: '21°C' });
    assert.equal(t.value('nr1', 'temperature', '{"value":22.5}').emit[0]!.node.values['temperature'], 22.5);
  });

  it('G4: values that are not {"value": …} are ignored with a counted warning', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    t.resources('nr1', '["temperature"]');
    for (const bad of ['[1,2]', '"x"', 'not json', '{"val":1}', 'null']) {
      const fx = t.value('nr1', 'temperature', bad);
      assert.deepEqual(fx.emit, [], bad);
      assert.equal(fx.warnings.length, 1, bad);
    }
    assert.equal(t.malformed, 5);
  });

  it('G5/G6: resources of an unknown node and values of unlisted resources are dropped silently', () => {
    const t = table();
    assert.deepEqual(t.resources('nr9', '["a"]'), { emit: [], publish: [], warnings: [] });
    t.check('{"id":"nr1"}', 0);
    t.resources('nr1', '["led"]');
    assert.deepEqual(t.value('nr1', 'unlisted', '{"value":1}').emit, []);
  });

  it('G7/G8: silent for more than 120 s → out; a later check → a new uid and discovery again', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    t.resources('nr1', '["led"]');
    t.value('nr1', 'led', '{"value":"1"}');
    assert.deepEqual(t.sweep(120_000).emit, [], 'exactly 120 s is still alive');
    // Values do not refresh liveness (§4): only node/check does.
    t.value('nr1', 'led', '{"value":"0"}');
    const out = t.sweep(121_000);
    assert.deepEqual(
      out.emit.map((e) => e.payload),
      [{ type: 'out', uid: 'uid-1' }],
    );
    assert.equal(t.size, 0);
    assert.deepEqual(t.value('nr1', 'led', '{"value":"1"}').emit, [], 'a value after removal is dropped, no crash');
    const again = t.check('{"id":"nr1"}', 130_000);
    assert.equal(again.emit[0]!.payload.uid, 'uid-2');
    assert.deepEqual(again.publish, [{ topic: 'gateway/nr1/discover', payload: 'resources' }]);
  });

  it('a check every 30 s keeps a node alive for hours; a known check only refreshes', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    for (let s = 30; s <= 4 * 3600; s += 30) {
      const fx = t.check('{"id":"nr1"}', s * 1000);
      assert.deepEqual(fx, { emit: [], publish: [], warnings: [] });
      assert.deepEqual(t.sweep(s * 1000 + 999).emit, []);
    }
    assert.equal(t.size, 1);
  });

  it('G9: set by uid, by id, or in the pyaiot client shape → raw text on gateway/<id>/<r>/set', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    const pub = { topic: 'gateway/nr1/led/set', payload: '1' };
    assert.deepEqual(t.set({ uid: 'uid-1', endpoint: 'led', payload: '1' }), { ok: true, publish: pub });
    assert.deepEqual(t.set({ id: 'nr1', endpoint: 'led', payload: 1 }), { ok: true, publish: pub });
    assert.deepEqual(t.set({ type: 'update', data: { uid: 'uid-1', endpoint: 'led', payload: '1' } }), { ok: true, publish: pub });
    assert.equal(t.set({ uid: 'nope', endpoint: 'led', payload: '1' }).ok, false);
    assert.equal(t.set({ uid: 'uid-1', endpoint: 'a/b', payload: '1' }).ok, false);
    assert.equal(t.set({ uid: 'uid-1', endpoint: 'led', payload: { x: 1 } }).ok, false);
    assert.equal(t.set('led=1').ok, false);
  });

  it('G10: gateway/check is empty', () => {
    assert.deepEqual(GATEWAY_CHECK, { topic: 'gateway/check', payload: '' });
  });

  it('malformed announcements are ignored with a counted warning', () => {
    const t = table();
    for (const bad of ['', 'nr1', '{"id":1}', '[]', '{"id":"a/b"}', '{"id":"+"}', '{"id":""}', '{"name":"x"}']) {
      const fx = t.check(bad, 0);
      assert.deepEqual(fx.emit, [], bad);
      assert.equal(fx.warnings.length, 1, bad);
    }
    assert.equal(t.size, 0);
    assert.equal(t.malformed, 8);
  });

  it('resource names with wildcards, slashes or reserved words are not listed; long lists are cut', () => {
    const t = table({ maxResources: 3 });
    t.check('{"id":"nr1"}', 0);
    const fx = t.resources('nr1', '["id","a/b","x+","#","ok","protocol","b","c","d"]');
    assert.equal(t.get('nr1')!.resources.join(','), 'ok,b,c');
    assert.ok(fx.warnings.length >= 6);
    assert.equal(t.resources('nr1', '{"a":1}').warnings.length, 1);
    assert.equal(t.resources('nr1', '[1,2]').warnings.length, 1);
  });

  it('a flood of fake nodes fills the table to its cap, the rest is refused and counted', () => {
    const t = table({ maxNodes: 50 });
    let warnings = 0;
    for (let i = 0; i < 10_000; i += 1) warnings += t.check(JSON.stringify({ id: `fake${i}` }), i).warnings.length;
    assert.equal(t.size, 50);
    assert.equal(t.full, true);
    assert.equal(t.refused, 9950);
    assert.equal(warnings, 9950);
    // Known nodes still live on while full, and room comes back once they expire.
    assert.deepEqual(t.check('{"id":"fake0"}', 10_000).warnings, []);
    t.sweep(10_000 + 121_000);
    assert.equal(t.size, 0);
    assert.equal(t.check('{"id":"real"}', 200_000).emit[0]!.payload.type, 'new');
  });

  it('generic announcements: no discovery publish, their keys become resources', () => {
    const t = table();
    const fx = t.announce('dev7', 'generic', 0);
    assert.deepEqual(fx.publish, []);
    assert.deepEqual(types(fx), ['new', 'update id="dev7"', 'update protocol="generic"']);
    assert.deepEqual(types(t.genericValues('dev7', { id: 'dev7', temperature: 20, 'a/b': 1 })), ['update temperature=20']);
  });

  it('replay gives new, id, protocol and every cached value of every node', () => {
    const t = table();
    t.check('{"id":"nr1"}', 0);
    t.resources('nr1', '["led"]');
    t.value('nr1', 'led', '{"value":"1"}');
    assert.deepEqual(
      t.replay().map((e) => e.payload.type + (e.payload.type === 'update' ? `:${e.payload.endpoint}` : '')),
      ['new', 'update:id', 'update:protocol', 'update:led'],
    );
  });
});
