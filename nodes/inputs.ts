/**
 * Pure conversions from what a flow sends to the dialect-neutral records of dialects/types.ts.
 * No Node-RED here: the node wrappers evaluate TypedInputs and call these.
 */
import {
  ALARM_SEVERITIES,
  fail,
  ok,
  type AlarmChange,
  type AlarmSeverity,
  type DeviceEvent,
  type Measurement,
  type MeasurementSeries,
  type OperationStatus,
  type Result,
} from '../dialects/types';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON text of a flow value that never throws (JSON.stringify does on BigInt and circular objects). */
function jsonOf(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** A short text of a rejected value for an error message. */
function show(v: unknown): string {
  const json = jsonOf(v);
  if (json !== undefined) return json.slice(0, 40);
  try {
    return String(v).slice(0, 40);
  } catch {
    return typeof v; // an object without a prototype has no string form
  }
}

/** A time from a message: Date, ISO string or epoch milliseconds; `now` when absent. */
export function toTime(v: unknown, now: Date): Result<Date> {
  if (v === undefined || v === null || v === '') return ok(now);
  let d: Date | undefined;
  if (v instanceof Date) d = v;
  else if (typeof v === 'number') d = new Date(v);
  else if (typeof v === 'string') d = new Date(/^\d+$/.test(v) ? Number(v) : v);
  if (!d || Number.isNaN(d.getTime())) return fail(`timestamp is not a valid time: ${show(v)}`);
  return ok(d);
}

function toNumber(v: unknown, what: string): Result<number> {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) n = Number(v);
  if (n === undefined) return fail(`${what} is not a number: ${show(v)}`);
  if (!Number.isFinite(n)) return fail(`${what} is not a finite number: ${String(n)}`);
  return ok(n);
}

export interface MeasurementSettings {
  type: string;
  fragment: string;
  series: string;
  unit: string;
}

/**
 * A measurement from a value: a number gives one series (fragment/series/unit from the settings);
 * an object gives one series per key, each a number or `{ value, unit }`.
 */
export function toMeasurement(value: unknown, s: MeasurementSettings, time: Date): Result<Measurement> {
  const fragment = s.fragment.trim();
  if (!fragment) return fail('measurement fragment is empty');
  const series: MeasurementSeries[] = [];
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return fail('payload object has no series');
    for (const key of keys) {
      const v = value[key];
      const inner = isRecord(v) ? v['value'] : v;
      const n = toNumber(inner, `series "${key}"`);
      if (!n.ok) return n;
      const unit = isRecord(v) && typeof v['unit'] === 'string' ? v['unit'] : s.unit;
      series.push({ fragment, series: key, value: n.value, unit: unit || undefined });
    }
  } else {
    const n = toNumber(value, 'payload');
    if (!n.ok) return n;
    const name = s.series.trim();
    if (!name) return fail('measurement series is empty');
    series.push({ fragment, series: name, value: n.value, unit: s.unit || undefined });
  }
  return ok({ type: s.type.trim() || fragment, time, series });
}

/** An event from a text (or an object with `text` and optional `type`). */
export function toEvent(value: unknown, type: string, time: Date): Result<DeviceEvent> {
  let text: unknown = value;
  let t = type;
  if (isRecord(value)) {
    text = value['text'];
    if (typeof value['type'] === 'string' && value['type']) t = value['type'];
  }
  if (typeof text === 'number' || typeof text === 'boolean') text = String(text);
  if (typeof text !== 'string' || text.trim() === '') return fail('event text is missing or empty');
  if (!t.trim()) return fail('event type is empty');
  return ok({ type: t.trim(), text, time });
}

export interface AlarmSettings {
  type: string;
  severity: string;
  /** `raise`, `clear`, or `payload` (decide from the message). */
  action: string;
  text: string;
}

export function isSeverity(s: string): s is AlarmSeverity {
  return (ALARM_SEVERITIES as readonly string[]).includes(s);
}

/**
 * An alarm change. With action `payload`: `true`/"raise"/"on" raises, `false`/"clear"/"off"
 * clears, an object `{ action, severity, text, type }` sets each part.
 */
export function toAlarm(value: unknown, s: AlarmSettings, time: Date): Result<AlarmChange> {
  let action = s.action;
  let severity = s.severity.toUpperCase();
  let text = s.text;
  let type = s.type.trim();
  if (action === 'payload') {
    let a: unknown = value;
    if (isRecord(value)) {
      a = value['action'] ?? 'raise';
      if (typeof value['severity'] === 'string') severity = value['severity'].toUpperCase();
      if (typeof value['text'] === 'string') text = value['text'];
      if (typeof value['type'] === 'string' && value['type']) type = value['type'].trim();
    }
    if (a === true || a === 'raise' || a === 'on' || a === 1) action = 'raise';
    else if (a === false || a === 'clear' || a === 'off' || a === 0) action = 'clear';
    else return fail(`cannot tell raise from clear in ${show(a)}`);
  }
  if (!type) return fail('alarm type is empty');
  if (action === 'clear') return ok({ action: 'clear', type });
  if (action !== 'raise') return fail(`unknown alarm action ${action}`);
  if (!isSeverity(severity)) return fail(`unknown alarm severity ${severity}`);
  return ok({ action: 'raise', type, severity, text: text.trim() ? text : `Alarm of type ${type} raised`, time });
}

export interface StatusInput {
  outcome: string; // auto | SUCCESSFUL | FAILED
  status: unknown;
  error: unknown;
  reason: unknown;
  result: unknown;
}

/** The outcome a flow reports for an operation; `auto` reads msg.status, then msg.error. */
export function toStatus(i: StatusInput): Result<{ status: OperationStatus; reason?: string; result?: string[] }> {
  let status: string;
  const errMsg = isRecord(i.error) && typeof i.error['message'] === 'string' ? i.error['message'] : undefined;
  if (i.outcome === 'SUCCESSFUL' || i.outcome === 'FAILED') status = i.outcome;
  else if (typeof i.status === 'string' && i.status) status = i.status.toUpperCase();
  else status = errMsg !== undefined ? 'FAILED' : 'SUCCESSFUL';
  if (status !== 'SUCCESSFUL' && status !== 'FAILED' && status !== 'EXECUTING') {
    return fail(`status must be SUCCESSFUL or FAILED, not ${status}`);
  }
  if (status === 'FAILED') {
    const reason = typeof i.reason === 'string' && i.reason ? i.reason : (errMsg ?? 'failed');
    return ok({ status, reason });
  }
  if (i.result === undefined || i.result === null || i.result === '') return ok({ status });
  const list = Array.isArray(i.result) ? i.result : [i.result];
  const result = list.map((r) => (typeof r === 'string' ? r : typeof r === 'object' ? (jsonOf(r) ?? show(r)) : String(r)));
  return ok({ status, result });
}

/** Fragment names from the editor's text ("c8y_Restart, c8y_Command" or `*`). */
export function parseFragments(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
}
