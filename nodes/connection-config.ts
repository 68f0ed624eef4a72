/**
 * Runtime validation of the connection node's settings (the editor validates too, but a
 * hand-edited flow must still fail clearly). Pure: the environment and host identity come in.
 */
import { fail, ok, type Result } from '../dialects/types';
import type { AgentConfig, AuthConfig } from '../agent/cumulocity-agent';

/** The connection node's settings; dialects other than Cumulocity add fields of their own. */
export interface ConnectionDef {
  [field: string]: unknown;
  dialect?: string;
  host?: string;
  port?: string | number;
  protocol?: string;
  wsPath?: string;
  tenant?: string;
  deviceId?: string;
  deviceName?: string;
  deviceType?: string;
  authMode?: string;
  credentialsFrom?: string;
  userEnv?: string;
  passwordEnv?: string;
  bootstrapUserEnv?: string;
  bootstrapPasswordEnv?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verifyServer?: boolean | string;
  keepalive?: string | number;
  will?: boolean | string;
  operationMode?: string;
  requiredInterval?: string | number;
  restartTimeout?: string | number;
  drainRate?: string | number;
  bootstrapPoll?: string | number;
  bootstrapTimeout?: string | number;
  badCredentialsRetry?: string | number;
  httpUrl?: string;
}

export interface ConnectionCredentials {
  [field: string]: unknown;
  user?: string;
  password?: string;
  bootstrapUser?: string;
  bootstrapPassword?: string;
}

export interface ConfigContext {
  env: Record<string, string | undefined>;
  /** Default device id when none is set (Pi serial, machine id or host name). */
  defaultDeviceId: string;
  hardware?: AgentConfig['hardware'];
  agentVersion: string;
  dataDir: string;
  /** Reads a PEM file named in the settings. */
  readFile: (file: string) => Result<string>;
  /** Where /proc, /sys and /dev are (`deviceAgentHostRoot`, default `/`): device backends read under it. */
  hostRoot?: string | undefined;
}

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };
const PROTOCOL_BY_PORT: Record<string, string> = { '1883': 'mqtt', '8883': 'mqtts', '80': 'ws', '443': 'wss' };

/**
 * A setting as text. Node-RED replaces a whole-value `${NAME}` by the environment variable but
 * leaves it as it is when the variable is not set: that counts as empty, so the default applies.
 */
function str(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  return /^\$\{\w+\}$/.test(s) ? '' : s;
}

/** A checkbox; anything but true/false (a hand-edited "yes") keeps the default, so a typo cannot turn verifyServer off. */
function bool(v: unknown, dflt: boolean): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return dflt;
}

function int(v: unknown, dflt: number, min: number, max: number, what: string): Result<number> {
  const s = str(v);
  if (s === '') return ok(dflt);
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) return fail(`${what} must be a whole number from ${min} to ${max}, not "${s}"`);
  return ok(n);
}

/** Checks the settings and builds the agent configuration. */
export function parseConnectionConfig(def: ConnectionDef, creds: ConnectionCredentials, ctx: ConfigContext): Result<AgentConfig> {
  const dialect = str(def.dialect) || 'cumulocity';
  if (dialect !== 'cumulocity') return fail(`unknown platform dialect "${dialect}"`);
  const host = str(def.host);
  if (!host) return fail('host is not set');
  if (/[\s/]/.test(host)) return fail(`host "${host}" must be a host name or address, without scheme or path`);
  const portText = str(def.port);
  // Own keys only: `in` and plain indexing would also accept "constructor", "toString"…
  const protocol = str(def.protocol) || (Object.hasOwn(PROTOCOL_BY_PORT, portText) ? PROTOCOL_BY_PORT[portText] : undefined) || 'mqtts';
  if (!Object.hasOwn(DEFAULT_PORTS, protocol)) return fail(`protocol must be mqtt, mqtts, ws or wss, not "${protocol}"`);
  const port = int(def.port, DEFAULT_PORTS[protocol] ?? 8883, 1, 65535, 'port');
  if (!port.ok) return port;
  const wsPath = str(def.wsPath) || '/mqtt';
  const url =
    protocol === 'ws' || protocol === 'wss'
      ? `${protocol}://${host}:${port.value}${wsPath.startsWith('/') ? wsPath : `/${wsPath}`}`
      : `${protocol}://${host}:${port.value}`;

  const deviceId = str(def.deviceId) || ctx.defaultDeviceId;
  if (!deviceId) return fail('device id is empty');
  if (/[:/+#\s]/.test(deviceId)) return fail(`device id "${deviceId}" must not contain ":", "/", "+", "#" or spaces`);

  const fromEnv = str(def.credentialsFrom) === 'env';
  const env = (name: string | undefined, dflt: string): string => ctx.env[str(name) || dflt] ?? '';
  const user = fromEnv ? env(def.userEnv, 'C8Y_USER') : (creds.user ?? '');
  const password = fromEnv ? env(def.passwordEnv, 'C8Y_PASSWORD') : (creds.password ?? '');
  const bsUser = fromEnv ? env(def.bootstrapUserEnv, 'C8Y_BOOTSTRAP_USER') : (creds.bootstrapUser ?? '');
  const bsPassword = fromEnv ? env(def.bootstrapPasswordEnv, 'C8Y_BOOTSTRAP_PASSWORD') : (creds.bootstrapPassword ?? '');

  let mode = str(def.authMode) || 'auto';
  if (mode === 'auto') mode = user && password ? 'basic' : bsPassword ? 'bootstrap' : str(def.certFile) ? 'cert' : 'basic';
  let auth: AuthConfig;
  const tenant = str(def.tenant);
  if (mode === 'basic') {
    if (!tenant) return fail('tenant id is not set (e.g. t12345)');
    if (!user || !password) return fail('user name and password are needed for basic authentication');
    auth = { mode: 'basic', user, password };
  } else if (mode === 'bootstrap') {
    if (!bsPassword) return fail('the bootstrap password is needed for bootstrap');
    auth = { mode: 'bootstrap', user: bsUser || 'devicebootstrap', password: bsPassword };
  } else if (mode === 'cert') {
    if (!str(def.certFile) || !str(def.keyFile)) return fail('certificate authentication needs a certificate file and a key file');
    if (protocol !== 'mqtts') return fail('certificate authentication works only over mqtts');
    auth = { mode: 'cert' };
  } else {
    return fail(`unknown authentication mode "${mode}"`);
  }

  let tls: AgentConfig['tls'];
  if (protocol === 'mqtts' || protocol === 'wss') {
    tls = { verifyServer: bool(def.verifyServer, true) };
    for (const [field, file] of [
      ['ca', def.caFile],
      ['cert', def.certFile],
      ['key', def.keyFile],
    ] as const) {
      const f = str(file);
      if (!f) continue;
      const pem = ctx.readFile(f);
      if (!pem.ok) return fail(`cannot read the ${field} file ${f}: ${pem.error}`);
      tls[field] = pem.value;
    }
  }
  // The HTTPS side (downloads, uploads, remote access) trusts what the MQTT side trusts, even when
  // MQTT itself runs without TLS inside a private network.
  let httpTls: AgentConfig['httpTls'] = { ca: tls?.ca, verifyServer: bool(def.verifyServer, true) };
  if (!tls && str(def.caFile)) {
    const pem = ctx.readFile(str(def.caFile));
    if (!pem.ok) return fail(`cannot read the ca file ${str(def.caFile)}: ${pem.error}`);
    httpTls = { ...httpTls, ca: pem.value };
  }

  const keepalive = int(def.keepalive, 60, 10, 1200, 'keep-alive');
  if (!keepalive.ok) return keepalive;
  const interval = int(def.requiredInterval, 0, 0, 100_000, 'required interval');
  if (!interval.ok) return interval;
  const restart = int(def.restartTimeout, 3600, 10, 86_400, 'restart timeout');
  if (!restart.ok) return restart;
  const drain = int(def.drainRate, 10, 0, 10_000, 'backlog drain rate');
  if (!drain.ok) return drain;
  const poll = int(def.bootstrapPoll, 5, 1, 60, 'bootstrap poll interval');
  if (!poll.ok) return poll;
  const bsTimeout = int(def.bootstrapTimeout, 1800, 10, 86_400, 'bootstrap timeout');
  if (!bsTimeout.ok) return bsTimeout;
  const badRetry = int(def.badCredentialsRetry, 600, 0, 86_400, 'retry after bad credentials');
  if (!badRetry.ok) return badRetry;
  const httpUrl = str(def.httpUrl) || undefined;
  if (httpUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(httpUrl))
    return fail(`HTTP URL must look like https://tenant.example.com, not "${httpUrl}"`);
  const opMode = str(def.operationMode) || 'id';
  if (opMode !== 'id' && opMode !== 'static') return fail(`operation mode must be id or static, not "${opMode}"`);

  return ok({
    url,
    host,
    tenant,
    deviceId,
    auth,
    tls,
    httpTls,
    keepaliveSec: keepalive.value,
    will: bool(def.will, true),
    operationMode: opMode,
    deviceName: str(def.deviceName) || deviceId,
    deviceType: str(def.deviceType) || 'c8y_NodeRedDeviceAgent',
    requiredIntervalMin: interval.value || undefined,
    hardware: ctx.hardware,
    agentVersion: ctx.agentVersion,
    dataDir: ctx.dataDir,
    restartTimeoutSec: restart.value,
    drainRatePerSec: drain.value,
    bootstrapPollSec: poll.value,
    bootstrapTimeoutSec: bsTimeout.value,
    badCredentialsRetrySec: badRetry.value,
    ...(httpUrl ? { httpUrl: httpUrl.replace(/\/+$/, '') } : {}),
  });
}
