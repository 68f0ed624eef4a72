/**
 * Uplink payloads of Smart-MQTT (trinity.md §5, §11): data `d`, events `e`, replies `x`, and the
 * mapping of the dialect-neutral records onto them. Pure: the time comes in as an argument.
 */
import {
  fail,
  ok,
  type AlarmChange,
  type BatchRule,
  type DeviceEvent,
  type Measurement,
  type Outbound,
  type Priority,
  type Result,
} from '../types';
import { isTopicLevel, replyTopic, SYSTEM_PID, uplinkTopic, type TrinityIds } from './topics';

/** Records are JSON objects: never joined, one per publish. */
export const BATCH_RULE: BatchRule = { separator: '', maxPayloadBytes: 256 * 1024 };

/** A payload above this is refused before it is queued (Smart's limit is not documented; MQTT brokers commonly allow 256 KiB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Event codes of the agent itself (trinity.md §10). */
export const LWT_CODE = 101;
export const CONNECT_CODE = 102;

/** How time stamps are written: `useRtc` false → 0, Smart stamps on arrival (trinity.md §5). */
export interface TimeOptions {
  useRtc: boolean;
}

/** TS of a record taken at `time`: Unix seconds with the RTC in use, else 0. */
export function timestamp(time: Date, o: TimeOptions): number {
  return o.useRtc ? Math.floor(time.getTime() / 1000) : 0;
}

function record(topic: string, body: unknown, priority: Priority): Result<Outbound> {
  let payload: string;
  try {
    payload = JSON.stringify(body);
  } catch (err) {
    return fail(`cannot encode as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES) return fail(`payload over ${MAX_PAYLOAD_BYTES} bytes`);
  return ok({ topic, payload, priority, batchable: false });
}

function pidOk(pid: string): Result<string> {
  return isTopicLevel(pid) ? ok(pid) : fail(`PID ${JSON.stringify(pid)} cannot be a topic level`);
}

/** `{"d": [TS, DATA]}` on `{CID}/{HID}/{PID}/>`. */
export function encodeData(ids: TrinityIds, pid: string, ts: number, data: unknown, priority: Priority = 'telemetry'): Result<Outbound> {
  const p = pidOk(pid);
  if (!p.ok) return p;
  return record(uplinkTopic(ids, p.value), { d: [ts, data] }, priority);
}

/** `{"e": [TS, [[SSE, CODE, TEXT], ...]]}` on `{CID}/{HID}/{PID}/>`. */
export function encodeEvents(
  ids: TrinityIds,
  pid: string,
  ts: number,
  events: readonly [number, number, string][],
  priority: Priority = 'telemetry',
): Result<Outbound> {
  const p = pidOk(pid);
  if (!p.ok) return p;
  return record(uplinkTopic(ids, p.value), { e: [ts, events] }, priority);
}

/**
 * Python's truthiness, which decides whether a reply carries its result: 0, "", null, false, an
 * empty list or object are left out (trinity.md §5).
 */
export function isFalsy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return typeof v === 'number' && Number.isNaN(v);
}

/** `{"x": [TS, CODE]}` or `{"x": [TS, CODE, RESULT]}` on `{CID}/{HID}/0/>/{TCT}`. */
export function encodeReply(ids: TrinityIds, tct: string, ts: number, code: number, result?: unknown): Result<Outbound> {
  if (!isTopicLevel(tct, true)) return fail(`TCT ${JSON.stringify(tct.slice(0, 40))} cannot end a topic`);
  const body = isFalsy(result) ? [ts, code] : [ts, code, result];
  return record(replyTopic(ids, tct), { x: body }, 'control');
}

/** The last will: event 101 on PID 0 (trinity.md §2). */
export function encodeWill(ids: TrinityIds, ts: number): { topic: string; payload: string } {
  return { topic: uplinkTopic(ids, SYSTEM_PID), payload: JSON.stringify({ e: [ts, [[0, LWT_CODE, 'LWT Published']]] }) };
}

/** The event after every CONNACK 0 (trinity.md §8). */
export function encodeConnectEvent(ids: TrinityIds, ts: number): Result<Outbound> {
  return encodeEvents(ids, SYSTEM_PID, ts, [[0, CONNECT_CODE, 'Connect Success']], 'control');
}

/** How the neutral records map: the default PID and the codes of alarm states (trinity.md §11). */
export interface MappingOptions extends TimeOptions {
  /** PID of records without a child (the application's asset id; `0` = the agent). */
  defaultPid: string;
  alarmRaiseCode: number;
  alarmClearCode: number;
}

const pidFor = (child: string | undefined, o: MappingOptions): string => child ?? o.defaultPid;

/**
 * A measurement as data: `{series: value}`. Units and the fragment are not sent (Smart's data
 * object has no place for them); a series name used twice keeps the last value.
 */
export function encodeMeasurement(ids: TrinityIds, m: Measurement, o: MappingOptions): Result<Outbound> {
  if (m.series.length === 0) return fail('measurement has no series');
  const data: Record<string, number> = {};
  for (const s of m.series) {
    if (!Number.isFinite(s.value)) return fail(`series ${s.series} is not a finite number`);
    Object.defineProperty(data, s.series, { value: s.value, enumerable: true, writable: true, configurable: true });
  }
  return encodeData(ids, pidFor(m.child, o), timestamp(m.time, o), data);
}

/** An integer event code from an event type: Smart events are numbered (trinity.md §5). */
export function eventCode(type: string): Result<number> {
  const t = type.trim();
  if (!/^-?\d{1,9}$/.test(t)) return fail(`Trinity event type must be an integer code, not ${JSON.stringify(t.slice(0, 20))}`);
  return ok(Number(t));
}

/**
 * Seconds since the event happened, 0 or negative. With the RTC the time stamp is the event's own
 * time, so SSE is 0; without it Smart stamps on arrival, so the age at encoding is the best we know.
 */
export function secondsSince(time: Date, now: Date, o: TimeOptions): number {
  if (o.useRtc) return 0;
  return Math.min(0, Math.round((time.getTime() - now.getTime()) / 1000));
}

/** An event: its type is the integer code, its text the text. */
export function encodeEvent(ids: TrinityIds, e: DeviceEvent, now: Date, o: MappingOptions): Result<Outbound> {
  const code = eventCode(e.type);
  if (!code.ok) return code;
  const ts = timestamp(e.time, o);
  return encodeEvents(ids, pidFor(e.child, o), ts, [[secondsSince(e.time, now, o), code.value, e.text]]);
}

/** Smart has no alarms: a raise and a clear become events with the configured codes (trinity.md §11). */
export function encodeAlarm(ids: TrinityIds, a: AlarmChange, now: Date, o: MappingOptions): Result<Outbound> {
  const pid = pidFor(a.child, o);
  if (a.action === 'clear') {
    return encodeEvents(ids, pid, timestamp(now, o), [[0, o.alarmClearCode, `${a.type} cleared`]], 'control');
  }
  const text = `${a.severity} ${a.type}: ${a.text}`;
  return encodeEvents(ids, pid, timestamp(a.time, o), [[secondsSince(a.time, now, o), o.alarmRaiseCode, text]], 'control');
}
