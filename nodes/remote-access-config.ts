/** Settings of the remote-access node, validated (pure): the editor checks them too, a hand-edited flow is caught here. */
import { fail, ok, type Result } from '../dialects/types';
import { REMOTE_ACCESS_DEFAULTS, type RemoteAccessConfig } from '../agent/remote-access/manager';
import { parseAllowList } from '../agent/remote-access/targets';

export interface RemoteAccessDef {
  allow?: unknown;
  maxTunnels?: unknown;
  idleTimeout?: unknown;
  connectTimeout?: unknown;
}

/** `deviceAgentRemoteAccess` in settings.js: tuning that the editor does not show. */
export interface RemoteAccessSettings {
  /** WebSocket ping interval, default 30 000 ms. */
  pingIntervalMs?: number;
  /** Bytes queued towards the platform per tunnel before the local side is paused, default 1 MiB. */
  highWaterMark?: number;
}

function int(v: unknown, dflt: number, min: number, max: number, what: string): Result<number> {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (text === '') return ok(dflt);
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) return fail(`${what} must be a whole number from ${min} to ${max}, not "${text}"`);
  return ok(n);
}

function setting(v: unknown, dflt: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt;
}

export function parseRemoteAccessDef(def: RemoteAccessDef, settings: RemoteAccessSettings = {}): Result<RemoteAccessConfig> {
  const allow = parseAllowList(typeof def.allow === 'string' ? def.allow : '');
  if (!allow.ok) return allow;
  const max = int(def.maxTunnels, 4, 1, 64, 'maximum tunnels');
  if (!max.ok) return max;
  const idle = int(def.idleTimeout, 600, 0, 86_400, 'idle timeout');
  if (!idle.ok) return idle;
  const connect = int(def.connectTimeout, 15, 1, 120, 'connect timeout');
  if (!connect.ok) return connect;
  return ok({
    allow: allow.value,
    maxTunnels: max.value,
    idleTimeoutSec: idle.value,
    connectTimeoutSec: connect.value,
    pingIntervalMs: setting(settings.pingIntervalMs, REMOTE_ACCESS_DEFAULTS.pingIntervalMs, 50),
    highWaterMark: setting(settings.highWaterMark, REMOTE_ACCESS_DEFAULTS.highWaterMark, 16 * 1024),
    maxMessageBytes: REMOTE_ACCESS_DEFAULTS.maxMessageBytes,
  });
}
