/**
 * Requests of the libpyiotcloud cloud and what a device answers (libpyiotcloud.md §3, §6, and
 * the corrections at its end). Pure: the device's readings come in, replies go out as JSON objects.
 *
 * Bad input, ours where the seed crashed: a payload that is not a JSON object gets no reply (the
 * cloud cannot match one anyway; vector 7), except `get_status`, which never reads its payload.
 * A JSON request with bad arguments (no pin number, a pin out of range, a value that is not 0/1, a
 * UART text that is missing or too long) is answered in the API's own reply shape with an extra
 * `"error"` text: the protocol has no error format of its own, and the cloud passes the JSON on to
 * the HTTP client, which then sees what went wrong instead of "Device is not running!".
 */
import { apiOf } from './topics';

/** The APIs the seed's device simulators answer (§3). */
export const BUILTIN_APIS: readonly string[] = [
  'get_status',
  'set_status',
  'write_uart',
  'get_gpio',
  'set_gpio',
  'get_rtc',
  'set_rtc',
  'get_mac',
  'get_ip',
  'get_subnet',
  'get_gateway',
];

export type Json = Record<string, unknown>;

/** What the device allows: its GPIO pins and the longest UART text. */
export interface RequestLimits {
  /** Pins that may be read and written (BCM numbers). */
  gpioPins: readonly number[];
  /** Longest UART text in UTF-8 bytes. */
  uartMaxBytes: number;
}

export type Request =
  /** A request to answer; `params` is the JSON object, set_gpio's value made an integer (vector 3). */
  | { kind: 'request'; api: string; params: Json }
  /** JSON with bad arguments: answer `reply` (the API's shape with an `error` text). */
  | { kind: 'invalid'; api: string; reason: string; reply: Json }
  /** Not a JSON object: no reply, a counted warning (vector 7). */
  | { kind: 'malformed'; api: string; reason: string }
  /** Not a request to this device (vectors 5, 6). */
  | { kind: 'ignored'; reason: string };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An integer from a number or digit text (the seed's `int()`), else undefined. */
export function toInteger(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[-+]?\d{1,15}\s*$/.test(v)) return Number(v);
  return undefined;
}

/** The pin of a GPIO request: `12` and `"12"` are the same pin (§3). */
export function gpioPin(params: Json): number | undefined {
  return toInteger(params['number']);
}

/** The reply of a bad request: the identifying fields echoed, plus the reason. */
export function errorReply(api: string, params: Json, reason: string): Json {
  const out: Json = {};
  if ((api === 'get_gpio' || api === 'set_gpio') && params['number'] !== undefined) out['number'] = params['number'];
  if (api === 'get_status' || api === 'set_status') out['status'] = 'error';
  out['error'] = reason;
  return out;
}

function checkPin(params: Json, limits: RequestLimits): string | undefined {
  if (params['number'] === undefined) return 'number is missing';
  const pin = gpioPin(params);
  if (pin === undefined) return `number must be a whole number, not ${JSON.stringify(params['number']).slice(0, 30)}`;
  if (!limits.gpioPins.includes(pin)) return `GPIO ${pin} is not available on this device`;
  return undefined;
}

/** Checks the arguments of a built-in API and normalises them; other APIs pass as they are. */
function checkArgs(api: string, params: Json, limits: RequestLimits): { params: Json } | { reason: string } {
  switch (api) {
    case 'get_gpio': {
      const bad = checkPin(params, limits);
      return bad ? { reason: bad } : { params };
    }
    case 'set_gpio': {
      const bad = checkPin(params, limits);
      if (bad) return { reason: bad };
      const value = typeof params['value'] === 'boolean' ? Number(params['value']) : toInteger(params['value']);
      if (value !== 0 && value !== 1)
        return { reason: `value must be 0 or 1, not ${JSON.stringify(params['value'] ?? null).slice(0, 30)}` };
      return { params: { ...params, value } };
    }
    case 'write_uart': {
      const data = params['data'];
      if (typeof data !== 'string') return { reason: 'data must be a text' };
      const bytes = Buffer.byteLength(data, 'utf8');
      if (bytes > limits.uartMaxBytes) return { reason: `data is ${bytes} bytes, more than the ${limits.uartMaxBytes} this device writes` };
      return { params };
    }
    case 'set_rtc': {
      const value = toInteger(params['value']);
      if (value === undefined || value < 0) return { reason: 'value must be whole seconds since 1970' };
      return { params: { ...params, value } };
    }
    default:
      return { params };
  }
}

/** Decodes one publish on the device's subscription. Never throws. */
export function decodeRequest(deviceId: string, topic: string, payload: string, limits: RequestLimits): Request {
  const api = apiOf(deviceId, topic);
  if (api === undefined) return { kind: 'ignored', reason: `not a request to this device: ${topic.slice(0, 80)}` };
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    v = undefined;
  }
  if (!isObject(v)) {
    // get_status never reads its payload: the original answers "running" even to non-JSON.
    if (api === 'get_status') return { kind: 'request', api, params: {} };
    return { kind: 'malformed', api, reason: v === undefined ? 'payload is not JSON' : 'payload is not a JSON object' };
  }
  const checked = checkArgs(api, v, limits);
  if ('reason' in checked) return { kind: 'invalid', api, reason: checked.reason, reply: errorReply(api, v, checked.reason) };
  return { kind: 'request', api, params: checked.params };
}

/** What the device read or did for a built-in request. */
export type DeviceAnswer =
  | { api: 'get_gpio' | 'set_gpio'; value: number }
  | { api: 'get_rtc'; nowMs: number }
  | { api: 'get_mac' | 'get_ip' | 'get_subnet' | 'get_gateway'; value: string }
  | { api: 'get_status' | 'set_status' | 'write_uart' | 'set_rtc' };

/** The reply of a built-in API (§3): shapes of the seed's Python simulator, `value` always an integer. */
export function builtinReply(params: Json, answer: DeviceAnswer): Json {
  switch (answer.api) {
    case 'get_status':
      return { status: 'running' };
    case 'set_status':
      return { status: 'restarting' };
    case 'write_uart':
      return { data: params['data'] };
    case 'get_gpio':
    case 'set_gpio':
      return { number: params['number'], value: answer.value };
    case 'get_rtc':
      return { value: Math.floor(answer.nowMs / 1000) };
    case 'set_rtc':
      return { value: params['value'] };
    default:
      return { value: answer.value };
  }
}

/**
 * The reply when the flow answered: its result if that is a JSON object, other JSON wrapped as
 * `{"value": …}`, and without a result the built-in shape where there is one, else the request echoed.
 */
export function flowReply(api: string, params: Json, result: readonly string[] | undefined): Json {
  if (result && result.length > 0) {
    const values = result.map((r) => {
      try {
        return JSON.parse(r) as unknown;
      } catch {
        return r;
      }
    });
    const first = values[0];
    if (values.length === 1 && isObject(first)) return first;
    return { value: values.length === 1 ? first : values };
  }
  if (api === 'get_status') return { status: 'running' };
  if (api === 'set_status') return { status: 'restarting' };
  return { ...params };
}
