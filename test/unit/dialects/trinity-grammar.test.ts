// Smart-MQTT payload grammar and its codes, checked in the reference's order (trinity.md §5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CODES, commandObject, parsePayload } from '../../../dialects/trinity';

const REFUSED: [string, string, number, string | undefined][] = [
  ['not JSON (T19)', 'hello', -14, undefined],
  ['JSON that is not an object', '[1,2]', -14, undefined],
  ['empty object', '{}', -1, undefined],
  ['unknown type', '{"q": [0, 1]}', -5, undefined],
  ['two types', '{"c": [0, ["a"]], "d": [0, 1]}', -5, undefined],
  ['value not an array', '{"c": 5}', -2, undefined],
  ['fewer than 2 items', '{"c": [0]}', -3, undefined],
  ['more than 3 items, TCT known (T12)', '{"c": [0, ">t4", ["a"], 1]}', -4, '>t4'],
  ['more than 3 items in an x too', '{"x": [0, 0, 1, 2]}', -4, undefined],
  ['second item neither TCT nor command', '{"c": [0, 5]}', -18, undefined],
  ['command not an array', '{"c": [0, ">t", "a"]}', -6, '>t'],
  ['TCT but no command', '{"c": [0, ">t"]}', -6, '>t'],
  ['empty command (T11)', '{"c": [0, ">t3", []]}', -7, '>t3'],
  ['command name not a string', '{"c": [0, ">t", [5]]}', -8, '>t'],
  ['events not an array', '{"e": [0, 5]}', -9, undefined],
  ['no events', '{"e": [0, []]}', -10, undefined],
  ['no good event', '{"e": [0, [[0, "x", "t"]]]}', -17, undefined],
];

describe('trinity grammar: refusals and their codes (§5)', () => {
  for (const [what, payload, code, tct] of REFUSED) {
    it(`${what}: code ${code}${tct ? `, TCT ${tct} kept` : ''}`, () => {
      const r = parsePayload(payload);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.code, code);
      assert.equal(r.tct, tct);
    });
  }
});

describe('trinity grammar: accepted payloads (§5)', () => {
  it('T6: a command with a TCT decodes to {sum_these: [1, 2, 3]}', () => {
    const r = parsePayload('{"c": [123456789,">a_tct", ["sum_these",1,2,3]]}');
    assert.ok(r.ok);
    assert.equal(r.code, CODES.OK);
    assert.equal(r.message.type, 'c');
    if (r.message.type !== 'c') return;
    assert.equal(r.message.ts, 123456789);
    assert.equal(r.message.tct, '>a_tct');
    assert.deepEqual(commandObject(r.message.name, r.message.args), { sum_these: [1, 2, 3] });
  });

  it('T7: a command without a TCT parses with no TCT', () => {
    const r = parsePayload('{"c": [0, ["sum_these", 1]]}');
    assert.ok(r.ok && r.message.type === 'c');
    if (r.message.type === 'c') assert.equal(r.message.tct, undefined);
  });

  it('T8: a time stamp that is not an integer gives code 1 and parsing goes on', () => {
    const r = parsePayload('{"c": ["x", ">t1", ["sum_these", 1]]}');
    assert.ok(r.ok);
    assert.equal(r.code, CODES.BAD_TIMESTAMP);
    assert.ok(r.message.type === 'c' && r.message.ts === undefined && r.message.name === 'sum_these');
  });

  it('events: all good gives 0, a bad one stops the scan with code 2', () => {
    const good = parsePayload('{"e": [0, [[0, 123, "a"], [-5, 124, "b"]]]}');
    assert.ok(good.ok && good.code === 0 && good.message.type === 'e' && good.message.events.length === 2);
    const some = parsePayload('{"e": [0, [[0, 123, "a"], ["bad"], [0, 125, "c"]]]}');
    assert.ok(some.ok && some.code === CODES.SOME_EVENTS_BROKEN && some.message.type === 'e');
    if (some.message.type === 'e') assert.deepEqual(some.message.events, [[0, 123, 'a']]);
  });

  it('d, x and i parse (a device ignores them, the simulator reads d/e/x)', () => {
    assert.ok(parsePayload('{"d": [0, {"temp": 21.5}]}').ok);
    const x = parsePayload('{"x": [0, 0, 6]}');
    assert.ok(x.ok && x.message.type === 'x' && x.message.code === 0 && x.message.result === 6);
    assert.ok(parsePayload('{"i": [0, 1]}').ok);
  });

  it('a key "__proto__" is an unknown type, not a prototype change', () => {
    const r = parsePayload('{"__proto__": [0, 1]}');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, -5);
  });
});
