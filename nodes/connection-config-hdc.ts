/**
 * The connection node's settings for Helix Device Cloud (helix-device-cloud.md §2, §9), validated
 * at runtime (pure). Every field starts with `hdc` (the editor shows them in HDC's own section).
 * The app token is a credential (or the environment variable it names), never a flow setting.
 */
import type { HdcAgentConfig } from '../agent/hdc-agent';
import { thingKey } from '../dialects/hdc';
import { fail, ok, type Result } from '../dialects/types';
import { bool, checkHost, int, readTls, secretFrom, str } from './config-fields';
import type { ConfigContext, ConnectionCredentials, ConnectionDef } from './connection-config';

export type HdcConfig = Omit<HdcAgentConfig, 'wsOptions' | 'now'>;

const TRANSPORT_BY_PORT: Record<string, 'mqtt' | 'mqtts' | 'wss'> = { '1883': 'mqtt', '8883': 'mqtts', '443': 'wss' };
const DEFAULT_PORT = { mqtt: 1883, mqtts: 8883, wss: 443 } as const;

/** An `http://host:port` proxy (user and password allowed in the URL only through the environment). */
function parseProxy(raw: string): Result<string | undefined> {
  if (raw === '') return ok(undefined);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return fail(`proxy "${raw}" is not a URL (http://host:port)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail(`proxy must be http:// or https://, not ${u.protocol}//`);
  if (!u.port) return fail('proxy URL needs a port');
  return ok(`${u.protocol}//${u.username ? `${u.username}:${u.password}@` : ''}${u.host}`);
}

/** Checks the settings and builds the agent configuration. */
export function parseHdcConfig(def: ConnectionDef, creds: ConnectionCredentials, ctx: ConfigContext): Result<HdcConfig> {
  const host = str(def['hdcHost']);
  const badHost = checkHost(host);
  if (badHost) return fail(badHost);
  const portText = str(def['hdcPort']);
  const t = str(def['hdcTransport']) || (Object.hasOwn(TRANSPORT_BY_PORT, portText) ? TRANSPORT_BY_PORT[portText] : undefined) || 'mqtts';
  if (t !== 'mqtt' && t !== 'mqtts' && t !== 'wss') return fail(`HDC speaks mqtt, mqtts or wss, not "${t}"`);
  const port = int(def['hdcPort'], DEFAULT_PORT[t], 1, 65535, 'port');
  if (!port.ok) return port;
  const wsPath = str(def['hdcWsPath']) || '/mqtt';
  if (!wsPath.startsWith('/') || /\s/.test(wsPath)) return fail(`WebSocket path "${wsPath}" must start with "/"`);
  const url = t === 'wss' ? `wss://${host}:${port.value}${wsPath}` : `${t}://${host}:${port.value}`;

  const deviceId = str(def['hdcDeviceId']) || ctx.defaultDeviceId;
  const appId = str(def['hdcAppId']);
  const key = thingKey(deviceId, appId);
  if (!key.ok) return key;

  const fromEnv = str(def['hdcTokenFrom']) === 'env';
  const token = secretFrom(fromEnv, creds['hdcToken'], def['hdcTokenEnv'], 'HDC_APP_TOKEN', ctx);
  if (!token) return fail(fromEnv ? 'the app token environment variable is not set' : 'the app token is not set');

  const tls = readTls({ caFile: def['hdcCaFile'], verifyServer: def['hdcVerifyServer'] }, ctx);
  if (!tls.ok) return tls;

  const fileHost = str(def['hdcFileHost']) || host;
  const badFileHost = checkHost(fileHost);
  if (badFileHost) return fail(`file transfer ${badFileHost}`);
  const filePort = int(def['hdcFilePort'], 443, 1, 65535, 'file transfer port');
  if (!filePort.ok) return filePort;
  const proxy = parseProxy(str(def['hdcProxy']));
  if (!proxy.ok) return proxy;
  if (proxy.value && t !== 'wss') return fail('the proxy carries MQTT over WebSocket only: choose wss (port 443)');

  const keepalive = int(def['hdcKeepalive'], 60, 10, 1200, 'keep-alive');
  if (!keepalive.ok) return keepalive;
  const replyTimeout = int(def['hdcReplyTimeout'], 30_000, 1000, 600_000, 'reply timeout');
  if (!replyTimeout.ok) return replyTimeout;
  const gap = int(def['hdcPublishGap'], 100, 0, 10_000, 'pause between publishes');
  if (!gap.ok) return gap;
  const restart = int(def['hdcRestartTimeout'], 3600, 10, 86_400, 'restart timeout');
  if (!restart.ok) return restart;
  const badRetry = int(def.badCredentialsRetry, 600, 0, 86_400, 'retry after bad credentials');
  if (!badRetry.ok) return badRetry;

  return ok({
    url,
    host,
    thingKey: key.value,
    token,
    // mqtt (1883) is plain; the CA still serves the HTTPS file service.
    tls: tls.value,
    keepaliveSec: keepalive.value,
    fileBase: `https://${fileHost}:${filePort.value}`,
    allow: {
      // §12 and issue 9: the flow decides; shutdown and decommission are off unless switched on.
      reboot_device: bool(def['hdcAllowReboot'], true),
      shutdown_device: bool(def['hdcAllowShutdown'], false),
      decommission_device: bool(def['hdcAllowDecommission'], false),
    },
    builtinPing: bool(def['hdcBuiltinPing'], true),
    replyTimeoutMs: replyTimeout.value,
    publishGapMs: gap.value,
    proxy: proxy.value,
    dataDir: ctx.dataDir,
    restartTimeoutSec: restart.value,
    badCredentialsRetrySec: badRetry.value,
  });
}
