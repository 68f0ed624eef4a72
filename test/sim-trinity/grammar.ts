// The simulator's own reading of Smart-MQTT uplinks (trinity.md §5), written apart from
// dialects/trinity so that a shared misreading cannot hide: strict where the platform expects a
// device to be strict (one key, d/e/x only, integer time stamps, events of three, integer codes).

export type Uplink =
  | { type: 'd'; ts: number; data: unknown }
  | { type: 'e'; ts: number; events: Array<[number, number, string]> }
  | { type: 'x'; ts: number; code: number; result?: unknown };

export type Checked = { ok: true; uplink: Uplink } | { ok: false; why: string };

const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Checks one uplink payload; anything a conforming device would not send is a violation. */
export function checkUplink(payload: string): Checked {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'not a JSON object' };
  const keys = Object.keys(v);
  if (keys.length !== 1) return { ok: false, why: `${keys.length} keys, not one` };
  const type = keys[0] as string;
  const body = (v as Record<string, unknown>)[type];
  if (!Array.isArray(body)) return { ok: false, why: `${type}: value is not an array` };
  const items = body as unknown[];
  if (!whole(items[0])) return { ok: false, why: `${type}: time stamp ${JSON.stringify(items[0])} is not an integer` };
  const ts = items[0];
  switch (type) {
    case 'd':
      if (items.length !== 2) return { ok: false, why: `d: ${items.length} items, not 2` };
      return { ok: true, uplink: { type: 'd', ts, data: items[1] } };
    case 'e': {
      if (items.length !== 2) return { ok: false, why: `e: ${items.length} items, not 2` };
      const list = items[1];
      if (!Array.isArray(list) || list.length === 0) return { ok: false, why: 'e: no event list' };
      const events: Array<[number, number, string]> = [];
      for (const e of list as unknown[]) {
        if (!Array.isArray(e) || e.length !== 3 || !whole(e[0]) || !whole(e[1]) || typeof e[2] !== 'string') {
          return { ok: false, why: `e: bad event ${JSON.stringify(e)}` };
        }
        if (e[0] > 0) return { ok: false, why: `e: event in the future (SSE ${e[0]})` };
        events.push([e[0], e[1], e[2]]);
      }
      return { ok: true, uplink: { type: 'e', ts, events } };
    }
    case 'x': {
      if (items.length !== 2 && items.length !== 3) return { ok: false, why: `x: ${items.length} items` };
      if (!whole(items[1])) return { ok: false, why: `x: code ${JSON.stringify(items[1])} is not an integer` };
      if (items.length === 3) return { ok: true, uplink: { type: 'x', ts, code: items[1], result: items[2] } };
      return { ok: true, uplink: { type: 'x', ts, code: items[1] } };
    }
    default:
      return { ok: false, why: `message type ${JSON.stringify(type)} is not one a device sends` };
  }
}

/** A command payload as the Smart server writes it: `{"c": [TS, TCT, [NAME, ...ARGS]]}` (no TCT: fire and forget). */
export function commandPayload(ts: number, tct: string | undefined, name: string, args: readonly unknown[]): string {
  return JSON.stringify({ c: tct === undefined ? [ts, [name, ...args]] : [ts, tct, [name, ...args]] });
}
