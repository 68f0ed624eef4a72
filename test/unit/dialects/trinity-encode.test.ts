// Trinity uplink encoding (trinity.md §5, §11; vectors T1–T6, T8, T9). Payloads are compared as
// parsed JSON (the seed writes Python spacing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeAlarm,
  encodeConnectEvent,
  encodeEvent,
  encodeMeasurement,
  encodeReply,
  encodeWill,
  eventCode,
  isFalsy,
  type MappingOptions,
} from '../../../dialects/trinity';
import type { Outbound, Result } from '../../../dialects/types';

const IDS = { cid: '12345678', hid: 'AAA0123456789AB' };
const P = '12345678/AAA0123456789AB';
const NO_RTC: MappingOptions = { useRtc: false, defaultPid: 'my_app_id', alarmRaiseCode: 1001, alarmClearCode: 1002 };
const RTC: MappingOptions = { ...NO_RTC, useRtc: true };
const T = new Date(1700000000_000);

function wire(r: Result<Outbound>): { topic: string; body: unknown; priority: string } {
  assert.ok(r.ok, r.ok ? '' : r.error);
  return { topic: r.value.topic, body: JSON.parse(r.value.payload) as unknown, priority: r.value.priority };
}

describe('trinity encode (§5, §11)', () => {
  it('T1: the will is event 101 "LWT Published" on P/0/>', () => {
    const w = encodeWill(IDS, 0);
    assert.equal(w.topic, `${P}/0/>`);
    assert.deepEqual(JSON.parse(w.payload), { e: [0, [[0, 101, 'LWT Published']]] });
  });

  it('T2: the connect event is 102 "Connect Success" on P/0/>', () => {
    const r = wire(encodeConnectEvent(IDS, 0));
    assert.equal(r.topic, `${P}/0/>`);
    assert.deepEqual(r.body, { e: [0, [[0, 102, 'Connect Success']]] });
  });

  it('T3: a measurement {"temp": 21.5} on PID my_app_id, no RTC → {"d": [0, {"temp": 21.5}]}', () => {
    const m = { time: T, series: [{ fragment: 'c8y_T', series: 'temp', value: 21.5 }] };
    const r = wire(encodeMeasurement(IDS, m, NO_RTC));
    assert.equal(r.topic, `${P}/my_app_id/>`);
    assert.deepEqual(r.body, { d: [0, { temp: 21.5 }] });
    assert.equal(r.priority, 'telemetry');
  });

  it('T4: the same with use_rtc and the clock at 1700000000 carries the time stamp', () => {
    const m = { time: T, series: [{ fragment: 'c8y_T', series: 'temp', value: 21.5 }] };
    assert.deepEqual(wire(encodeMeasurement(IDS, m, RTC)).body, { d: [1700000000, { temp: 21.5 }] });
  });

  it('a measurement of a child goes to that PID; several series make one object', () => {
    const m = {
      time: T,
      child: 'pump',
      series: [
        { fragment: 'f', series: 'a', value: 1 },
        { fragment: 'f', series: 'b', value: 2, unit: 'V' },
      ],
    };
    const r = wire(encodeMeasurement(IDS, m, NO_RTC));
    assert.equal(r.topic, `${P}/pump/>`);
    assert.deepEqual(r.body, { d: [0, { a: 1, b: 2 }] });
  });

  it('a series named __proto__ is an own key of the data, not a prototype', () => {
    const r = wire(encodeMeasurement(IDS, { time: T, series: [{ fragment: 'f', series: '__proto__', value: 3 }] }, NO_RTC));
    assert.equal((r.body as { d: [number, Record<string, unknown>] }).d[1]['__proto__'], 3);
  });

  it('T5: event code 123 "Loop Counter: 15" → {"e": [0, [[0, 123, "Loop Counter: 15"]]]}', () => {
    const r = wire(encodeEvent(IDS, { type: '123', text: 'Loop Counter: 15', time: T }, T, NO_RTC));
    assert.equal(r.topic, `${P}/my_app_id/>`);
    assert.deepEqual(r.body, { e: [0, [[0, 123, 'Loop Counter: 15']]] });
  });

  it('an event 30 s old without RTC has SSE -30; with RTC its own time stamp and SSE 0', () => {
    const now = new Date(T.getTime() + 30_000);
    assert.deepEqual(wire(encodeEvent(IDS, { type: '500', text: 'x', time: T }, now, NO_RTC)).body, { e: [0, [[-30, 500, 'x']]] });
    assert.deepEqual(wire(encodeEvent(IDS, { type: '500', text: 'x', time: T }, now, RTC)).body, { e: [1700000000, [[0, 500, 'x']]] });
  });

  it('refuses an event type that is not an integer code', () => {
    assert.equal(eventCode('c8y_Event').ok, false);
    assert.equal(encodeEvent(IDS, { type: 'door', text: 'x', time: T }, T, NO_RTC).ok, false);
    assert.deepEqual(eventCode(' -250 '), { ok: true, value: -250 });
  });

  it('an alarm raise and clear become events with the configured codes (no alarms on Smart)', () => {
    const raise = wire(encodeAlarm(IDS, { action: 'raise', type: 'TempHigh', severity: 'MAJOR', text: '31 C', time: T }, T, NO_RTC));
    assert.deepEqual(raise.body, { e: [0, [[0, 1001, 'MAJOR TempHigh: 31 C']]] });
    assert.equal(raise.priority, 'control');
    const clear = wire(encodeAlarm(IDS, { action: 'clear', type: 'TempHigh' }, T, NO_RTC));
    assert.deepEqual(clear.body, { e: [0, [[0, 1002, 'TempHigh cleared']]] });
  });

  it('T6: the reply to >a_tct with result 6 is {"x": [0, 0, 6]} on P/0/>/>a_tct', () => {
    const r = wire(encodeReply(IDS, '>a_tct', 0, 0, 6));
    assert.equal(r.topic, `${P}/0/>/>a_tct`);
    assert.deepEqual(r.body, { x: [0, 0, 6] });
    assert.equal(r.priority, 'control');
  });

  it('T8: the reply to a command with a bad time stamp still says 0 with its result 1', () => {
    assert.deepEqual(wire(encodeReply(IDS, '>t1', 0, 0, 1)).body, { x: [0, 0, 1] });
  });

  it('T9: a falsy result is left out: {"x": [0, 0]}', () => {
    for (const v of [0, '', null, false, [], {}, undefined]) {
      assert.deepEqual(wire(encodeReply(IDS, '>t0', 0, 0, v)).body, { x: [0, 0] }, JSON.stringify(v));
      assert.equal(isFalsy(v), true);
    }
    assert.equal(isFalsy('0'), false);
    assert.equal(isFalsy([0]), false);
  });

  it('T10–T12: error replies carry their text', () => {
    assert.deepEqual(wire(encodeReply(IDS, '>t2', 0, -19, 'Unknown PID')).body, { x: [0, -19, 'Unknown PID'] });
    assert.deepEqual(wire(encodeReply(IDS, '>t3', 0, -7, 'Error')).body, { x: [0, -7, 'Error'] });
  });

  it('refuses a TCT that cannot end a topic and a PID with wildcards', () => {
    assert.equal(encodeReply(IDS, 'a+b', 0, 0).ok, false);
    assert.equal(encodeReply(IDS, '', 0, 0).ok, false);
    assert.equal(encodeMeasurement(IDS, { time: T, child: '#', series: [{ fragment: 'f', series: 's', value: 1 }] }, NO_RTC).ok, false);
  });
});
