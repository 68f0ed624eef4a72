/**
 * The system RPCs of PID 0 (trinity.md §7) as a pure planner: given the settings and a command it
 * says what to reply and what to do (persist, publish, reconnect…); the agent does the I/O. The
 * seed's unsafe ones are refused or allow-listed (trinity.md §14, §15).
 */
import { CODES } from './grammar';
import { isTopicLevel } from './topics';

/** Settings Smart can change; persisted, and they win over unchanged node settings (trinity.md §9). */
export interface TrinitySettings {
  pdr_interval: number;
  use_rtc: boolean;
  keep_alive: number;
  default_qos: number;
  clean_session: boolean;
  trusted_senders: string[];
  host: string;
}

export const SETTING_KEYS: readonly (keyof TrinitySettings)[] = [
  'pdr_interval',
  'use_rtc',
  'keep_alive',
  'default_qos',
  'clean_session',
  'trusted_senders',
  'host',
];

/** What the planner may read besides the settings. */
export interface RpcContext {
  settings: TrinitySettings;
  /** Hosts `set_host` may move the device to. */
  hostAllowList: readonly string[];
  /** Read-only attributes `get` exposes (cid, hid, port, version…). */
  attributes: Readonly<Record<string, unknown>>;
  /** IP data, read by the agent before planning `pup_ip_address`. */
  ip?: unknown;
  /** A flow handles this command name on PID 0 (e.g. `reboot_hardware`). */
  flowHandles: (name: string) => boolean;
}

/** What the agent does for a command, in this order, then the reply. */
export type Effect =
  | { kind: 'persist'; settings: Partial<TrinitySettings> }
  /** `{"d": [TS, {"settings": {...}}]}` on PID 0 with these keys. */
  | { kind: 'publish-settings'; keys: (keyof TrinitySettings)[] }
  | { kind: 'publish-basic' }
  | { kind: 'publish-full' }
  | { kind: 'publish-all-settings' }
  | { kind: 'publish-ip' }
  /** Reschedule the periodic report (after `publish-basic` when the interval changed). */
  | { kind: 'schedule-pdr' }
  /** After the reply: reconnect with the new settings. */
  | { kind: 'reconnect' }
  /** After the reply: disconnect, wait, reconnect. */
  | { kind: 'break'; seconds: number };

export interface RpcPlan {
  /** Hand the command to the flow instead (no built-in, a flow names it). */
  toFlow: boolean;
  code: number;
  result?: unknown;
  effects: Effect[];
}

const reply = (code: number, result: unknown, effects: Effect[] = []): RpcPlan => ({ toFlow: false, code, result, effects });
const nac = (text: string): RpcPlan => reply(CODES.EXCEPTION, `NAC ${text}`);
const notImplemented = (why?: string): RpcPlan => reply(CODES.NOT_IMPLEMENTED, why ? `RPC Not implemented: ${why}` : 'RPC Not implemented');

/** Python-ish truth of a setting value: booleans, 0/1, and the usual words. undefined = not a boolean. */
export function parseBoolish(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['true', 't', 'yes', 'y', 'on', '1'].includes(s)) return true;
  if (['false', 'f', 'no', 'n', 'off', '0'].includes(s)) return false;
  return undefined;
}

/** A whole number in range from a number or digit text. */
export function parseWhole(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** The HID form of a trusted sender: what can be a topic level. */
export function isHid(v: unknown): v is string {
  return typeof v === 'string' && isTopicLevel(v) && v.length <= 64;
}

/** Names `get` answers; the seed returned any attribute, the current password included (trinity.md §15). */
export const GET_ALLOW_LIST: readonly string[] = [...SETTING_KEYS, 'cid', 'hid', 'port', 'version'];

const ARGS: Record<string, number> = {
  set_pdr_interval: 1,
  set_use_rtc: 1,
  set_ping_interval: 1,
  set_host: 1,
  take_a_break: 1,
  get: 1,
  add_trusted_sender: 1,
  remove_trusted_sender: 1,
  data_write: 2,
};

const WRITABLE: readonly string[] = ['use_rtc', 'pdr_interval', 'keep_alive', 'default_qos', 'clean_session'];

/** Settings text of a reply, as JSON (the original printed Python values; peers read only the prefix). */
const show = (v: unknown): string => JSON.stringify(v);

/** The settings payload `{"settings": {...}}` of these keys (trusted senders as a comma string, as the seed). */
export function settingsData(s: TrinitySettings, keys: readonly (keyof TrinitySettings)[] = SETTING_KEYS): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = k === 'trusted_senders' ? s.trusted_senders.join(',') : s[k];
  return { settings: out };
}

function setPdr(ctx: RpcContext, v: unknown): RpcPlan {
  const n = parseWhole(v, 0, 31_536_000);
  if (n === undefined) return nac(`PDR interval must be whole seconds from 0, not ${show(v)}`);
  const text = `OK. Set PDR to: ${n} sec.`;
  // Nothing happens if N is unchanged (trinity.md §7).
  if (n === ctx.settings.pdr_interval) return reply(CODES.OK, text);
  const effects: Effect[] = [
    { kind: 'persist', settings: { pdr_interval: n } },
    { kind: 'publish-settings', keys: ['pdr_interval'] },
  ];
  if (n > 0) effects.push({ kind: 'publish-basic' });
  effects.push({ kind: 'schedule-pdr' });
  return reply(CODES.OK, text, effects);
}

function setRtc(v: unknown): RpcPlan {
  const b = parseBoolish(v);
  if (b === undefined) return reply(CODES.NOT_BOOLEAN, `NAC ${show(v)} is not a boolean`);
  return reply(CODES.OK, `OK. Set RTC use to: ${show(b)}`, [
    { kind: 'persist', settings: { use_rtc: b } },
    { kind: 'publish-settings', keys: ['use_rtc'] },
  ]);
}

function setKeepAlive(v: unknown): RpcPlan {
  const n = parseWhole(v, 10, 65_535);
  if (n === undefined) return nac(`PING interval must be whole seconds from 10 to 65535, not ${show(v)}`);
  return reply(CODES.OK, `OK. Set PING interval to: ${n} sec.`, [
    { kind: 'persist', settings: { keep_alive: n } },
    { kind: 'publish-settings', keys: ['keep_alive'] },
    { kind: 'reconnect' },
  ]);
}

function setQos(v: unknown): RpcPlan {
  const n = parseWhole(v, -1_000_000, 1_000_000);
  if (n === undefined || n < 0 || n > 2) return nac('QOS out of range');
  // Everything leaves through the outbox, which needs a PUBACK: QoS 1 only.
  if (n !== 1) return nac(`QoS ${n} is not supported: this agent publishes at QoS 1 (records leave the outbox on PUBACK)`);
  return reply(CODES.OK, 'OK. Set default QoS to: 1', [{ kind: 'persist', settings: { default_qos: 1 } }]);
}

function setClean(v: unknown): RpcPlan {
  const b = parseBoolish(v);
  if (b === undefined) return reply(CODES.NOT_BOOLEAN, `NAC ${show(v)} is not a boolean`);
  if (!b) return nac('clean session cannot be turned off by this agent: it always starts clean and keeps its uplink in the outbox');
  return reply(CODES.OK, 'OK. Set clean session flag to: true.');
}

function dataWrite(ctx: RpcContext, path: unknown, obj: unknown): RpcPlan {
  const notExposed = reply(CODES.WRITE_NOT_EXPOSED, 'Data Write not exposed');
  if (path !== '/settings' || typeof obj !== 'object' || obj === null || Array.isArray(obj)) return notExposed;
  const entries: [string, unknown][] = Object.entries(obj as Record<string, unknown>);
  const first = entries[0];
  if (entries.length !== 1 || !first || !WRITABLE.includes(first[0])) return notExposed;
  const [key, value] = first;
  switch (key) {
    case 'use_rtc':
      return setRtc(value);
    case 'pdr_interval':
      return setPdr(ctx, value);
    case 'keep_alive':
      return setKeepAlive(value);
    case 'default_qos':
      return setQos(value);
    default:
      return setClean(value);
  }
}

function trustedChange(list: string[], text: string): RpcPlan {
  return reply(CODES.OK, text, [
    { kind: 'persist', settings: { trusted_senders: list } },
    { kind: 'publish-settings', keys: ['trusted_senders'] },
  ]);
}

/** Plans a system RPC (PID 0, from the trusted server). */
export function planSystemRpc(ctx: RpcContext, name: string, args: readonly unknown[]): RpcPlan {
  const need = Object.hasOwn(ARGS, name) ? ARGS[name] : undefined;
  if (need !== undefined && args.length !== need)
    return nac(`${name} expects ${need} argument${need === 1 ? '' : 's'}, got ${args.length}`);
  const [a, b] = args;
  const s = ctx.settings;
  switch (name) {
    case 'set_pdr_interval':
      return setPdr(ctx, a);
    case 'set_use_rtc':
      return setRtc(a);
    case 'set_ping_interval':
      return setKeepAlive(a);
    case 'set_clean_session':
      return args.length === 1 ? setClean(a) : nac('set_clean_session expects 1 argument');
    case 'set_host': {
      if (typeof a !== 'string' || !ctx.hostAllowList.includes(a)) {
        return nac(`host ${show(a)} is not in this device's allow-list of hosts`);
      }
      return reply(CODES.OK, `OK. Set host to: ${a}`, [{ kind: 'persist', settings: { host: a } }, { kind: 'reconnect' }]);
    }
    case 'take_a_break': {
      const n = parseWhole(a, 0, 86_400);
      if (n === undefined) return nac(`break must be whole seconds from 0 to 86400, not ${show(a)}`);
      return reply(CODES.OK, `OK. Took a ${n} sec break.`, [{ kind: 'break', seconds: n }]);
    }
    case 'get': {
      if (typeof a !== 'string' || !GET_ALLOW_LIST.includes(a)) return reply(CODES.NOT_EXPOSED, `Variable not exposed: ${show(a)}`);
      if ((SETTING_KEYS as readonly string[]).includes(a)) {
        const v = settingsData(s, [a as keyof TrinitySettings])['settings'] as Record<string, unknown>;
        return reply(CODES.OK, v[a]);
      }
      return reply(CODES.OK, Object.hasOwn(ctx.attributes, a) ? ctx.attributes[a] : null);
    }
    case 'pub_full_data':
      return reply(CODES.OK, 'OK. Full data published', [{ kind: 'publish-full' }]);
    case 'pub_all_settings':
      return reply(CODES.OK, 'OK. Settings published', [{ kind: 'publish-all-settings' }]);
    case 'pup_ip_address':
      return reply(CODES.OK, `OK. IP Published: ${show(ctx.ip ?? {})}`, [{ kind: 'publish-ip' }]);
    case 'add_trusted_sender': {
      if (!isHid(a)) return nac(`${show(a)} is not a device HID`);
      const list = s.trusted_senders.includes(a) ? s.trusted_senders : [...s.trusted_senders, a];
      return trustedChange(list, `OK. Added ${a} to trusted senders list.`);
    }
    case 'remove_trusted_sender': {
      if (!isHid(a)) return nac(`${show(a)} is not a device HID`);
      return trustedChange(
        s.trusted_senders.filter((x) => x !== a),
        `OK. Removed ${a} from trusted senders list.`,
      );
    }
    case 'clear_all_trusted_sender':
      return trustedChange([], 'OK. Removed all trusted senders.');
    case 'data_write':
      return dataWrite(ctx, a, b);
    case 'restart_client':
    case 'upgrade_client':
      return notImplemented('Node-RED manages its own restarts and updates');
    default:
      // reboot_hardware and any other name: only when a flow takes it (trinity.md §14: opt-in).
      if (ctx.flowHandles(name)) return { toFlow: true, code: CODES.OK, effects: [] };
      return notImplemented();
  }
}

// ---- health data (trinity.md §8) ----------------------------------------------------------------

/** Bytes of memory or disk. */
export interface Usage {
  total: number;
  used: number;
  free: number;
  percent: number;
}

/** What the host reports; any part may be missing (no firmware tool, no thermal zone…). */
export interface HealthReading {
  volts?: number | undefined;
  cpuTemp?: number | undefined;
  cpuUsage?: number | undefined;
  mem?: Usage | undefined;
  disk?: Usage | undefined;
}

/** The periodic report: `{"volts", "cpu_tmp", "cpu_usg", "mem": {"percent"}, "disk": {"percent"}}`, known parts only. */
export function basicHealth(h: HealthReading): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (h.volts !== undefined) out['volts'] = h.volts;
  if (h.cpuTemp !== undefined) out['cpu_tmp'] = h.cpuTemp;
  if (h.cpuUsage !== undefined) out['cpu_usg'] = h.cpuUsage;
  if (h.mem) out['mem'] = { percent: h.mem.percent };
  if (h.disk) out['disk'] = { percent: h.disk.percent };
  return out;
}

/** The full shape: memory and disk with total, used, free (bytes) and percent. */
export function fullHealth(h: HealthReading): Record<string, unknown> {
  const out = basicHealth(h);
  if (h.mem) out['mem'] = { ...h.mem };
  if (h.disk) out['disk'] = { ...h.disk };
  return out;
}

/** The dump after every connect: IP data, full hardware data, client versions, all settings. */
export function dumpData(
  ip: Record<string, unknown>,
  h: HealthReading,
  client: Record<string, string>,
  s: TrinitySettings,
): Record<string, unknown> {
  return { ...ip, ...fullHealth(h), client, ...settingsData(s) };
}
