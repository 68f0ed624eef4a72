/**
 * The pyaiot node side (pyaiot.md §3, §6, §7 N1–N13): what our node publishes, and what the
 * gateway's requests to it mean. Pure: the resource registry comes in as a list.
 *
 * Every node publish is QoS 1, never retained (§2). `node/check`, `resources` and the discovery
 * answers are session traffic (sent now or never: an old announcement is worth nothing after a
 * reconnect, the node announces itself again anyway); value publications are telemetry.
 */
import { fail, ok, type BatchRule, type Measurement, type Outbound, type Result } from '../types';
import { CHECK_TOPIC, checkResourceName, parseNodeTopic, resourcesTopic, valueTopic } from './topics';

/** One JSON object per publish: nothing is joined. */
export const BATCH_RULE: BatchRule = { separator: '', maxPayloadBytes: 64 * 1024 };

/** A resource value: anything JSON (pyaiot forwards it unchanged), usually a string or a number. */
export type ResourceValue = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };

/** `node/check` `{"id":"<id>"}` (T1). */
export function encodeCheck(id: string): Outbound {
  return { topic: CHECK_TOPIC, payload: JSON.stringify({ id }), priority: 'control', batchable: false };
}

/** `node/<id>/resources` `["name",…]` (T3). */
export function encodeResources(id: string, names: readonly string[]): Outbound {
  return { topic: resourcesTopic(id), payload: JSON.stringify(names), priority: 'control', batchable: false };
}

/** `node/<id>/<resource>` `{"value":…}` (T5). */
export function encodeValue(
  id: string,
  resource: string,
  value: ResourceValue,
  priority: 'control' | 'telemetry' = 'telemetry',
): Result<Outbound> {
  const bad = checkResourceName(resource);
  if (bad) return fail(bad);
  let payload: string;
  try {
    payload = JSON.stringify({ value });
  } catch (err) {
    return fail(`value of ${resource} cannot be encoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (payload === undefined || Buffer.byteLength(payload, 'utf8') > BATCH_RULE.maxPayloadBytes)
    return fail(`value of ${resource} is not JSON or over ${BATCH_RULE.maxPayloadBytes} bytes`);
  return ok({ topic: valueTopic(id, resource), payload, priority, batchable: false });
}

/** How numbers are published: `dashboard` appends the unit as text (`"21.4°C"`, §3), `raw` keeps numbers. */
export type ValueStyle = 'dashboard' | 'raw';

/** A number as the stock dashboard wants it: with its unit as one string, or the number itself. */
export function styleNumber(value: number, unit: string | undefined, style: ValueStyle): ResourceValue {
  return style === 'dashboard' && unit ? `${value}${unit}` : value;
}

/**
 * A measurement as resource values: each series is one resource, named by its series name
 * (`temperature` for series `temperature`; a payload `{temperature: 21, humidity: 45}` gives two).
 * Series `lat` and `lng` together are the dashboard's `position` resource (N12).
 */
export function measurementValues(m: Measurement, style: ValueStyle): Result<Array<{ resource: string; value: ResourceValue }>> {
  const out: Array<{ resource: string; value: ResourceValue }> = [];
  const lat = m.series.find((s) => s.series === 'lat');
  const lng = m.series.find((s) => s.series === 'lng');
  if (lat && lng) out.push({ resource: 'position', value: positionValue(lat.value, lng.value) });
  for (const s of m.series) {
    if (lat && lng && (s === lat || s === lng)) continue;
    const bad = checkResourceName(s.series);
    if (bad) return fail(bad);
    out.push({ resource: s.series, value: styleNumber(s.value, s.unit, style) });
  }
  return ok(out);
}

/** The pyaiot dashboard's position value: a JSON *string* `{"lat": …, "lng": …}` (§3, N12). */
export function positionValue(lat: number, lng: number): string {
  return `{"lat": ${lat}, "lng": ${lng}}`;
}

/** What one publish the node received asks of it. */
export type NodeRequest =
  | { kind: 'check' }
  | { kind: 'resources' }
  | { kind: 'values' }
  | { kind: 'set'; resource: string; text: string }
  | { kind: 'bad'; reason: string }
  | { kind: 'ignored'; reason: string };

/** Decodes a publish on the node's subscriptions (N3, N4, N5, N6, N10, N11). Never throws. */
export function decodeNodeRequest(id: string, topic: string, payload: Buffer): NodeRequest {
  const t = parseNodeTopic(id, topic);
  switch (t.kind) {
    case 'gateway-check':
      return { kind: 'check' };
    case 'discover': {
      const text = payload.toString('utf8');
      if (text === 'resources') return { kind: 'resources' };
      if (text === 'values') return { kind: 'values' };
      return { kind: 'bad', reason: `discover request "${text.slice(0, 40)}" is neither "resources" nor "values"` };
    }
    case 'set':
      return { kind: 'set', resource: t.resource, text: payload.toString('utf8') };
    default:
      return { kind: 'ignored', reason: `not a request to node ${id}: ${topic.slice(0, 80)}` };
  }
}
