/**
 * Device → cloud commands exactly as the HDC agent builds them (helix-device-cloud.md §4),
 * quirks included: the odd top-level `key`/`value` (or `lat`/`lng`) strings of batch commands,
 * the lowercase `corrid` of property items, null-valued keys inside batch items.
 */
import { fail, ok, type GeoLocation, type Result } from '../types';
import { dropNulls, hasControl, type Command, type Json, type JsonObject } from './envelope';

export const MAX_THING_KEY = 64;

/** Thing key = `<device_id>-<app_id>` (just the device id without an app id), at most 64 characters (§1). */
export function thingKey(deviceId: string, appId: string): Result<string> {
  const d = deviceId.trim();
  const a = appId.trim();
  if (!d) return fail('device id is empty');
  const key = a ? `${d}-${a}` : d;
  if (key.length > MAX_THING_KEY) return fail(`thing key "${key}" is longer than ${MAX_THING_KEY} characters`);
  // It is also the MQTT client id and user name: no control characters, no MQTT wildcards.
  if (hasControl(key) || /[+#/\s]/.test(key))
    return fail(`thing key "${key}" must not contain spaces, "/", "+", "#" or control characters`);
  return ok(key);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, 6-digit fraction (§3). */
export function hdcTime(t: Date): string {
  return `${t.toISOString().slice(0, 23)}000Z`;
}

/** `YYYY-MM-DD HH:MM:SS`, UTC: the `time_stamp` of the ping answer (§5). */
export function pingTime(t: Date): string {
  return t.toISOString().slice(0, 19).replace('T', ' ');
}

export interface PropertyItem {
  key: string;
  value: number;
  time: Date;
}

export function propertyBatch(thing: string, items: readonly PropertyItem[], at: Date): Command {
  const ts = hdcTime(at);
  const data: Json[] = items.map((i) => ({ key: i.key, value: i.value, ts: hdcTime(i.time), corrid: null }));
  return {
    command: 'property.batch',
    params: dropNulls({ thingKey: thing, key: 'property_batch', value: 'Property Batch', ts, corrId: ts, data }),
  };
}

export interface AttributeItem {
  key: string;
  value: string;
  time: Date;
}

export function attributeBatch(thing: string, items: readonly AttributeItem[], at: Date): Command {
  const data: Json[] = items.map((i) => ({ key: i.key, value: i.value, ts: hdcTime(i.time), republish: null }));
  return {
    command: 'attribute.batch',
    params: dropNulls({ thingKey: thing, key: 'attribute_batch', value: 'Attribute Batch', ts: hdcTime(at), data }),
  };
}

export interface AlarmItem {
  key: string;
  state: number;
  msg?: string | undefined;
  time: Date;
}

export function alarmBatch(thing: string, items: readonly AlarmItem[], at: Date): Command {
  const data: Json[] = items.map((i) => ({ key: i.key, state: i.state, ts: hdcTime(i.time), msg: i.msg ?? null, republish: false }));
  return {
    command: 'alarm.batch',
    params: dropNulls({ thingKey: thing, key: 'alarm_batch', state: 0, ts: hdcTime(at), republish: false, data }),
  };
}

/** One `location.batch` of fixes; all fields but lat/lng optional (§4). */
export function locationBatch(thing: string, items: readonly GeoLocation[], at: Date): Command {
  const data: Json[] = items.map((l) => ({
    lat: l.lat,
    lng: l.lng,
    heading: l.heading ?? null,
    altitude: l.altitude ?? null,
    speed: l.speed ?? null,
    fixAcc: l.fixAcc ?? null,
    fixType: l.fixType ?? null,
    ts: hdcTime(l.time),
    corrId: null,
    debounce: null,
    streetNumber: l.streetNumber ?? null,
    street: l.street ?? null,
    city: l.city ?? null,
    state: l.state ?? null,
    zipCode: l.zipCode ?? null,
    country: l.country ?? null,
  }));
  return {
    command: 'location.batch',
    params: dropNulls({ thingKey: thing, lat: 'location_batch', lng: 'Location Batch', ts: hdcTime(at), data }),
  };
}

export function logPublish(thing: string, msg: string, at: Date): Command {
  return { command: 'log.publish', params: dropNulls({ thingKey: thing, msg, ts: hdcTime(at) }) };
}

export function mailboxCheck(): Command {
  return { command: 'mailbox.check', params: { autoComplete: false } };
}

export function mailboxUpdate(id: string, msg: string): Command {
  return { command: 'mailbox.update', params: { id, msg } };
}

/** The final answer to a method (§5): `errorMessage` left out only when there is none; `params` only when given. */
export function mailboxAck(id: string, errorCode: number, errorMessage?: string, outParams?: JsonObject): Command {
  return { command: 'mailbox.ack', params: dropNulls({ id, errorCode, errorMessage, params: outParams }) };
}

export function fileGet(thing: string, fileName: string, global: boolean): Command {
  return { command: 'file.get', params: { thingKey: thing, fileName, global } };
}

export function filePut(thing: string, fileName: string, crc32: number, global: boolean): Command {
  return { command: 'file.put', params: { thingKey: thing, fileName, public: false, crc32, global } };
}

export function propertyCurrent(thing: string, key: string): Command {
  return { command: 'property.current', params: { thingKey: thing, key } };
}

export function diagPing(): Command {
  return { command: 'diag.ping' };
}

export function diagTime(): Command {
  return { command: 'diag.time', params: null };
}

/** `thing.update` names the thing by `key` (not `thingKey`), as the agent does (§4). */
export function thingUpdate(thing: string, fields: { name?: string; desc?: string }): Command {
  return { command: 'thing.update', params: dropNulls({ key: thing, name: fields.name, desc: fields.desc }) };
}
