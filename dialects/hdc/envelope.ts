/**
 * The TR50 JSON envelope of Helix Device Cloud (helix-device-cloud.md §3): numbered commands in a
 * request on `api/<NNNN>`, one numbered result each in the reply on `reply/<NNNN>`, mailbox
 * notices on `notify/mailbox_activity`. Pure: no I/O, no clocks.
 */
import { fail, ok, type Result } from '../types';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** One command of a request. `params` undefined = no params key (diag.ping); null = `"params":null` (diag.time). */
export interface Command {
  command: string;
  params?: JsonObject | null | undefined;
}

/** One result of a reply. */
export type CommandResult = { success: true; params: JsonObject } | { success: false; errorCodes: number[]; errorMessages: string[] };

export const NOTIFY_MAILBOX = 'notify/mailbox_activity';

/** Whether a text holds a control character (C0 or DEL). */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `api/0001`: the per-connection number, zero-padded to at least 4 digits (§3). */
export function requestTopic(n: number): string {
  return `api/${String(n).padStart(4, '0')}`;
}

/** The number of a `reply/<NNNN>` topic, or undefined for any other topic. */
export function replyNumber(topic: string): number | undefined {
  const m = /^reply\/(\d{1,9})$/.exec(topic);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}

/** Top-level params without the null-valued keys (§3: `false` stays; items inside batches keep their nulls). */
export function dropNulls(params: Record<string, Json | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** The JSON of one command (what the outbox stores; numbered when the request is made). */
export function encodeCommand(c: Command): string {
  return c.params === undefined ? JSON.stringify({ command: c.command }) : JSON.stringify({ command: c.command, params: c.params });
}

/**
 * A request from commands already encoded by {@link encodeCommand}: `{"1":…,"2":…}`, compact.
 * Each text must be one JSON object (the courier joins stored commands with a newline).
 */
export function encodeRequest(commandTexts: readonly string[]): string {
  return `{${commandTexts.map((c, i) => `"${i + 1}":${c}`).join(',')}}`;
}

/** Decodes a reply payload into its numbered results (1-based, as sent). */
export function decodeReply(text: string): Result<Map<number, CommandResult>> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('reply is not JSON');
  }
  if (!isObject(v)) return fail('reply is not a JSON object');
  const out = new Map<number, CommandResult>();
  for (const [k, r] of Object.entries(v)) {
    if (!/^[1-9]\d{0,5}$/.test(k)) return fail(`reply key "${k.slice(0, 20)}" is not a command number`);
    if (!isObject(r) || typeof r['success'] !== 'boolean') return fail(`result ${k} has no "success"`);
    if (r['success']) {
      const p = r['params'];
      out.set(Number(k), { success: true, params: isObject(p) ? (p as JsonObject) : {} });
    } else {
      const codes = Array.isArray(r['errorCodes']) ? r['errorCodes'].filter((c): c is number => typeof c === 'number') : [];
      const msgs = Array.isArray(r['errorMessages']) ? r['errorMessages'].filter((c): c is string => typeof c === 'string') : [];
      out.set(Number(k), { success: false, errorCodes: codes, errorMessages: msgs });
    }
  }
  if (out.size === 0) return fail('reply has no results');
  return ok(out);
}

/** `notify/mailbox_activity`: whether it is for this thing (a notice for another thing is ignored). */
export function decodeNotify(text: string, thingKey: string): Result<{ sessionId?: string | undefined }> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('mailbox notice is not JSON');
  }
  if (!isObject(v)) return fail('mailbox notice is not a JSON object');
  if (v['thingKey'] !== undefined && v['thingKey'] !== thingKey)
    return fail(`mailbox notice for another thing: ${JSON.stringify(v['thingKey']).slice(0, 64)}`);
  return ok({ sessionId: typeof v['sessionId'] === 'string' ? v['sessionId'] : undefined });
}

/** A cloud failure as one line for logs and errors. */
export function describeFailure(r: CommandResult): string {
  if (r.success) return 'success';
  const codes = r.errorCodes.length > 0 ? r.errorCodes.join(', ') : 'no code';
  return r.errorMessages.length > 0 ? `${codes}: ${r.errorMessages.join('; ')}` : codes;
}

/**
 * Stored commands are joined by a newline (JSON text never holds a raw one) and numbered into one
 * request when published; 128 KiB keeps a request well under the brokers' usual limits.
 */
export const BATCH_RULE = { separator: '\n', maxPayloadBytes: 128 * 1024 } as const;

/** The request for a run of stored commands as the courier joined them. */
export function requestFromJoined(joined: string): string {
  return encodeRequest(joined.split(BATCH_RULE.separator));
}

/** How many commands a joined run holds. */
export function commandCount(joined: string): number {
  return joined.split(BATCH_RULE.separator).length;
}
