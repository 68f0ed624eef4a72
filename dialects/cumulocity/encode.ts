/** Upstream SmartREST 2.0 static templates (protocol reference §3, §6.1). Pure: time comes in. */
import {
  fail,
  ok,
  type AlarmChange,
  type AlarmSeverity,
  type BatchRule,
  type DeviceEvent,
  type Measurement,
  type OperationStatus,
  type Outbound,
  type Priority,
  type Result,
  type StatusReport,
} from '../types';
import { encodeRecord, stripControl, truncateTexts, utf8Bytes } from './csv';
import { upTopic, validateDeviceId } from './topics';

/** Payload budget per publish, after escaping (§3.4 [rule], §10). */
export const MAX_PAYLOAD_BYTES = 16000;
/** Records on `s/us` are joined with LF up to the payload budget (§3.1 rule 2, §3.4). */
export const BATCH_RULE: BatchRule = { separator: '\n', maxPayloadBytes: MAX_PAYLOAD_BYTES };
/** Failure reasons are cut to this many UTF-8 bytes, marker included (§3.4). */
export const MAX_REASON_BYTES = 500;
/** Result parameters of a SUCCESSFUL status are cut to this many UTF-8 bytes in total (§3.4). */
export const MAX_RESULT_BYTES = 15000;
/** Reason sent for FAILED when the flow gave none (§9: a refusal always carries a reason). */
export const DEFAULT_FAILURE_REASON = 'Operation failed without a reason';

const SEVERITY_IDS: Record<AlarmSeverity, string> = { CRITICAL: '301', MAJOR: '302', MINOR: '303', WARNING: '304' };
const STATUS_IDS: Record<'id' | 'static', Record<OperationStatus, string>> = {
  id: { EXECUTING: '504', FAILED: '505', SUCCESSFUL: '506' },
  static: { EXECUTING: '501', FAILED: '502', SUCCESSFUL: '503' },
};

/** Formats a number with plain digits, never exponent form; refuses NaN/±Infinity (§3.1 rule 7). */
export function formatNumber(n: number): Result<string> {
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`not a finite number: ${String(n)}`);
  if (n === 0) return ok('0'); // also -0
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return ok(s);
  const sign = s.startsWith('-') ? '-' : '';
  const mantissa = s.slice(sign.length, e);
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + Number(s.slice(e + 1));
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return ok(sign + plain);
}

/** ISO-8601 with milliseconds and `Z` (§3.1 rule 7). The caller validates the Date (see timeField). */
export function formatTime(d: Date): string {
  return d.toISOString();
}

/** A record's time field; refuses an invalid Date, since an empty time means server time (§3.1 rule 7). */
function timeField(d: Date): Result<string> {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) return fail('invalid time');
  return ok(formatTime(d));
}

function nonEmpty(value: string, what: string): Result<string> {
  return typeof value === 'string' && value !== '' ? ok(value) : fail(`${what} must not be empty`);
}

function payloadBytesOk(payload: string): Result<string> {
  const bytes = utf8Bytes(payload);
  return bytes <= MAX_PAYLOAD_BYTES
    ? ok(payload)
    : fail(`payload is ${bytes} bytes after escaping, over the limit of ${MAX_PAYLOAD_BYTES} bytes`);
}

/** Encodes fields into one record for `s/us[/<child>]` and enforces the payload budget (§3.4). */
function build(fields: readonly string[], priority: Priority, batchable: boolean, child?: string): Result<Outbound> {
  if (child !== undefined) {
    const id = validateDeviceId(child);
    if (!id.ok) return fail(`child ${id.error}`);
  }
  const payload = payloadBytesOk(encodeRecord(fields));
  if (!payload.ok) return payload;
  return ok({ topic: upTopic(child), payload: payload.value, priority, batchable });
}

/** Generic static line on `s/us[/<child>]`; field 1 must be a numeric message id (§3.1 rule 1). */
export function encodeLine(fields: readonly string[], priority: Priority, child?: string): Result<Outbound> {
  if (!/^\d+$/.test(fields[0] ?? '')) return fail('field 1 must be a numeric message id');
  return build(fields, priority, true, child);
}

/** Measurement: one series → `200`, several (or a type other than the fragment) → `201` (§6.1). */
export function encodeMeasurement(m: Measurement): Result<Outbound> {
  const first = m.series[0];
  if (first === undefined) return fail('a measurement needs at least one series');
  const time = timeField(m.time);
  if (!time.ok) return time;
  const groups: string[][] = [];
  for (const s of m.series) {
    if (s.fragment === '' || s.series === '') return fail('fragment and series names must not be empty');
    const value = formatNumber(s.value);
    if (!value.ok) return fail(`${s.fragment}.${s.series}: ${value.error}`);
    groups.push([s.fragment, s.series, value.value, s.unit ?? '']);
  }
  const type = m.type === undefined || m.type === '' ? first.fragment : m.type;
  const fields =
    groups.length === 1 && type === first.fragment
      ? ['200', ...(groups[0] ?? []), time.value]
      : ['201', type, time.value, ...groups.flat()];
  return build(fields, 'telemetry', true, m.child);
}

/** Event `400,type,text,time`; text is mandatory (§6.1). */
export function encodeEvent(e: DeviceEvent): Result<Outbound> {
  const type = nonEmpty(e.type, 'event type');
  if (!type.ok) return type;
  const text = nonEmpty(e.text, 'event text');
  if (!text.ok) return text;
  const time = timeField(e.time);
  if (!time.ok) return time;
  return build(['400', type.value, text.value, time.value], 'telemetry', true, e.child);
}

/** Alarm raise `301`–`304` by severity `type,text,time`, or clear `306,type` (§6.1). */
export function encodeAlarm(a: AlarmChange): Result<Outbound> {
  const type = nonEmpty(a.type, 'alarm type');
  if (!type.ok) return type;
  if (a.action === 'clear') return build(['306', type.value], 'control', true, a.child);
  if (a.action === 'raise') {
    const id = Object.hasOwn(SEVERITY_IDS, a.severity) ? SEVERITY_IDS[a.severity] : undefined;
    if (id === undefined) return fail(`unknown alarm severity ${String(a.severity)}`);
    const time = timeField(a.time);
    if (!time.ok) return time;
    return build([id, type.value, a.text, time.value], 'control', true, a.child);
  }
  return fail('alarm action must be raise or clear');
}

/** Does the whole record, once escaped, fit the payload budget (§3.4)? */
function recordFits(fields: readonly string[]): boolean {
  return utf8Bytes(encodeRecord(fields)) <= MAX_PAYLOAD_BYTES;
}

/** Cuts texts to `maxBytes` raw UTF-8 bytes in total and so that `head` + texts fits (§3.4). */
function fitTexts(head: readonly string[], texts: readonly string[], maxBytes: number): string[] {
  const clean = texts.map(stripControl);
  return truncateTexts(clean, (c) => c.reduce((sum, t) => sum + utf8Bytes(t), 0) <= maxBytes && recordFits([...head, ...c]));
}

/**
 * Operation status: id mode `504/505/506,<id>`, static mode `501/502/503,<fragment>` (§6.1, §8, §9).
 * FAILED carries a reason (≤ 500 bytes, default if none); SUCCESSFUL its result (≤ 15000 bytes).
 * With `rootId`, an operation of another device is reported on `s/us/<its id>` (§2, §6.2).
 */
export function encodeStatus(r: StatusReport, mode: 'id' | 'static', rootId?: string): Result<Outbound> {
  const op = r.operation;
  const code = Object.hasOwn(STATUS_IDS[mode], r.status) ? STATUS_IDS[mode][r.status] : undefined;
  if (code === undefined) return fail(`unknown operation status ${String(r.status)}`);
  let key: string;
  if (mode === 'id') {
    if (op.id === undefined || op.id === '') return fail('operation id is required in id mode');
    key = op.id;
  } else {
    if (op.fragment === '') return fail('operation fragment must not be empty');
    key = op.fragment;
  }
  const head = [code, key];
  const child = rootId !== undefined && op.deviceId !== '' && op.deviceId !== rootId ? op.deviceId : undefined;
  let tail: string[] = [];
  if (r.status === 'FAILED') {
    const given = stripControl(r.reason ?? '');
    const reason = given === '' ? DEFAULT_FAILURE_REASON : given;
    tail = fitTexts(head, [reason], MAX_REASON_BYTES);
  } else if (r.status === 'SUCCESSFUL' && r.result !== undefined) {
    tail = fitTexts(head, r.result, MAX_RESULT_BYTES);
  }
  return build([...head, ...tail], 'control', true, child);
}

/** `100,<name>,<type>`: create the device if absent; sent alone, its PUBACK is awaited (§5 step 2). */
export function encodeDeviceCreate(name: string, type: string): Result<Outbound> {
  return build(['100', name, type], 'control', false);
}

/** `110,<serial>,<model>,<revision>`: hardware fragment (§6.1). */
export function encodeHardware(serial: string, model: string, revision: string): Result<Outbound> {
  return build(['110', serial, model, revision], 'control', true);
}

/** `114,<fragment>…`: the whole supported-operations list, de-duplicated, order kept (§6.1, §9). */
export function encodeSupportedOperations(fragments: readonly string[]): Result<Outbound> {
  if (fragments.some((f) => f === '')) return fail('operation fragment must not be empty');
  return build(['114', ...new Set(fragments)], 'control', true);
}

/** `117,<minutes>`: required interval, a whole number of minutes (§6.1). */
export function encodeRequiredInterval(minutes: number): Result<Outbound> {
  if (!Number.isInteger(minutes) || minutes < 0) return fail('required interval must be a whole number of minutes ≥ 0');
  const value = formatNumber(minutes);
  return value.ok ? build(['117', value.value], 'control', true) : value;
}

/** `122,<name>,<version>,<url>,<maintainer>`: agent information (§6.1). */
export function encodeAgentInfo(name: string, version: string, url: string, maintainer: string): Result<Outbound> {
  return build(['122', name, version, url, maintainer], 'control', true);
}

/** `500`: ask the platform to resend every PENDING operation (§5 step 7, §9). */
export function encodeGetPending(): Result<Outbound> {
  return build(['500'], 'control', true);
}

/** `507,<fragment>,<reason>`: fail all EXECUTING operations of a fragment (all if empty) (§5 step 6). */
export function encodeBulkFail(fragment: string, reason: string): Result<Outbound> {
  const head = ['507', fragment];
  return build([...head, ...fitTexts(head, [reason], MAX_REASON_BYTES)], 'control', true);
}

/**
 * Joins consecutive payloads with the separator while each joined payload stays within
 * `maxPayloadBytes`; a payload already over the limit is returned alone (§3.1 rule 2, §3.4).
 */
export function batchPayloads(payloads: readonly string[], rule: BatchRule): string[] {
  const out: string[] = [];
  const sepBytes = utf8Bytes(rule.separator);
  let current: string | undefined;
  let currentBytes = 0;
  for (const p of payloads) {
    const bytes = utf8Bytes(p);
    if (current !== undefined && currentBytes + sepBytes + bytes <= rule.maxPayloadBytes) {
      current += rule.separator + p;
      currentBytes += sepBytes + bytes;
    } else {
      if (current !== undefined) out.push(current);
      current = p;
      currentBytes = bytes;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}
