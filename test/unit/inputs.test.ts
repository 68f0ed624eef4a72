// Flow input → dialect-neutral records (nodes/inputs.ts): times, measurements, events, alarms,
// operation outcomes and fragment lists, including every kind of bad input a flow can send.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isSeverity,
  parseFragments,
  toAlarm,
  toEvent,
  toMeasurement,
  toStatus,
  toTime,
  type AlarmSettings,
  type MeasurementSettings,
  type StatusInput,
} from '../../nodes/inputs';
import type { Result } from '../../dialects/types';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const T = new Date('2024-04-30T08:15:00.000Z');

function value<V>(r: Result<V>): V {
  if (!r.ok) assert.fail(`expected ok, got error: ${r.error}`);
  return r.value;
}
function errorOf<V>(r: Result<V>): string {
  if (r.ok) assert.fail(`expected an error, got ${String(JSON.stringify(r.value))}`);
  return r.error;
}
/** An object that refers to itself: JSON.stringify throws on it. */
function circular(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o['self'] = o;
  return o;
}

describe('toTime', () => {
  it('uses now when the time is absent, null or empty', () => {
    for (const v of [undefined, null, '']) assert.equal(value(toTime(v, NOW)), NOW);
  });

  it('accepts a Date, epoch milliseconds as a number or digit string, and an ISO string', () => {
    const d = new Date('2024-01-02T03:04:05.678Z');
    assert.equal(value(toTime(d, NOW)), d);
    assert.equal(value(toTime(d.getTime(), NOW)).toISOString(), d.toISOString());
    assert.equal(value(toTime(String(d.getTime()), NOW)).toISOString(), d.toISOString());
    assert.equal(value(toTime('2024-01-02T05:04:05.678+02:00', NOW)).toISOString(), d.toISOString());
    assert.equal(value(toTime(0, NOW)).toISOString(), '1970-01-01T00:00:00.000Z');
  });

  it('reads a digit string as milliseconds, not as a year', () => {
    assert.equal(value(toTime('2024', NOW)).getTime(), 2024);
  });

  it('rejects NaN, Infinity, out-of-range epochs and unparsable strings', () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 8.64e15 + 1, 'yesterday', 'not a date']) {
      assert.match(errorOf(toTime(v, NOW)), /timestamp is not a valid time/, String(v));
    }
  });

  it('rejects an invalid Date object', () => {
    assert.match(errorOf(toTime(new Date('nope'), NOW)), /timestamp is not a valid time/);
  });

  it('rejects booleans, objects and arrays instead of using now', () => {
    for (const v of [true, false, {}, { t: 1 }, [1]]) {
      assert.match(errorOf(toTime(v, NOW)), /timestamp is not a valid time/, JSON.stringify(v));
    }
  });

  it('names the bad value in the error, shortened', () => {
    assert.match(errorOf(toTime('yesterday', NOW)), /"yesterday"/);
    assert.ok(errorOf(toTime('x'.repeat(500), NOW)).length < 100);
  });

  it('returns an error rather than throwing for values JSON cannot show (BigInt, circular)', () => {
    assert.match(errorOf(toTime(10n, NOW)), /timestamp is not a valid time: 10/);
    assert.match(errorOf(toTime(circular(), NOW)), /timestamp is not a valid time/);
    assert.match(errorOf(toTime(Object.create(null) as unknown, NOW)), /timestamp is not a valid time/);
  });
});

describe('toMeasurement', () => {
  const S: MeasurementSettings = { type: '', fragment: 'c8y_Temperature', series: 'T', unit: 'C' };

  it('turns a number into one series named by the settings, type defaulting to the fragment', () => {
    assert.deepEqual(value(toMeasurement(25.3, S, T)), {
      type: 'c8y_Temperature',
      time: T,
      series: [{ fragment: 'c8y_Temperature', series: 'T', value: 25.3, unit: 'C' }],
    });
  });

  it('uses the configured type, trimmed, when set', () => {
    assert.equal(value(toMeasurement(1, { ...S, type: '  env ' }, T)).type, 'env');
  });

  it('trims the fragment and series names', () => {
    const m = value(toMeasurement(1, { ...S, fragment: ' c8y_X ', series: ' v ' }, T));
    assert.deepEqual(m.series[0], { fragment: 'c8y_X', series: 'v', value: 1, unit: 'C' });
    assert.equal(m.type, 'c8y_X');
  });

  it('accepts numeric strings (trimmed), booleans as 1/0, zero and negatives', () => {
    const cases: [unknown, number][] = [
      ['42', 42],
      [' -3.5 ', -3.5],
      ['1e3', 1000],
      [true, 1],
      [false, 0],
      [0, 0],
      [-7, -7],
    ];
    for (const [input, expected] of cases) {
      assert.equal(value(toMeasurement(input, S, T)).series[0]?.value, expected, JSON.stringify(input));
    }
  });

  it('leaves the unit out when none is configured', () => {
    const m = value(toMeasurement(5, { ...S, unit: '' }, T));
    assert.equal(m.series[0]?.unit, undefined);
  });

  it('rejects NaN and Infinity, as numbers and as strings', () => {
    assert.match(errorOf(toMeasurement(Number.NaN, S, T)), /payload is not a finite number: NaN/);
    assert.match(errorOf(toMeasurement(Number.POSITIVE_INFINITY, S, T)), /payload is not a finite number: Infinity/);
    assert.match(errorOf(toMeasurement(Number.NEGATIVE_INFINITY, S, T)), /not a finite number: -Infinity/);
    assert.match(errorOf(toMeasurement('Infinity', S, T)), /payload is not a finite number/);
    assert.match(errorOf(toMeasurement('NaN', S, T)), /payload is not a number: "NaN"/);
  });

  it('rejects non-numeric strings, blank strings, null, undefined and arrays', () => {
    for (const v of ['hot', '', '   ', '12abc', null, undefined, [1, 2], [21]]) {
      assert.match(errorOf(toMeasurement(v, S, T)), /payload is not a number/, String(JSON.stringify(v)));
    }
  });

  it('rejects a BigInt or a circular object with an error instead of throwing', () => {
    assert.match(errorOf(toMeasurement(5n, S, T)), /payload is not a number: 5/);
    assert.match(errorOf(toMeasurement({ a: { value: circular() } }, S, T)), /series "a" is not a number/);
  });

  it('rejects an empty fragment even for a valid number', () => {
    assert.equal(errorOf(toMeasurement(1, { ...S, fragment: '  ' }, T)), 'measurement fragment is empty');
  });

  it('rejects a number when the series name is empty', () => {
    assert.equal(errorOf(toMeasurement(1, { ...S, series: ' ' }, T)), 'measurement series is empty');
  });

  it('turns an object into one series per key, numbers or { value, unit }, in key order', () => {
    const m = value(toMeasurement({ T: 21.5, H: { value: '40', unit: '%' }, P: { value: 1013 } }, S, T));
    assert.deepEqual(m.series, [
      { fragment: 'c8y_Temperature', series: 'T', value: 21.5, unit: 'C' },
      { fragment: 'c8y_Temperature', series: 'H', value: 40, unit: '%' },
      { fragment: 'c8y_Temperature', series: 'P', value: 1013, unit: 'C' },
    ]);
    assert.equal(m.time, T);
  });

  it('does not need a configured series name for an object payload', () => {
    assert.equal(value(toMeasurement({ x: 1 }, { ...S, series: '' }, T)).series[0]?.series, 'x');
  });

  it('drops the unit of a series whose own unit is empty, and ignores a non-text unit', () => {
    const m = value(toMeasurement({ a: { value: 1, unit: '' }, b: { value: 2, unit: 7 } }, S, T));
    assert.equal(m.series[0]?.unit, undefined);
    assert.equal(m.series[1]?.unit, 'C');
  });

  it('rejects an empty object', () => {
    assert.equal(errorOf(toMeasurement({}, S, T)), 'payload object has no series');
  });

  it('rejects the whole object when one series is bad and names that series', () => {
    assert.match(errorOf(toMeasurement({ ok: 1, bad: 'x' }, S, T)), /series "bad" is not a number: "x"/);
    assert.match(errorOf(toMeasurement({ v: { unit: 'C' } }, S, T)), /series "v" is not a number: undefined/);
    assert.match(errorOf(toMeasurement({ v: Number.NaN }, S, T)), /series "v" is not a finite number/);
    assert.match(errorOf(toMeasurement({ v: {} }, S, T)), /series "v" is not a number/);
  });
});

describe('toEvent', () => {
  it('takes a text payload and the configured type, trimmed', () => {
    assert.deepEqual(value(toEvent('door opened', ' c8y_Door ', T)), { type: 'c8y_Door', text: 'door opened', time: T });
  });

  it('turns numbers and booleans into text', () => {
    assert.equal(value(toEvent(42, 't', T)).text, '42');
    assert.equal(value(toEvent(false, 't', T)).text, 'false');
    assert.equal(value(toEvent(0, 't', T)).text, '0');
  });

  it('takes text and type from an object, the object type winning over the configured one', () => {
    assert.deepEqual(value(toEvent({ text: 'pressed', type: 'c8y_Joystick' }, 'c8y_Default', T)), {
      type: 'c8y_Joystick',
      text: 'pressed',
      time: T,
    });
  });

  it('keeps the configured type when the object has none, an empty one or a non-text one', () => {
    assert.equal(value(toEvent({ text: 'x' }, 'cfg', T)).type, 'cfg');
    assert.equal(value(toEvent({ text: 'x', type: '' }, 'cfg', T)).type, 'cfg');
    assert.equal(value(toEvent({ text: 'x', type: 5 }, 'cfg', T)).type, 'cfg');
  });

  it('rejects missing, empty or blank text', () => {
    for (const v of [undefined, null, '', '   ', {}, { type: 'a' }, { text: '' }, { text: ' ' }, { text: {} }, [], ['a']]) {
      assert.equal(errorOf(toEvent(v, 'cfg', T)), 'event text is missing or empty', String(JSON.stringify(v)));
    }
  });

  it('rejects an empty type', () => {
    assert.equal(errorOf(toEvent('hello', '', T)), 'event type is empty');
    assert.equal(errorOf(toEvent('hello', '   ', T)), 'event type is empty');
    assert.equal(errorOf(toEvent({ text: 'hello', type: '  ' }, 'cfg', T)), 'event type is empty');
  });
});

describe('toAlarm', () => {
  const RAISE: AlarmSettings = { type: 'c8y_TemperatureAlarm', severity: 'major', action: 'raise', text: 'Too hot' };
  const PAYLOAD: AlarmSettings = { ...RAISE, action: 'payload' };

  it('raises with the configured type, severity (case-insensitive) and text', () => {
    assert.deepEqual(value(toAlarm('ignored', RAISE, T)), {
      action: 'raise',
      type: 'c8y_TemperatureAlarm',
      severity: 'MAJOR',
      text: 'Too hot',
      time: T,
    });
  });

  it('accepts every severity and nothing else', () => {
    for (const s of ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING']) {
      assert.ok(isSeverity(s));
      assert.equal(value(toAlarm(null, { ...RAISE, severity: s.toLowerCase() }, T)).action, 'raise');
    }
    assert.equal(isSeverity('major'), false);
    assert.equal(isSeverity('INFO'), false);
    assert.equal(errorOf(toAlarm(null, { ...RAISE, severity: 'info' }, T)), 'unknown alarm severity INFO');
    assert.equal(errorOf(toAlarm(null, { ...RAISE, severity: '' }, T)), 'unknown alarm severity ');
  });

  it('uses the default text "Alarm of type … raised" when the text is blank', () => {
    const a = value(toAlarm(null, { ...RAISE, text: '  ' }, T));
    assert.equal(a.action === 'raise' && a.text, 'Alarm of type c8y_TemperatureAlarm raised');
  });

  it('clears with the configured type only, whatever the severity', () => {
    assert.deepEqual(value(toAlarm(null, { ...RAISE, action: 'clear', severity: 'bogus' }, T)), {
      action: 'clear',
      type: 'c8y_TemperatureAlarm',
    });
  });

  it('rejects an empty type and an unknown configured action', () => {
    assert.equal(errorOf(toAlarm(null, { ...RAISE, type: '  ' }, T)), 'alarm type is empty');
    assert.equal(errorOf(toAlarm(null, { ...RAISE, action: 'clear', type: '' }, T)), 'alarm type is empty');
    assert.equal(errorOf(toAlarm(null, { ...RAISE, action: 'toggle' }, T)), 'unknown alarm action toggle');
  });

  it('decides from the payload: true/"raise"/"on"/1 raise, false/"clear"/"off"/0 clear', () => {
    for (const v of [true, 'raise', 'on', 1]) assert.equal(value(toAlarm(v, PAYLOAD, T)).action, 'raise', String(v));
    for (const v of [false, 'clear', 'off', 0]) assert.equal(value(toAlarm(v, PAYLOAD, T)).action, 'clear', String(v));
  });

  it('rejects payloads that are neither raise nor clear, case-sensitively', () => {
    for (const v of ['RAISE', 'yes', 2, null, undefined, '', [true]]) {
      assert.match(errorOf(toAlarm(v, PAYLOAD, T)), /cannot tell raise from clear in/, String(JSON.stringify(v)));
    }
    assert.match(errorOf(toAlarm('maybe', PAYLOAD, T)), /cannot tell raise from clear in "maybe"/);
  });

  it('rejects an unknown action in a payload object, also when it cannot be shown as JSON', () => {
    assert.match(errorOf(toAlarm({ action: 'toggle' }, PAYLOAD, T)), /cannot tell raise from clear in "toggle"/);
    assert.match(errorOf(toAlarm({ action: 3n }, PAYLOAD, T)), /cannot tell raise from clear in 3/);
    assert.match(errorOf(toAlarm({ action: circular() }, PAYLOAD, T)), /cannot tell raise from clear/);
  });

  it('raises from an object without an action, taking severity, text and type from it', () => {
    assert.deepEqual(value(toAlarm({ severity: 'critical', text: 'Fire', type: 'c8y_Fire' }, PAYLOAD, T)), {
      action: 'raise',
      type: 'c8y_Fire',
      severity: 'CRITICAL',
      text: 'Fire',
      time: T,
    });
  });

  it('falls back to the settings for parts the object leaves out or gives as non-text', () => {
    assert.deepEqual(value(toAlarm({ action: 'on', severity: 2, text: 5, type: '' }, PAYLOAD, T)), {
      action: 'raise',
      type: 'c8y_TemperatureAlarm',
      severity: 'MAJOR',
      text: 'Too hot',
      time: T,
    });
  });

  it('clears the type named in the object', () => {
    assert.deepEqual(value(toAlarm({ action: 'clear', type: 'c8y_Fire' }, PAYLOAD, T)), { action: 'clear', type: 'c8y_Fire' });
    assert.deepEqual(value(toAlarm({ action: false }, PAYLOAD, T)), { action: 'clear', type: 'c8y_TemperatureAlarm' });
  });

  it('rejects an unknown severity from the object', () => {
    assert.equal(errorOf(toAlarm({ severity: 'fatal' }, PAYLOAD, T)), 'unknown alarm severity FATAL');
  });

  it('trims a type from the object and rejects a blank one', () => {
    const a = value(toAlarm({ type: ' c8y_Fire ' }, PAYLOAD, T));
    assert.equal(a.type, 'c8y_Fire');
    assert.equal(errorOf(toAlarm({ type: '   ' }, PAYLOAD, T)), 'alarm type is empty');
  });
});

describe('toStatus', () => {
  const base: StatusInput = { outcome: 'auto', status: undefined, error: undefined, reason: undefined, result: undefined };

  it('auto: SUCCESSFUL without msg.status or msg.error', () => {
    assert.deepEqual(value(toStatus(base)), { status: 'SUCCESSFUL' });
  });

  it('auto: FAILED with the error message as reason when msg.error has one', () => {
    assert.deepEqual(value(toStatus({ ...base, error: { message: 'disk full', source: {} } })), {
      status: 'FAILED',
      reason: 'disk full',
    });
  });

  it('auto: ignores an error without a text message', () => {
    assert.equal(value(toStatus({ ...base, error: 'boom' })).status, 'SUCCESSFUL');
    assert.equal(value(toStatus({ ...base, error: { message: 42 } })).status, 'SUCCESSFUL');
  });

  it('auto: msg.status wins over msg.error and is case-insensitive', () => {
    assert.equal(value(toStatus({ ...base, status: 'successful', error: { message: 'x' } })).status, 'SUCCESSFUL');
    assert.deepEqual(value(toStatus({ ...base, status: 'failed' })), { status: 'FAILED', reason: 'failed' });
    assert.deepEqual(value(toStatus({ ...base, status: 'Executing' })), { status: 'EXECUTING' });
  });

  it('auto: an empty or non-text msg.status is ignored', () => {
    assert.equal(value(toStatus({ ...base, status: '', error: { message: 'e' } })).status, 'FAILED');
    assert.equal(value(toStatus({ ...base, status: 1 })).status, 'SUCCESSFUL');
  });

  it('rejects an unknown msg.status', () => {
    assert.equal(errorOf(toStatus({ ...base, status: 'pending' })), 'status must be SUCCESSFUL or FAILED, not PENDING');
  });

  it('a fixed outcome overrides msg.status and msg.error', () => {
    assert.equal(value(toStatus({ ...base, outcome: 'SUCCESSFUL', status: 'FAILED', error: { message: 'x' } })).status, 'SUCCESSFUL');
    assert.deepEqual(value(toStatus({ ...base, outcome: 'FAILED', status: 'SUCCESSFUL' })), { status: 'FAILED', reason: 'failed' });
  });

  it('FAILED reason: msg.reason, else the error message, else "failed"', () => {
    const failed = { ...base, outcome: 'FAILED' };
    assert.equal(value(toStatus({ ...failed, reason: 'why', error: { message: 'err' } })).reason, 'why');
    assert.equal(value(toStatus({ ...failed, reason: '', error: { message: 'err' } })).reason, 'err');
    assert.equal(value(toStatus({ ...failed, reason: 7 })).reason, 'failed');
  });

  it('FAILED carries no result even when one is given', () => {
    assert.deepEqual(value(toStatus({ ...base, outcome: 'FAILED', result: 'out' })), { status: 'FAILED', reason: 'failed' });
  });

  it('SUCCESSFUL: no result for undefined, null or empty text', () => {
    for (const r of [undefined, null, '']) assert.deepEqual(value(toStatus({ ...base, result: r })), { status: 'SUCCESSFUL' });
  });

  it('SUCCESSFUL: a single result becomes a one-item list, a list stays a list', () => {
    assert.deepEqual(value(toStatus({ ...base, result: 'total 0' })).result, ['total 0']);
    assert.deepEqual(value(toStatus({ ...base, result: ['a', 'b'] })).result, ['a', 'b']);
    assert.deepEqual(value(toStatus({ ...base, result: [] })).result, []);
  });

  it('SUCCESSFUL: numbers and booleans become text, objects JSON', () => {
    assert.deepEqual(value(toStatus({ ...base, result: [1, true, { a: 1 }, null, [2]] })).result, ['1', 'true', '{"a":1}', 'null', '[2]']);
    assert.deepEqual(value(toStatus({ ...base, result: 3.5 })).result, ['3.5']);
  });

  it('SUCCESSFUL: an object result JSON cannot show becomes text instead of throwing', () => {
    const out = value(toStatus({ ...base, result: [{ n: 1n }, circular()] })).result;
    assert.equal(out?.length, 2);
    for (const r of out ?? []) assert.equal(typeof r, 'string');
  });

  it('EXECUTING keeps the result', () => {
    assert.deepEqual(value(toStatus({ ...base, status: 'EXECUTING', result: 'half' })), { status: 'EXECUTING', result: ['half'] });
  });
});

describe('parseFragments', () => {
  it('splits on commas and any whitespace, dropping empties', () => {
    assert.deepEqual(parseFragments('c8y_Restart, c8y_Command'), ['c8y_Restart', 'c8y_Command']);
    assert.deepEqual(parseFragments(' c8y_A,,c8y_B\n c8y_C\tc8y_D ,'), ['c8y_A', 'c8y_B', 'c8y_C', 'c8y_D']);
  });

  it('keeps the wildcard and duplicates as given', () => {
    assert.deepEqual(parseFragments('*'), ['*']);
    assert.deepEqual(parseFragments('a,a'), ['a', 'a']);
  });

  it('returns nothing for empty or separator-only text', () => {
    assert.deepEqual(parseFragments(''), []);
    assert.deepEqual(parseFragments(' , \n,'), []);
  });
});
