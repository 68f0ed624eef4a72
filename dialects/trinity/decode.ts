/**
 * The receive pipeline of a downlink up to the handler (trinity.md §6, with the corrections at its
 * end): our topic, a trusted sender (checked first: untrusted senders never get an answer), the
 * payload grammar, then a command for a known PID. Pure: the trusted list and PIDs come in.
 */
import { CODES, parsePayload } from './grammar';
import { parseDownlinkTopic, SYSTEM_PID, TRUSTED_SERVER, type TrinityIds } from './topics';

export interface DownlinkContext extends TrinityIds {
  /** Trusted senders besides the Smart server (persisted list). */
  trusted: readonly string[];
  /** Application PIDs registered on this device; `0` is always known. */
  pids: readonly string[];
}

/** A command for a handler: a system RPC (PID 0) or an application's. */
export interface TrinityCommand {
  pid: string;
  sender: string;
  senderPid: string | undefined;
  tct: string;
  /** The command's time stamp; undefined when it was not an integer (parse code 1). */
  ts: number | undefined;
  /** 0, or 1 when the time stamp was bad (the command still runs, trinity.md T8). */
  parseCode: 0 | 1 | 2;
  name: string;
  args: unknown[];
}

export type Downlink =
  | { kind: 'command'; command: TrinityCommand }
  /** Refused with a code; answered `{"x": [TS, code, text]}` when `tct` is known. */
  | { kind: 'refused'; code: number; text: string; tct: string | undefined; pid: string; reason: string }
  /** Not for us, untrusted, or nothing to do: dropped without an answer (`count` says whether to count it as bad input). */
  | { kind: 'ignored'; reason: string; bad: boolean };

const ignore = (reason: string, bad: boolean): Downlink => ({ kind: 'ignored', reason, bad });

/** Whether a sender may command this device (trinity.md §6 step 2). */
export function isTrusted(sender: string, trusted: readonly string[]): boolean {
  return sender === TRUSTED_SERVER || trusted.includes(sender);
}

/** Decodes one downlink publish. Never throws. */
export function decodeDownlink(ctx: DownlinkContext, topic: string, payload: string): Downlink {
  const t = parseDownlinkTopic(ctx, topic);
  if (!t) return ignore(`not a downlink topic of this device: ${topic.slice(0, 80)}`, false);
  if (!isTrusted(t.sender, ctx.trusted)) return ignore(`sender ${JSON.stringify(t.sender.slice(0, 20))} is not trusted`, true);
  const parsed = parsePayload(payload);
  if (!parsed.ok) {
    return { kind: 'refused', code: parsed.code, text: 'Error', tct: parsed.tct, pid: t.pid, reason: parsed.reason };
  }
  const m = parsed.message;
  if (m.type !== 'c') return ignore(`a "${m.type}" message is not for a device`, true);
  // trinity.md T7: without a TCT the original never reaches the handler; ours ignores it, counted.
  if (m.tct === undefined) return ignore(`command ${JSON.stringify(m.name.slice(0, 40))} without a TCT`, true);
  if (t.pid === SYSTEM_PID && t.sender !== TRUSTED_SERVER) {
    return ignore(`system command from ${t.sender}: only the Smart server may send those`, true);
  }
  if (t.pid !== SYSTEM_PID && !ctx.pids.includes(t.pid)) {
    return { kind: 'refused', code: CODES.UNKNOWN_PID, text: 'Unknown PID', tct: m.tct, pid: t.pid, reason: `unknown PID ${t.pid}` };
  }
  return {
    kind: 'command',
    command: {
      pid: t.pid,
      sender: t.sender,
      senderPid: t.senderPid,
      tct: m.tct,
      ts: m.ts,
      parseCode: parsed.code,
      name: m.name,
      args: m.args,
    },
  };
}
