// Fuzz of the operation decoders (protocol reference §6.2, §8; issue 4 item 5; R5): every
// operation line either decodes to an operation of the right fragment or to bad-operation /
// ignored with a reason; valid lines always decode; nothing throws.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeDownstream,
  decodeJsonOperation,
  decodeRecords,
  decodeStaticOperation,
  encodeRecord,
  encodeRecords,
  MALFORMED_OPERATION,
  OPERATION_METADATA_KEYS,
  STATIC_OPERATIONS,
  stripControl,
} from '../../../dialects/cumulocity';
import type { Inbound } from '../../../dialects/types';
import { assertInbounds, params, RUNS, short, TIMEOUT_MS } from './check';
import { anyStaticFields, mutatedJsonOperation, validJsonOperation, validJsonPayload, validStaticLine } from './cumulocity-payloads';
import { mutated, payloads } from './text';

/** The outcome rule for one static record, checked against the fields it came from. */
function checkStatic(fields: readonly string[], out: Inbound): void {
  assertInbounds([out]);
  const id = fields[0] ?? '';
  const fragment = Object.hasOwn(STATIC_OPERATIONS, id) ? STATIC_OPERATIONS[id] : undefined;
  if (fragment === undefined) {
    assert.equal(out.kind, 'ignored', `unknown id ${short(id)} → ${short(out)}`);
    return;
  }
  const deviceId = fields[1] ?? '';
  switch (out.kind) {
    case 'operation':
      assert.equal(out.operation.fragment, fragment);
      assert.equal(out.operation.deviceId, deviceId);
      assert.equal(out.operation.id, undefined, 'static operations carry no id');
      assert.ok(typeof out.operation.params === 'object' && out.operation.params !== null, short(out));
      return;
    case 'bad-operation':
      assert.equal(out.fragment, fragment);
      assert.equal(out.deviceId, deviceId);
      assert.equal(out.reason, MALFORMED_OPERATION);
      return;
    case 'ignored':
      assert.equal(deviceId, '', `only a line without a device id is ignored: ${short(out)}`);
      return;
    default:
      assert.fail(`a static operation line decoded to ${out.kind}`);
  }
}

/** The outcome rule for one JSON operation value. */
function checkJson(json: unknown, out: Inbound): void {
  assertInbounds([out], ['operation', 'ignored']);
  if (out.kind !== 'operation') return;
  assert.ok(typeof json === 'object' && json !== null && !Array.isArray(json));
  const obj = json as Record<string, unknown>;
  const { fragment, params: p, id, deviceId } = out.operation;
  assert.ok(Object.hasOwn(obj, fragment), `fragment ${short(fragment)} is a key of the operation`);
  assert.ok(!OPERATION_METADATA_KEYS.has(fragment), `metadata key ${fragment} taken as the fragment`);
  assert.deepEqual(p, obj[fragment]);
  assert.ok(id !== undefined && id !== '');
  assert.ok(obj['status'] !== 'SUCCESSFUL' && obj['status'] !== 'FAILED', 'a finished operation is not run again');
  // The first c8y_ key wins when there is one (§8).
  const c8y = Object.keys(obj).find((k) => k.startsWith('c8y_') && !OPERATION_METADATA_KEYS.has(k));
  if (c8y !== undefined) assert.equal(fragment, c8y);
  assert.ok(deviceId !== '');
}

describe(`fuzz: operation decoders (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  it('decodeStaticOperation: any field list → operation of its fragment, bad-operation or ignored', () => {
    fc.assert(
      fc.property(anyStaticFields, (fields) => checkStatic(fields, decodeStaticOperation(fields))),
      params(),
    );
  });

  it('decodeStaticOperation: every valid line of every template decodes to its operation', () => {
    fc.assert(
      fc.property(validStaticLine, (line) => {
        const out = decodeStaticOperation(line.fields);
        if (out.kind !== 'operation') assert.fail(`${short(line.fields)} → ${short(out)}`);
        assert.equal(out.operation.fragment, line.fragment);
        assert.equal(out.operation.deviceId, line.fields[1]);
      }),
      params(),
    );
  });

  it('s/ds: valid lines survive encoding and decode to their operations, in order', () => {
    fc.assert(
      fc.property(fc.array(validStaticLine, { minLength: 1, maxLength: 6 }), (lines) => {
        const out = decodeDownstream('s/ds', encodeRecords(lines.map((l) => l.fields)));
        assert.equal(out.length, lines.length);
        for (const [i, l] of lines.entries()) {
          const o = out[i];
          if (o?.kind !== 'operation') assert.fail(`${short(l.fields)} → ${short(o)}`);
          assert.equal(o.operation.fragment, l.fragment);
          assert.equal(o.operation.deviceId, stripControl(l.fields[1] ?? ''));
        }
      }),
      params(),
    );
  });

  it('s/ds: mutated operation lines each decode by the rule of the record they became', () => {
    const lines = fc.array(validStaticLine, { minLength: 1, maxLength: 4 }).map((ls) => encodeRecords(ls.map((l) => l.fields)));
    fc.assert(
      fc.property(payloads(lines), (payload) => {
        const out = decodeDownstream('s/ds', payload);
        const recs = decodeRecords(payload);
        if (!recs.ok) {
          assertInbounds(out, ['ignored']);
          assert.equal(out.length, 1);
          return;
        }
        assert.equal(out.length, recs.value.length);
        for (const [i, rec] of recs.value.entries()) {
          const o = out[i];
          assert.ok(o !== undefined);
          const id = rec.fields[0] ?? '';
          if (Object.hasOwn(STATIC_OPERATIONS, id)) checkStatic(rec.fields, o);
          else assertInbounds([o], ['reply', 'ignored']);
        }
      }),
      params(),
    );
  });

  it('decodeJsonOperation: any JSON value → operation with a real fragment, or ignored with a reason', () => {
    const anyJson = fc.oneof(
      { arbitrary: mutatedJsonOperation, weight: 4 },
      { arbitrary: validJsonOperation.map((o) => o.json), weight: 2 },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 },
      { arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }), weight: 1 },
    );
    fc.assert(
      fc.property(anyJson, (json) => checkJson(json, decodeJsonOperation(json))),
      params(),
    );
  });

  it('decodeJsonOperation: every valid operation decodes with its c8y_ fragment and params', () => {
    fc.assert(
      fc.property(validJsonOperation, ({ json, fragment }) => {
        const out = decodeJsonOperation(json);
        if (out.kind !== 'operation') assert.fail(`${short(json)} → ${short(out)}`);
        assert.equal(out.operation.fragment, fragment);
        assert.deepEqual(out.operation.params, json[fragment]);
        assert.equal(out.operation.id, String(json['id']));
      }),
      params(),
    );
  });

  it('devicecontrol/notifications: mutated JSON text decodes per operation or is ignored as not JSON', () => {
    fc.assert(
      fc.property(payloads(fc.oneof(validJsonPayload, mutated(validJsonPayload))), (payload) => {
        const out = decodeDownstream('devicecontrol/notifications', payload);
        let json: unknown;
        try {
          json = JSON.parse(payload);
        } catch {
          assertInbounds(out, ['ignored']);
          assert.equal(out.length, 1);
          return;
        }
        const list: unknown[] = Array.isArray(json) ? json : [json];
        assert.equal(out.length, list.length);
        for (const [i, item] of list.entries()) checkJson(item, out[i] as Inbound);
      }),
      params(),
    );
  });

  it('decodeJsonOperation: an empty key is not taken as the fragment', () => {
    const out = decodeJsonOperation({ id: '1', deviceId: 'd', '': {} });
    assert.ok(out.kind !== 'operation' || out.operation.fragment !== '', short(out));
  });

  it('decodeStaticOperation agrees with decodeDownstream on a single encoded line', () => {
    fc.assert(
      fc.property(anyStaticFields, (fields) => {
        const line = encodeRecord(fields);
        const recs = decodeRecords(line);
        fc.pre(recs.ok && recs.value.length === 1);
        const [viaTopic] = decodeDownstream('s/ds', line);
        const direct = decodeStaticOperation(recs.ok ? (recs.value[0]?.fields ?? []) : []);
        const id = (recs.ok ? recs.value[0]?.fields[0] : undefined) ?? '';
        if (Object.hasOwn(STATIC_OPERATIONS, id)) assert.deepEqual(viaTopic, direct);
      }),
      params(),
    );
  });
});
