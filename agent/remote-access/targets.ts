/**
 * Remote-access requests (`c8y_RemoteAccessConnect`, static `530`, cumulocity.md §6.2) checked
 * against the node's allow-list, and the platform's device endpoint for a connection key. Pure:
 * no sockets, no Node-RED. Nothing here puts the connection key into a reason text.
 */
import { fail, ok, type Result } from '../../dialects/types';

/** A TCP target as `host:port`; `host` lower-case, IPv6 without brackets. */
export interface Target {
  host: string;
  port: number;
}

/** What a `c8y_RemoteAccessConnect` asks for. `key` is a secret: never log it. */
export interface ConnectRequest {
  target: Target;
  key: string;
}

/**
 * What a relay-style request asks for (Helix Device Cloud `remote-access`: `url` of the cloud's
 * WebSocket relay, local `host`, local port as `protocol`). The URL may carry a session token:
 * never log it.
 */
export interface RelayRequest {
  target: Target;
  relayUrl: string;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const IPV6 = /^[0-9a-f:.]+$/;
/** Keys are UUIDs on the real platform; anything that could leave the URL path is refused. */
const KEY = /^[A-Za-z0-9._~-]{1,256}$/;

function parseHost(raw: string): string | undefined {
  const h = raw.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) {
    const inner = h.slice(1, -1);
    return IPV6.test(inner) && inner.includes(':') ? inner : undefined;
  }
  if (h.includes(':')) return IPV6.test(h) ? h : undefined;
  return HOST_NAME.test(h) && h.length <= 253 ? h : undefined;
}

function parsePort(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatTarget(t: Target): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/**
 * The node's allow-list: `host:port` entries separated by new lines, commas or spaces; `#` starts
 * a comment; IPv6 addresses go in brackets (`[::1]:22`). An empty list is valid and means remote access is off.
 */
export function parseAllowList(text: string): Result<Target[]> {
  const out: Target[] = [];
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((e) => e !== '');
  for (const entry of entries) {
    const m = /^(\[[^\]]*\]|[^:[\]]+):(\d{1,5})$/.exec(entry);
    const host = m?.[1] === undefined ? undefined : parseHost(m[1]);
    const port = parsePort(m?.[2]);
    if (host === undefined || port === undefined) return fail(`"${entry}" is not host:port (e.g. 127.0.0.1:22)`);
    if (!out.some((t) => t.host === host && t.port === port)) out.push({ host, port });
  }
  return ok(out);
}

/** The operation's parameters (`{hostname, port, connectionKey}`, §6.2 row 530), validated. */
export function parseConnectRequest(params: unknown): Result<ConnectRequest> {
  if (typeof params !== 'object' || params === null) return fail('the operation has no hostname, port and connection key');
  const p = params as Record<string, unknown>;
  const host = typeof p['hostname'] === 'string' ? parseHost(p['hostname']) : undefined;
  if (host === undefined) return fail('the operation names no valid host');
  const port = parsePort(p['port']);
  if (port === undefined) return fail(`the operation names no valid port for ${host}`);
  const key = p['connectionKey'];
  if (typeof key !== 'string' || !KEY.test(key)) return fail('the operation carries no valid connection key');
  return ok({ target: { host, port }, key });
}

/** The relay form (`{url, host, protocol}`), validated: a ws(s) URL and a local target. */
export function parseRelayRequest(params: Record<string, unknown>): Result<RelayRequest> {
  let url: URL;
  try {
    url = new URL(typeof params['url'] === 'string' ? params['url'] : '');
  } catch {
    return fail('the request names no valid relay URL');
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') return fail('the relay URL must be ws:// or wss://');
  if (url.username || url.password) return fail('the relay URL must not carry a user name or password');
  const host = typeof params['host'] === 'string' ? parseHost(params['host']) : undefined;
  if (host === undefined) return fail('the request names no valid host');
  const port = parsePort(params['protocol'] ?? params['port']);
  if (port === undefined) return fail(`the request names no valid port for ${host}`);
  return ok({ target: { host, port }, relayUrl: url.toString() });
}

/** Exactly listed: same host (as written, case-insensitive) and port. No name resolution. */
export function isAllowed(list: readonly Target[], t: Target): boolean {
  return list.some((a) => a.host === t.host && a.port === t.port);
}

/**
 * The device side of Cloud Remote Access: `ws(s)://<platform>/service/remoteaccess/device/<key>`
 * (the platform's base URL may carry a path prefix, e.g. a local proxy's `/c8y`).
 */
export function deviceEndpoint(baseUrl: string, key: string): Result<string> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return fail('the platform URL is not valid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail('the platform URL must be http(s)');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/service/remoteaccess/device/${encodeURIComponent(key)}`;
  url.search = '';
  url.hash = '';
  return ok(url.toString());
}

/** `text` with every occurrence of each secret replaced, for reasons built from library errors. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}
