/**
 * Actions ("methods") of HDC (helix-device-cloud.md §5): `method.exec` messages from the mailbox
 * decoded into requests, and the status codes and texts of their answers.
 */
import { hasControl, isObject, type CommandResult, type Json, type JsonObject } from './envelope';

/** Device-side status codes, sent as `errorCode` (§5). */
export const STATUS = {
  SUCCESS: 0,
  INVOKED: 1,
  BAD_PARAMETER: 2,
  BAD_REQUEST: 3,
  EXECUTION_ERROR: 4,
  EXISTS: 5,
  FILE_OPEN_FAILED: 6,
  FULL: 7,
  IO_ERROR: 8,
  NO_MEMORY: 9,
  NO_PERMISSION: 10,
  NOT_EXECUTABLE: 11,
  NOT_FOUND: 12,
  NOT_INITIALIZED: 13,
  OUT_OF_RANGE: 14,
  PARSE_ERROR: 15,
  TIMED_OUT: 16,
  TRY_AGAIN: 17,
  NOT_SUPPORTED: 18,
  FAILURE: 19,
} as const;

/** Cloud reply code for "file not found" (§5: the only one the agent checks). */
export const CLOUD_FILE_NOT_FOUND = -90008;

/** A method the cloud asked this device to run. */
export interface MethodRequest {
  id: string;
  method: string;
  params: JsonObject;
}

/** What one mailbox message decodes to. */
export type MailboxItem =
  | { kind: 'method'; request: MethodRequest }
  /** A method.exec we cannot run: answered with `code`/`message` when it has an id. */
  | { kind: 'bad'; id?: string | undefined; code: number; message: string }
  /** Another mailbox command: not for this agent. */
  | { kind: 'other'; id?: string | undefined; command: string };

const MAX_METHOD = 128;

/** One mailbox message (`{"id","command":"method.exec","thingKey","params":{"method","params"}}`). */
export function decodeMailboxMessage(m: unknown, thingKey: string): MailboxItem {
  if (!isObject(m)) return { kind: 'bad', code: STATUS.BAD_REQUEST, message: 'ERROR: mailbox message is not an object' };
  const id = typeof m['id'] === 'string' && m['id'] !== '' && m['id'].length <= 128 ? m['id'] : undefined;
  const command = typeof m['command'] === 'string' ? m['command'] : '';
  if (command !== 'method.exec') return { kind: 'other', id, command: command.slice(0, 64) };
  if (id === undefined) return { kind: 'bad', code: STATUS.BAD_REQUEST, message: 'ERROR: method.exec without an id' };
  if (m['thingKey'] !== undefined && m['thingKey'] !== thingKey)
    return { kind: 'bad', id, code: STATUS.BAD_REQUEST, message: 'ERROR: method.exec for another thing' };
  const p = m['params'];
  if (!isObject(p)) return { kind: 'bad', id, code: STATUS.BAD_PARAMETER, message: 'ERROR: method.exec without params' };
  const method = p['method'];
  if (typeof method !== 'string' || method === '' || method.length > MAX_METHOD || hasControl(method))
    return { kind: 'bad', id, code: STATUS.BAD_PARAMETER, message: 'ERROR: method.exec without a method name' };
  const inner = p['params'];
  if (inner !== undefined && inner !== null && !isObject(inner))
    return { kind: 'bad', id, code: STATUS.BAD_PARAMETER, message: `ERROR: parameters of "${method}" are not an object` };
  return { kind: 'method', request: { id, method, params: (inner ?? {}) as JsonObject } };
}

/** The messages of a `mailbox.check` result. */
export function decodeMailboxCheck(r: CommandResult, thingKey: string): MailboxItem[] {
  if (!r.success) return [];
  const msgs = r.params['messages'];
  if (!Array.isArray(msgs)) return [];
  return msgs.map((m) => decodeMailboxMessage(m, thingKey));
}

export function unknownMethodMessage(method: string): string {
  return `ERROR: 'Action "${method}" does not have a callback'`;
}

export const DISABLED_MESSAGE = 'This method is disabled by its iot.cfg setting';

/** Out params of the built-in `ping` (§5). */
export function pingResult(timeStamp: string): JsonObject {
  return { response: 'acknowledged', time_stamp: timeStamp };
}

/**
 * The flow's result (texts of the operation status node) as out params: a JSON object text is
 * used as it is, anything else goes under `result` (one value) or `results` (several).
 */
export function outParams(result: readonly string[] | undefined): JsonObject | undefined {
  if (!result || result.length === 0) return undefined;
  const values: Json[] = result.map((r) => {
    try {
      return JSON.parse(r) as Json;
    } catch {
      return r;
    }
  });
  const [first] = values;
  if (values.length === 1 && isObject(first)) return first;
  return values.length === 1 ? { result: first ?? null } : { results: values };
}

/**
 * A failure reason from the flow as a status and message: `"<code>: text"` with a device code
 * 2..19 picks that code, anything else is 19 (failure), the text prefixed `ERROR: ` as the agent does.
 */
export function failureOf(reason: string | undefined): { code: number; message: string } {
  const text = (reason ?? 'failed').trim() || 'failed';
  const m = /^(\d{1,2})\s*:\s*([\s\S]*)$/.exec(text);
  const code = m ? Number(m[1]) : NaN;
  if (m && code >= 2 && code <= 19) return { code, message: m[2] || 'ERROR' };
  return { code: STATUS.FAILURE, message: `ERROR: ${text}` };
}
