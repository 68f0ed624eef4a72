/**
 * The Smart-MQTT payload grammar and its result codes (trinity.md §5): one JSON object with one
 * key, the message type, whose value is an array starting with the time stamp. The checks run in
 * the order of the reference, so a payload gets the same code as from the original parser.
 */

/** Parser result codes (trinity.md §5, §10). Negative: refused; 1 and 2: accepted in part. */
export const CODES = {
  OK: 0,
  BAD_TIMESTAMP: 1,
  SOME_EVENTS_BROKEN: 2,
  EMPTY: -1,
  NOT_ARRAY: -2,
  TOO_FEW: -3,
  TOO_MANY: -4,
  UNKNOWN_TYPE: -5,
  COMMAND_NOT_ARRAY: -6,
  COMMAND_EMPTY: -7,
  NAME_NOT_STRING: -8,
  EVENTS_NOT_ARRAY: -9,
  EVENTS_EMPTY: -10,
  NOT_JSON: -14,
  NO_GOOD_EVENT: -17,
  BAD_TCT: -18,
  UNKNOWN_PID: -19,
  MALFORMED_TOPIC: -20,
  NOT_EXPOSED: -21,
  EXCEPTION: -22,
  WRITE_NOT_EXPOSED: -23,
  NOT_BOOLEAN: -24,
  NOT_IMPLEMENTED: -100,
} as const;

export type MessageType = 'c' | 'd' | 'e' | 'x' | 'i';
const TYPES: readonly string[] = ['c', 'd', 'e', 'x', 'i'];

/** One event: seconds since it happened (0 or negative), an integer code, a text. */
export type TrinityEvent = [sse: number, code: number, text: string];

export type TrinityMessage =
  | { type: 'c'; ts: number | undefined; tct: string | undefined; name: string; args: unknown[] }
  | { type: 'd'; ts: number | undefined; data: unknown }
  | { type: 'e'; ts: number | undefined; events: TrinityEvent[] }
  | { type: 'x'; ts: number | undefined; code: unknown; result: unknown }
  | { type: 'i'; ts: number | undefined; value: unknown[] };

/**
 * A parsed payload. Refused payloads keep the TCT when it could be read (a `c` array whose second
 * item is a string), so the error can be answered.
 */
export type ParseResult =
  { ok: true; code: 0 | 1 | 2; message: TrinityMessage } | { ok: false; code: number; tct: string | undefined; reason: string };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function refuse(code: number, reason: string, tct?: string): ParseResult {
  return { ok: false, code, tct, reason };
}

function isEvent(v: unknown): v is TrinityEvent {
  return Array.isArray(v) && v.length === 3 && isInt(v[0]) && isInt(v[1]) && typeof v[2] === 'string';
}

/** Parses one payload with the reference's checks and codes. Never throws. */
export function parsePayload(text: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return refuse(CODES.NOT_JSON, 'not JSON');
  }
  // Our choice where the reference is silent: JSON that is not an object counts as not JSON.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return refuse(CODES.NOT_JSON, 'not a JSON object');
  const keys = Object.keys(v);
  if (keys.length === 0) return refuse(CODES.EMPTY, 'empty object');
  const type = keys[0] ?? '';
  if (keys.length > 1) return refuse(CODES.UNKNOWN_TYPE, `more than one message type (${keys.slice(0, 3).join(', ')})`);
  if (!TYPES.includes(type)) return refuse(CODES.UNKNOWN_TYPE, `unknown message type ${JSON.stringify(type.slice(0, 20))}`);
  const value = (v as Record<string, unknown>)[type];
  if (!Array.isArray(value)) return refuse(CODES.NOT_ARRAY, 'value is not an array');
  const items: unknown[] = value;
  // The TCT is known as soon as the array has a string second item; errors from here on can be answered.
  const tct = type === 'c' && typeof items[1] === 'string' && items[1] !== '' ? items[1] : undefined;
  if (items.length < 2) return refuse(CODES.TOO_FEW, 'fewer than 2 items');
  if (items.length > 3) return refuse(CODES.TOO_MANY, 'more than 3 items', tct);
  const ts = isInt(items[0]) ? items[0] : undefined;
  const tsCode: 0 | 1 = ts === undefined ? CODES.BAD_TIMESTAMP : CODES.OK;
  switch (type as MessageType) {
    case 'c': {
      const second = items[1];
      let command: unknown;
      if (typeof second === 'string') command = items[2];
      else if (Array.isArray(second)) command = second;
      else return refuse(CODES.BAD_TCT, 'second item is neither a TCT nor a command');
      if (!Array.isArray(command)) return refuse(CODES.COMMAND_NOT_ARRAY, 'command is not an array', tct);
      const cmd: unknown[] = command;
      if (cmd.length === 0) return refuse(CODES.COMMAND_EMPTY, 'command is empty', tct);
      const [name, ...args] = cmd;
      if (typeof name !== 'string') return refuse(CODES.NAME_NOT_STRING, 'command name is not a string', tct);
      return { ok: true, code: tsCode, message: { type: 'c', ts, tct, name, args } };
    }
    case 'e': {
      const list = items[1];
      if (!Array.isArray(list)) return refuse(CODES.EVENTS_NOT_ARRAY, 'events are not an array');
      const all: unknown[] = list;
      if (all.length === 0) return refuse(CODES.EVENTS_EMPTY, 'no events');
      const events: TrinityEvent[] = [];
      for (const e of all) {
        if (!isEvent(e)) break; // a bad event stops the scan (reference)
        events.push(e);
      }
      if (events.length === 0) return refuse(CODES.NO_GOOD_EVENT, 'no well-formed event');
      const code = events.length < all.length ? CODES.SOME_EVENTS_BROKEN : tsCode;
      return { ok: true, code, message: { type: 'e', ts, events } };
    }
    case 'd':
      return { ok: true, code: tsCode, message: { type: 'd', ts, data: items[1] } };
    case 'x':
      return { ok: true, code: tsCode, message: { type: 'x', ts, code: items[1], result: items[2] } };
    case 'i':
      return { ok: true, code: tsCode, message: { type: 'i', ts, value: items.slice(1) } };
  }
}

/** The reference's "decoded command" form: `{NAME: [ARG...]}`. */
export function commandObject(name: string, args: readonly unknown[]): Record<string, unknown[]> {
  return { [name]: [...args] };
}
