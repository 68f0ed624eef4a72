/** Messages into device attributes and position fixes (pure), for the attribute and location nodes (issue 9). */
import type { GeoLocation } from '../agent/platform';
import { fail, ok, type Result } from '../dialects/types';

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_VALUE = 4096;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function asText(v: unknown, what: string): Result<string> {
  if (typeof v === 'string') return v.length <= MAX_VALUE ? ok(v) : fail(`${what} is longer than ${MAX_VALUE} characters`);
  if (typeof v === 'number' && Number.isFinite(v)) return ok(String(v));
  if (typeof v === 'boolean') return ok(String(v));
  return fail(`${what} must be a text, number or boolean`);
}

/**
 * Attributes from a value: an object gives one attribute per key; a single value needs a key
 * (the node's setting, else `msg.topic`).
 */
export function toAttributes(value: unknown, key: string): Result<Record<string, string>> {
  const out: Record<string, string> = {};
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return fail('payload object has no attributes');
    for (const k of keys) {
      if (!KEY.test(k)) return fail(`attribute name "${k.slice(0, 70)}" must be 1-64 letters, digits, "_", "." or "-"`);
      const t = asText(value[k], `attribute "${k}"`);
      if (!t.ok) return t;
      out[k] = t.value;
    }
    return ok(out);
  }
  const k = key.trim();
  if (!k) return fail('attribute name is empty: set it in the node or in msg.topic');
  if (!KEY.test(k)) return fail(`attribute name "${k.slice(0, 70)}" must be 1-64 letters, digits, "_", "." or "-"`);
  const t = asText(value, `attribute "${k}"`);
  if (!t.ok) return t;
  out[k] = t.value;
  return ok(out);
}

const NUMBERS = ['heading', 'altitude', 'speed', 'fixAcc'] as const;
const TEXTS = ['fixType', 'streetNumber', 'street', 'city', 'state', 'zipCode', 'country'] as const;

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return undefined;
}

/** A fix from `{lat, lng, …}` (also `latitude`/`longitude`/`lon`), checked against the world's ranges. */
export function toLocation(value: unknown, time: Date): Result<GeoLocation> {
  if (!isRecord(value)) return fail('payload must be an object with lat and lng');
  const lat = num(value['lat'] ?? value['latitude']);
  const lng = num(value['lng'] ?? value['lon'] ?? value['longitude']);
  if (lat === undefined || !Number.isFinite(lat) || lat < -90 || lat > 90) return fail('lat must be a number from -90 to 90');
  if (lng === undefined || !Number.isFinite(lng) || lng < -180 || lng > 180) return fail('lng must be a number from -180 to 180');
  const fix: GeoLocation = { lat, lng, time };
  for (const k of NUMBERS) {
    if (value[k] === undefined || value[k] === null) continue;
    const n = num(value[k]);
    if (n === undefined || !Number.isFinite(n)) return fail(`${k} must be a number`);
    fix[k] = n;
  }
  for (const k of TEXTS) {
    if (value[k] === undefined || value[k] === null) continue;
    const t = asText(value[k], k);
    if (!t.ok) return t;
    fix[k] = t.value;
  }
  return ok(fix);
}
