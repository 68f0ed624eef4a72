/**
 * One connection attempt, step by step, for the connection dialog's "Test connection" button:
 * name lookup, TCP, TLS (mqtts/wss), then one MQTT CONNECT with the same options the session
 * uses, disconnected cleanly at CONNACK. Nothing is published and nothing is saved.
 *
 * Each step reports a code and parameters, never text: the editor words them in the user's
 * language (locales/<lang>/connection.json, `connection.test.*`).
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as tls from 'node:tls';
import mqtt, { type IClientOptions } from 'mqtt';
import type { AgentConfig } from '../agent/cumulocity-agent';
import { BOOTSTRAP_USER, username as c8yUsername } from '../dialects/cumulocity/topics';
import type { SessionSettings, TlsSettings } from '../transport/session';

export type StepName = 'config' | 'dns' | 'tcp' | 'tls' | 'mqtt';

export interface ProbeStep {
  step: StepName;
  ok: boolean;
  /** Locale key under `connection.test.` */
  code: string;
  params: Record<string, string | number>;
}

/** Who logs in: device credentials (typed, saved or obtained by bootstrap), the bootstrap user, or a certificate. */
export interface ProbeLogin {
  username?: string | undefined;
  password?: string | undefined;
  /** What the login is, for the report: basic, stored (bootstrap credentials on disk), bootstrap, cert. */
  kind: 'basic' | 'stored' | 'bootstrap' | 'cert';
}

export interface ProbeOptions {
  timeoutMs?: number;
}

/** What one test connects to and as whom, whatever the dialect. */
export interface ProbeTarget {
  /** `mqtt://host:port`, `mqtts://…`, `ws://host:port/path`, `wss://…`. */
  url: string;
  host: string;
  clientId: string;
  keepaliveSec: number;
  tls?: TlsSettings | undefined;
  login: ProbeLogin;
}

/** A Cumulocity connection's target with the login the agent would use first. */
export function cumulocityTarget(cfg: AgentConfig, login: ProbeLogin): ProbeTarget {
  return { url: cfg.url, host: cfg.host, clientId: cfg.deviceId, keepaliveSec: cfg.keepaliveSec, tls: cfg.tls, login };
}

/** Any dialect's target from the session settings its agent would connect with. */
export function sessionTarget(s: SessionSettings): ProbeTarget {
  const u = new URL(s.url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // TLS settings count only where the scheme has TLS (a dialect may keep them for plain MQTT too).
  const tls = u.protocol === 'mqtts:' || u.protocol === 'wss:' ? s.tls : undefined;
  const kind = tls?.cert ? 'cert' : 'basic';
  return {
    url: s.url,
    host,
    clientId: s.clientId,
    keepaliveSec: s.keepaliveSec,
    tls,
    login: { username: s.username, password: s.password, kind },
  };
}

/** The login the agent would use first: stored device credentials win over a bootstrap (as in the agent). */
export function loginFor(cfg: AgentConfig, stored: { tenant: string; username: string; password: string } | undefined): ProbeLogin {
  const a = cfg.auth;
  if (a.mode === 'basic') return { kind: 'basic', username: c8yUsername(cfg.tenant, a.user), password: a.password };
  if (a.mode === 'bootstrap') {
    if (stored) return { kind: 'stored', username: c8yUsername(stored.tenant, stored.username), password: stored.password };
    return { kind: 'bootstrap', username: BOOTSTRAP_USER, password: a.password };
  }
  return { kind: 'cert' };
}

const TLS_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls-untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls-untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls-untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls-untrusted',
  CERT_HAS_EXPIRED: 'tls-expired',
  CERT_NOT_YET_VALID: 'tls-expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls-name',
};

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'tcp-refused',
  ETIMEDOUT: 'tcp-timeout',
  EHOSTUNREACH: 'tcp-unreachable',
  ENETUNREACH: 'tcp-unreachable',
  ECONNRESET: 'tcp-reset',
};

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' || typeof c === 'number' ? String(c) : '';
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      const e: NodeJS.ErrnoException = new Error(`no answer within ${ms} ms`);
      e.code = 'ETIMEDOUT';
      reject(e);
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function portOf(cfg: ProbeTarget): number {
  const u = new URL(cfg.url);
  if (u.port) return Number(u.port);
  return { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 }[u.protocol] ?? 1883;
}

async function lookup(host: string, ms: number): Promise<ProbeStep & { address?: string }> {
  if (net.isIP(host)) return { step: 'dns', ok: true, code: 'dns-literal', params: { host }, address: host };
  try {
    const all = await withTimeout(dns.promises.lookup(host, { all: true }), ms, () => undefined);
    const first = all[0];
    if (!first) return { step: 'dns', ok: false, code: 'dns-notfound', params: { host } };
    return {
      step: 'dns',
      ok: true,
      code: 'dns-ok',
      params: { host, addresses: all.map((a) => a.address).join(', ') },
      address: first.address,
    };
  } catch (err) {
    const code = errCode(err);
    const key = code === 'ENOTFOUND' ? 'dns-notfound' : code === 'EAI_AGAIN' || code === 'ETIMEDOUT' ? 'dns-unavailable' : 'dns-error';
    return { step: 'dns', ok: false, code: key, params: { host, error: code || errText(err) } };
  }
}

async function tcp(address: string, port: number, ms: number): Promise<ProbeStep> {
  const started = Date.now();
  const socket = net.connect({ host: address, port });
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }),
      ms,
      () => socket.destroy(),
    );
    return { step: 'tcp', ok: true, code: 'tcp-ok', params: { address, port, ms: Date.now() - started } };
  } catch (err) {
    const code = errCode(err);
    return { step: 'tcp', ok: false, code: NET_CODES[code] ?? 'tcp-error', params: { address, port, error: code || errText(err) } };
  } finally {
    socket.destroy();
  }
}

function tlsOptions(cfg: ProbeTarget): tls.ConnectionOptions {
  const t = cfg.tls;
  const o: tls.ConnectionOptions = { rejectUnauthorized: t?.verifyServer ?? true };
  if (!net.isIP(cfg.host)) o.servername = t?.servername ?? cfg.host;
  if (t?.ca) o.ca = t.ca;
  if (t?.cert) o.cert = t.cert;
  if (t?.key) o.key = t.key;
  return o;
}

async function tlsHandshake(cfg: ProbeTarget, address: string, port: number, ms: number): Promise<ProbeStep> {
  const opts = { ...tlsOptions(cfg), host: address, port };
  let socket: tls.TLSSocket | undefined;
  try {
    socket = tls.connect(opts);
    const s = socket;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        s.once('secureConnect', () => resolve());
        s.once('error', reject);
      }),
      ms,
      () => s.destroy(),
    );
    const cert = s.getPeerCertificate();
    const field = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(', ') : (v ?? ''));
    const params = {
      protocol: s.getProtocol() ?? '',
      subject: field(cert.subject?.CN),
      issuer: field(cert.issuer?.O) || field(cert.issuer?.CN),
      validTo: cert.valid_to ?? '',
    };
    if (!s.authorized)
      return { step: 'tls', ok: true, code: 'tls-unverified', params: { ...params, error: String(s.authorizationError ?? '') } };
    return { step: 'tls', ok: true, code: 'tls-ok', params };
  } catch (err) {
    const code = errCode(err);
    const key = TLS_CODES[code] ?? (/alert|handshake/i.test(errText(err)) ? 'tls-handshake' : 'tls-error');
    return { step: 'tls', ok: false, code: key, params: { host: cfg.host, error: code ? `${code}: ${errText(err)}` : errText(err) } };
  } finally {
    socket?.destroy();
  }
}

function mqttOptions(cfg: ProbeTarget, login: ProbeLogin, ms: number): IClientOptions {
  const o: IClientOptions = {
    clientId: cfg.clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: cfg.keepaliveSec,
    reconnectPeriod: 0,
    connectTimeout: ms,
    resubscribe: false,
  };
  if (login.username !== undefined) o.username = login.username;
  if (login.password !== undefined) o.password = login.password;
  const t = tlsOptions(cfg);
  if (cfg.tls) {
    o.rejectUnauthorized = t.rejectUnauthorized ?? true;
    if (t.ca) o.ca = t.ca as string;
    if (t.cert) o.cert = t.cert as string;
    if (t.key) o.key = t.key as string;
    if (t.servername) o.servername = t.servername;
  }
  return o;
}

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3, with what they usually mean on Cumulocity. */
export const CONNACK_CODES: Record<number, string> = {
  1: 'connack-1',
  2: 'connack-2',
  3: 'connack-3',
  4: 'connack-4',
  5: 'connack-5',
};

async function mqttConnect(cfg: ProbeTarget, login: ProbeLogin, ms: number): Promise<ProbeStep> {
  const client = mqtt.connect(cfg.url, mqttOptions(cfg, login, ms));
  const params = { user: login.username ?? '', kind: login.kind, clientId: cfg.clientId };
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      // A close before CONNACK without an error: a WebSocket path that is not MQTT, a proxy, a reset.
      client.once('close', () => reject(Object.assign(new Error('closed before CONNACK'), { code: 'ECLOSED' })));
    });
    return { step: 'mqtt', ok: true, code: `connack-0-${login.kind}`, params };
  } catch (err) {
    const code = errCode(err);
    const rc = Number(code);
    if (Number.isInteger(rc) && CONNACK_CODES[rc]) return { step: 'mqtt', ok: false, code: CONNACK_CODES[rc], params: { ...params, rc } };
    return { step: 'mqtt', ok: false, code: code === 'ECLOSED' ? 'mqtt-closed' : 'mqtt-error', params: { ...params, error: errText(err) } };
  } finally {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => resolve(), 2000);
      client.end(true, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Runs the steps in order and stops at the first that fails. */
export async function probeConnection(cfg: ProbeTarget, opts: ProbeOptions = {}): Promise<ProbeStep[]> {
  const login = cfg.login;
  const ms = opts.timeoutMs ?? 10_000;
  const steps: ProbeStep[] = [];
  const port = portOf(cfg);
  const found = await lookup(cfg.host, ms);
  const { address, ...dnsStep } = found;
  steps.push(dnsStep);
  if (!found.ok || address === undefined) return steps;
  const t = await tcp(address, port, ms);
  steps.push(t);
  if (!t.ok) return steps;
  if (cfg.tls) {
    const s = await tlsHandshake(cfg, address, port, ms);
    steps.push(s);
    if (!s.ok) return steps;
  }
  steps.push(await mqttConnect(cfg, login, ms));
  return steps;
}
