// Upstream static templates (protocol reference §3.1, §3.4, §6.1): exact wire strings and limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_RULE,
  batchPayloads,
  DEFAULT_FAILURE_REASON,
  decodePayload,
  encodeAgentInfo,
  encodeAlarm,
  encodeBulkFail,
  encodeDeviceCreate,
  encodeEvent,
  encodeGetPending,
  encodeHardware,
  encodeLine,
  encodeMeasurement,
  encodeRequiredInterval,
  encodeSupportedOperations,
  formatNumber,
  formatTime,
  MAX_PAYLOAD_BYTES,
} from '../../../dialects/cumulocity';
import type { Outbound, Result } from '../../../dialects/types';

const T = new Date('2024-05-06T07:08:09.010Z');
const TS = '2024-05-06T07:08:09.010Z';

function value<V>(r: Result<V>): V {
  if (!r.ok) assert.fail(r.error);
  return r.value;
}
function errorOf<V>(r: Result<V>): string {
  if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}
const payloadOf = (r: Result<Outbound>): string => value(r).payload;

describe('cumulocity encode: formatNumber (§3.1 rule 7)', () => {
  const cases: [number, string][] = [
    [25.3, '25.3'],
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-17.25, '-17.25'],
    [1e-7, '0.0000001'],
    [2.5e-7, '0.00000025'],
    [-1.5e-10, '-0.00000000015'],
    [0.000001, '0.000001'],
    [1e21, '1000000000000000000000'],
    [1.2345e25, '12345000000000000000000000'],
    [-1e21, '-1000000000000000000000'],
    [123456789012345680000, '123456789012345680000'],
    [5e-324, `0.${'0'.repeat(323)}5`],
  ];
  for (const [n, text] of cases) {
    it(`formats ${String(n)} as plain digits ${text.length > 30 ? `(${text.length} chars)` : text}`, () => {
      const out = value(formatNumber(n));
      assert.equal(out, text);
      assert.doesNotMatch(out, /e/i);
      assert.equal(Number(out), n === 0 ? 0 : n);
    });
  }

  it('formats Number.MAX_VALUE with 309 digits and no exponent', () => {
    const out = value(formatNumber(Number.MAX_VALUE));
    assert.match(out, /^\d{309}$/);
    assert.equal(Number(out), Number.MAX_VALUE);
  });

  for (const n of [NaN, Infinity, -Infinity]) {
    it(`refuses ${String(n)}`, () => {
      assert.match(errorOf(formatNumber(n)), /not a finite number/);
    });
  }
});

describe('cumulocity encode: time (§3.1 rule 7)', () => {
  it('formats ISO-8601 with milliseconds and Z', () => {
    assert.equal(formatTime(new Date(Date.UTC(2016, 5, 22, 15, 3, 14))), '2016-06-22T15:03:14.000Z');
  });

  it('refuses an invalid date in every time-carrying encoder', () => {
    const bad = new Date('nope');
    assert.match(errorOf(encodeMeasurement({ time: bad, series: [{ fragment: 'f', series: 's', value: 1 }] })), /invalid time/);
    assert.match(errorOf(encodeEvent({ type: 't', text: 'x', time: bad })), /invalid time/);
    assert.match(errorOf(encodeAlarm({ action: 'raise', type: 't', severity: 'MAJOR', text: 'x', time: bad })), /invalid time/);
  });
});

describe('cumulocity encode: measurements (§6.1 200/201)', () => {
  it('encodes one series as 200 with unit and time', () => {
    const out = value(encodeMeasurement({ time: T, series: [{ fragment: 'c8y_Temperature', series: 'T', value: 25.3, unit: 'C' }] }));
    assert.deepEqual(out, {
      topic: 's/us',
      payload: `200,c8y_Temperature,T,25.3,C,${TS}`,
      priority: 'telemetry',
      batchable: true,
    });
  });

  it('leaves an empty unit field for a series without unit', () => {
    const out = encodeMeasurement({ time: T, series: [{ fragment: 'f', series: 's', value: 1e-7 }] });
    assert.equal(payloadOf(out), `200,f,s,0.0000001,,${TS}`);
  });

  it('encodes several series as 201 with the type defaulting to the first fragment', () => {
    const out = encodeMeasurement({
      time: T,
      series: [
        { fragment: 'env', series: 'T', value: 21.5, unit: 'C' },
        { fragment: 'env', series: 'H', value: 40, unit: '%' },
        { fragment: 'other', series: 'P', value: -0 },
      ],
    });
    assert.equal(payloadOf(out), `201,env,${TS},env,T,21.5,C,env,H,40,%,other,P,0,`);
  });

  it('uses 201 for one series when the type differs from the fragment, so the type is kept', () => {
    const out = encodeMeasurement({ type: 'myType', time: T, series: [{ fragment: 'f', series: 's', value: 2 }] });
    assert.equal(payloadOf(out), `201,myType,${TS},f,s,2,`);
  });

  it('publishes on s/us/<child> for a child device', () => {
    const out = value(encodeMeasurement({ child: 'rpi-0001-sense', time: T, series: [{ fragment: 'f', series: 's', value: 1 }] }));
    assert.equal(out.topic, 's/us/rpi-0001-sense');
  });

  it('refuses a child id that would break the topic', () => {
    assert.match(errorOf(encodeMeasurement({ child: 'a/b', time: T, series: [{ fragment: 'f', series: 's', value: 1 }] })), /child/);
  });

  it('refuses an empty series list, empty names and non-finite values', () => {
    assert.match(errorOf(encodeMeasurement({ time: T, series: [] })), /at least one series/);
    assert.match(errorOf(encodeMeasurement({ time: T, series: [{ fragment: '', series: 's', value: 1 }] })), /must not be empty/);
    assert.match(errorOf(encodeMeasurement({ time: T, series: [{ fragment: 'f', series: '', value: 1 }] })), /must not be empty/);
    assert.match(errorOf(encodeMeasurement({ time: T, series: [{ fragment: 'f', series: 's', value: NaN }] })), /f\.s: not a finite/);
    assert.match(errorOf(encodeMeasurement({ time: T, series: [{ fragment: 'f', series: 's', value: Infinity }] })), /not a finite/);
  });
});

describe('cumulocity encode: events and alarms (§6.1 301–306, 400)', () => {
  it('encodes an event as 400,type,text,time and quotes the text when needed', () => {
    const out = value(encodeEvent({ type: 'c8y_Joystick', text: 'pressed, middle', time: T }));
    assert.deepEqual(out, { topic: 's/us', payload: `400,c8y_Joystick,"pressed, middle",${TS}`, priority: 'telemetry', batchable: true });
  });

  it('refuses an event without text or type', () => {
    assert.match(errorOf(encodeEvent({ type: 'x', text: '', time: T })), /event text must not be empty/);
    assert.match(errorOf(encodeEvent({ type: '', text: 'x', time: T })), /event type must not be empty/);
  });

  const severities: ['CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING', string][] = [
    ['CRITICAL', '301'],
    ['MAJOR', '302'],
    ['MINOR', '303'],
    ['WARNING', '304'],
  ];
  for (const [severity, id] of severities) {
    it(`raises a ${severity} alarm with ${id} as control traffic`, () => {
      const out = value(encodeAlarm({ action: 'raise', type: 'c8y_TemperatureAlarm', severity, text: 'Too hot', time: T }));
      assert.deepEqual(out, { topic: 's/us', payload: `${id},c8y_TemperatureAlarm,Too hot,${TS}`, priority: 'control', batchable: true });
    });
  }

  it('clears an alarm by type with 306 on the child topic', () => {
    const out = value(encodeAlarm({ action: 'clear', type: 'c8y_TemperatureAlarm', child: 'kid' }));
    assert.deepEqual(out, { topic: 's/us/kid', payload: '306,c8y_TemperatureAlarm', priority: 'control', batchable: true });
  });

  it('refuses an alarm without type', () => {
    assert.match(errorOf(encodeAlarm({ action: 'clear', type: '' })), /alarm type/);
  });
});

describe('cumulocity encode: start-up lines (§5, §6.1)', () => {
  it('encodes 100 as its own, non-batchable control publish', () => {
    assert.deepEqual(value(encodeDeviceCreate('rpi-0001', 'c8y_Pi')), {
      topic: 's/us',
      payload: '100,rpi-0001,c8y_Pi',
      priority: 'control',
      batchable: false,
    });
  });

  it('encodes 110, 122, 500 exactly', () => {
    assert.equal(payloadOf(encodeHardware('0000000017b769d5', 'BCM2835', 'a02082')), '110,0000000017b769d5,BCM2835,a02082');
    assert.equal(
      payloadOf(encodeAgentInfo('node-red-contrib-device-agent', '1.0.0', '', 'ACME')),
      '122,node-red-contrib-device-agent,1.0.0,,ACME',
    );
    assert.equal(payloadOf(encodeGetPending()), '500');
    assert.equal(value(encodeGetPending()).priority, 'control');
  });

  it('encodes 114 de-duplicated in first-seen order and refuses empty names', () => {
    const out = encodeSupportedOperations(['c8y_Restart', 'c8y_Command', 'c8y_Restart', 'c8y_Firmware', 'c8y_Command']);
    assert.equal(payloadOf(out), '114,c8y_Restart,c8y_Command,c8y_Firmware');
    assert.match(errorOf(encodeSupportedOperations(['c8y_Restart', ''])), /must not be empty/);
  });

  it('encodes 117 for whole minutes only', () => {
    assert.equal(payloadOf(encodeRequiredInterval(10)), '117,10');
    assert.equal(errorOf(encodeRequiredInterval(1.5)).length > 0, true);
    assert.equal(errorOf(encodeRequiredInterval(-1)).length > 0, true);
    assert.equal(errorOf(encodeRequiredInterval(NaN)).length > 0, true);
  });

  it('encodes 507 with its reason quoted and the fragment optional', () => {
    assert.equal(payloadOf(encodeBulkFail('c8y_Restart', 'Agent restarted, sorry')), '507,c8y_Restart,"Agent restarted, sorry"');
    assert.equal(payloadOf(encodeBulkFail('', 'Agent restarted')), '507,,Agent restarted');
  });

  it('encodes 507 reasons cut to 500 bytes', () => {
    const reason = value(decodePayload(payloadOf(encodeBulkFail('f', 'x'.repeat(900)))))[0]?.[2] ?? '';
    assert.equal(Buffer.byteLength(reason), 500);
    assert.ok(reason.endsWith('...<trimmed>'));
  });

  it('encodes generic lines on s/us or s/us/<child> with the given priority', () => {
    assert.deepEqual(value(encodeLine(['113', 'a=1\nb=2'], 'control')), {
      topic: 's/us',
      payload: '113,"a=1\nb=2"',
      priority: 'control',
      batchable: true,
    });
    assert.equal(value(encodeLine(['211', '25.3'], 'telemetry', 'kid')).topic, 's/us/kid');
    assert.match(errorOf(encodeLine([], 'control')), /numeric message id/);
    assert.match(errorOf(encodeLine(['abc'], 'control')), /numeric message id/);
  });

  it('uses DEFAULT_FAILURE_REASON as a non-empty text', () => {
    assert.ok(DEFAULT_FAILURE_REASON.length > 0);
  });
});

describe('cumulocity encode: payload size limit after escaping (§3.4)', () => {
  it('is 16000 bytes', () => {
    assert.equal(MAX_PAYLOAD_BYTES, 16000);
  });

  it('accepts a record of exactly 16000 bytes and refuses one of 16001 with both numbers in the error', () => {
    const at = value(encodeLine(['400', 'x'.repeat(15996)], 'telemetry'));
    assert.equal(Buffer.byteLength(at.payload), 16000);
    const over = errorOf(encodeLine(['400', 'x'.repeat(15997)], 'telemetry'));
    assert.match(over, /16001 bytes/);
    assert.match(over, /16000 bytes/);
  });

  it('counts the doubled quotes: 7997 quote characters fit, 7998 do not', () => {
    // 400, + "…" with every quote doubled: 4 + 2 + 2k bytes.
    assert.equal(Buffer.byteLength(payloadOf(encodeLine(['400', '"'.repeat(7997)], 'telemetry'))), 16000);
    assert.match(errorOf(encodeLine(['400', '"'.repeat(7998)], 'telemetry')), /16002 bytes after escaping/);
  });

  it('counts UTF-8 bytes, not JS characters', () => {
    // 'é' is 2 bytes: 4 + 2 * 7998 = 16000.
    assert.equal(Buffer.byteLength(payloadOf(encodeLine(['400', 'é'.repeat(7998)], 'telemetry'))), 16000);
    assert.match(errorOf(encodeLine(['400', `${'é'.repeat(7997)}xyz`], 'telemetry')), /16001 bytes/);
  });

  it('applies the limit to events too', () => {
    assert.match(errorOf(encodeEvent({ type: 't', text: 'a,'.repeat(8000), time: T })), /over the limit/);
  });
});

describe('cumulocity encode: batchPayloads (§3.1 rule 2, §3.4)', () => {
  const rule = { separator: '\n', maxPayloadBytes: 10 };

  it('exposes LF and 16000 bytes as the Cumulocity batch rule', () => {
    assert.deepEqual(BATCH_RULE, { separator: '\n', maxPayloadBytes: 16000 });
  });

  it('joins while the joined payload stays within the limit, separator included', () => {
    // 'aaaa\nbbbb' = 9 bytes; adding '\ncc' would make 12.
    assert.deepEqual(batchPayloads(['aaaa', 'bbbb', 'cc'], rule), ['aaaa\nbbbb', 'cc']);
  });

  it('fills a batch to exactly the limit', () => {
    assert.deepEqual(batchPayloads(['aaaa', 'bbbbb', 'c'], rule), ['aaaa\nbbbbb', 'c']);
    assert.deepEqual(batchPayloads(['aaaa', 'bbbb', 'c'], { separator: '\n', maxPayloadBytes: 9 }), ['aaaa\nbbbb', 'c']);
  });

  it('returns an over-limit payload alone and keeps the order', () => {
    assert.deepEqual(batchPayloads(['a', 'x'.repeat(11), 'b', 'c'], rule), ['a', 'x'.repeat(11), 'b\nc']);
  });

  it('counts bytes, not characters', () => {
    assert.deepEqual(batchPayloads(['éé', 'ééé'], rule), ['éé', 'ééé']); // 4 + 1 + 6 = 11
    assert.deepEqual(batchPayloads(['éé', 'éé'], rule), ['éé\néé']); // 4 + 1 + 4 = 9
  });

  it('returns nothing for nothing and one payload as is', () => {
    assert.deepEqual(batchPayloads([], rule), []);
    assert.deepEqual(batchPayloads(['abc'], rule), ['abc']);
  });

  it('splits real records at record boundaries under 16000 bytes', () => {
    const line = payloadOf(encodeLine(['400', 'x'.repeat(3995)], 'telemetry')); // 3999 bytes
    const out = batchPayloads([line, line, line, line, line], BATCH_RULE);
    assert.deepEqual(
      out.map((p) => Buffer.byteLength(p)),
      [15999, 3999],
    );
    assert.deepEqual(value(decodePayload(out[0] ?? '')).length, 4);
  });
});
