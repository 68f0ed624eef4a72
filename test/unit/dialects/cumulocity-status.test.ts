// Operation status lines (protocol reference §3.4, §6.1 501–506, §8, §9): wire form and truncation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FAILURE_REASON, decodePayload, encodeStatus, MAX_PAYLOAD_BYTES, TRIM_MARKER } from '../../../dialects/cumulocity';
import type { Operation, OperationStatus, Outbound, Result, StatusReport } from '../../../dialects/types';

const OP: Operation = { id: '4711', fragment: 'c8y_Command', deviceId: 'rpi-0001', params: { text: 'uptime' } };

function value<V>(r: Result<V>): V {
  if (!r.ok) assert.fail(r.error);
  return r.value;
}
function errorOf<V>(r: Result<V>): string {
  if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}
/** Fields of the single record a status encodes to. */
function fieldsOf(r: Result<Outbound>): string[] {
  const records = value(decodePayload(value(r).payload));
  assert.equal(records.length, 1);
  return records[0] ?? [];
}
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('cumulocity status: wire form (§6.1, §8)', () => {
  const cases: [OperationStatus, 'id' | 'static', Partial<StatusReport>, string][] = [
    ['EXECUTING', 'id', {}, '504,4711'],
    ['FAILED', 'id', { reason: 'disk full' }, '505,4711,disk full'],
    ['SUCCESSFUL', 'id', {}, '506,4711'],
    ['SUCCESSFUL', 'id', { result: ['total 0'] }, '506,4711,total 0'],
    ['EXECUTING', 'static', {}, '501,c8y_Command'],
    ['FAILED', 'static', { reason: 'Could not restart' }, '502,c8y_Command,Could not restart'],
    ['SUCCESSFUL', 'static', { result: ['line 1\nline "2"', 'x'] }, '503,c8y_Command,"line 1\nline ""2""",x'],
    ['SUCCESSFUL', 'static', { result: [] }, '503,c8y_Command'],
  ];
  for (const [status, mode, extra, payload] of cases) {
    it(`encodes ${status} in ${mode} mode as ${JSON.stringify(payload)}`, () => {
      assert.deepEqual(value(encodeStatus({ operation: OP, status, ...extra }, mode)), {
        topic: 's/us',
        payload,
        priority: 'control',
        batchable: true,
      });
    });
  }

  it('refuses id mode without an operation id', () => {
    const { id: _omit, ...noId } = OP;
    assert.match(errorOf(encodeStatus({ operation: noId, status: 'EXECUTING' }, 'id')), /operation id is required/);
    assert.match(errorOf(encodeStatus({ operation: { ...OP, id: '' }, status: 'EXECUTING' }, 'id')), /operation id/);
    assert.equal(value(encodeStatus({ operation: noId, status: 'EXECUTING' }, 'static')).payload, '501,c8y_Command');
  });

  it('refuses static mode without a fragment', () => {
    assert.match(errorOf(encodeStatus({ operation: { ...OP, fragment: '' }, status: 'EXECUTING' }, 'static')), /fragment/);
  });

  it('gives FAILED without a reason the default reason', () => {
    assert.deepEqual(fieldsOf(encodeStatus({ operation: OP, status: 'FAILED' }, 'static')), ['502', 'c8y_Command', DEFAULT_FAILURE_REASON]);
    assert.deepEqual(fieldsOf(encodeStatus({ operation: OP, status: 'FAILED', reason: '\u0000\u0007' }, 'id')), [
      '505',
      '4711',
      DEFAULT_FAILURE_REASON,
    ]);
  });

  it('reports an operation of a child on s/us/<child> when the root id is given', () => {
    const child = { ...OP, deviceId: 'rpi-0001-sense' };
    assert.equal(value(encodeStatus({ operation: child, status: 'EXECUTING' }, 'static', 'rpi-0001')).topic, 's/us/rpi-0001-sense');
    assert.equal(value(encodeStatus({ operation: OP, status: 'EXECUTING' }, 'static', 'rpi-0001')).topic, 's/us');
    assert.equal(value(encodeStatus({ operation: child, status: 'EXECUTING' }, 'static')).topic, 's/us');
  });
});

describe('cumulocity status: FAILED reasons cut to 500 bytes before encoding (§3.4)', () => {
  const reasonOf = (reason: string): string => fieldsOf(encodeStatus({ operation: OP, status: 'FAILED', reason }, 'id'))[2] ?? '';

  it('keeps a reason of exactly 500 bytes', () => {
    assert.equal(reasonOf('r'.repeat(500)), 'r'.repeat(500));
  });

  it('cuts a 501-byte reason to 500 bytes ending with the marker', () => {
    const out = reasonOf('r'.repeat(501));
    assert.equal(out, 'r'.repeat(500 - bytes(TRIM_MARKER)) + TRIM_MARKER);
    assert.equal(bytes(out), 500);
  });

  it('never splits a 2-byte character', () => {
    const out = reasonOf('é'.repeat(300)); // 600 bytes
    assert.ok(bytes(out) <= 500);
    assert.equal(out, 'é'.repeat(244) + TRIM_MARKER); // 488 + 12 bytes
  });

  it('never splits a 4-byte character (surrogate pair)', () => {
    const out = reasonOf('🌡'.repeat(200)); // 800 bytes
    assert.ok(bytes(out) <= 500);
    assert.doesNotMatch(out, LONE_SURROGATE);
    assert.equal(out, '🌡'.repeat(122) + TRIM_MARKER); // 488 + 12 bytes
  });

  it('never splits a 3-byte character at an odd boundary', () => {
    const out = reasonOf(`a${'€'.repeat(200)}`);
    assert.equal(out, `a${'€'.repeat(162)}${TRIM_MARKER}`); // 1 + 486 + 12 bytes
  });

  it('counts the reason after stripping control characters', () => {
    assert.equal(reasonOf(`${'r'.repeat(500)}\u0000\u0001`), 'r'.repeat(500));
  });
});

describe('cumulocity status: SUCCESSFUL results cut to 15000 bytes before encoding (§3.4)', () => {
  const resultOf = (result: string[]): string[] => fieldsOf(encodeStatus({ operation: OP, status: 'SUCCESSFUL', result }, 'id')).slice(2);

  it('keeps a result of exactly 15000 bytes, newlines included', () => {
    const text = `${'x'.repeat(7000)}\n${'y'.repeat(7999)}`;
    assert.deepEqual(resultOf([text]), [text]);
  });

  it('cuts a 20000-byte command output to 15000 bytes ending with the marker', () => {
    const out = resultOf(['o'.repeat(20000)]);
    assert.equal(out.length, 1);
    assert.equal(bytes(out[0] ?? ''), 15000);
    assert.ok(out[0]?.endsWith(TRIM_MARKER));
  });

  it('cuts multi-byte output without splitting characters', () => {
    const [out = ''] = resultOf(['ü🌡'.repeat(4000)]); // 24000 bytes
    assert.ok(bytes(out) <= 15000);
    assert.ok(bytes(out) > 15000 - 6);
    assert.doesNotMatch(out, LONE_SURROGATE);
    assert.ok(out.endsWith(TRIM_MARKER));
  });

  it('counts all parameters together and drops the ones after the cut', () => {
    const out = resultOf(['a'.repeat(10000), 'b'.repeat(10000), 'c']);
    assert.deepEqual(out, ['a'.repeat(10000), 'b'.repeat(5000 - bytes(TRIM_MARKER)) + TRIM_MARKER]);
  });

  it('cuts further when escaping would push the record over 16000 bytes', () => {
    // 15000 quote characters pass the 15000-byte budget but double to 30000 on the wire.
    const r = encodeStatus({ operation: OP, status: 'SUCCESSFUL', result: ['"'.repeat(15000)] }, 'id');
    const payload = value(r).payload;
    assert.ok(bytes(payload) <= MAX_PAYLOAD_BYTES);
    assert.ok(bytes(payload) >= MAX_PAYLOAD_BYTES - 2);
    const [, , text = ''] = fieldsOf(r);
    assert.match(text, /^"+\.\.\.<trimmed>$/);
  });

  it('cuts a FAILED reason further when a long id leaves less room', () => {
    const op = { ...OP, id: 'i'.repeat(15700) };
    const r = encodeStatus({ operation: op, status: 'FAILED', reason: 'r'.repeat(500) }, 'id');
    assert.ok(bytes(value(r).payload) <= MAX_PAYLOAD_BYTES);
    assert.ok(fieldsOf(r)[2]?.endsWith(TRIM_MARKER));
  });

  it('still refuses a status whose fixed part alone is over the limit', () => {
    const op = { ...OP, id: 'i'.repeat(16000) };
    assert.match(errorOf(encodeStatus({ operation: op, status: 'EXECUTING' }, 'id')), /over the limit of 16000 bytes/);
  });
});
