/**
 * The connection node's settings for Trinity Smart-MQTT (trinity.md §2, §11), validated at
 * runtime (pure). Every field starts with `trinity` (the editor shows them in Trinity's own
 * section). The secret is a credential (or the environment variable it names), never a flow setting.
 */
import type { TrinityAgentConfig } from '../agent/trinity-agent';
import { isTopicLevel, parseSecret } from '../dialects/trinity';
import { fail, ok, type Result } from '../dialects/types';
import { bool, checkHost, int, list, readTls, secretFrom, str } from './config-fields';
import type { ConfigContext, ConnectionCredentials, ConnectionDef } from './connection-config';

/** What the settings decide; the registry adds the health and network sources. */
export type TrinityConfig = Omit<TrinityAgentConfig, 'health' | 'network' | 'now'>;

export const TRINITY_DEFAULT_HOST = 'mqtt.trintel.co.za';

/**
 * The device's HID as trinpyqtt makes it (trinity.md §1): on a Pi "AAA" + the last 12 characters
 * of the serial, upper case; elsewhere the MAC as a decimal number.
 */
export function defaultHid(serial: string | undefined, mac: string | undefined): string | undefined {
  const s = serial?.trim();
  if (s && /^[0-9a-fA-F]{12,}$/.test(s)) return `AAA${s.slice(-12).toUpperCase()}`;
  const hex = mac?.replace(/[:-]/g, '');
  if (hex && /^[0-9a-fA-F]{12}$/.test(hex) && !/^0+$/.test(hex)) return BigInt(`0x${hex}`).toString(10);
  return undefined;
}

function ident(v: string, what: string): Result<string> {
  if (!v) return fail(`${what} is not set`);
  if (!isTopicLevel(v) || /\s/.test(v)) return fail(`${what} "${v}" must not contain "/", "+", "#" or spaces`);
  return ok(v);
}

/** Checks the settings and builds the agent configuration. */
export function parseTrinityConfig(
  def: ConnectionDef,
  creds: ConnectionCredentials,
  ctx: ConfigContext,
  mac: string | undefined,
): Result<TrinityConfig> {
  const host = str(def['trinityHost']) || TRINITY_DEFAULT_HOST;
  const badHost = checkHost(host);
  if (badHost) return fail(badHost);
  const portText = str(def['trinityPort']);
  const proto = str(def['trinityProtocol']) || (portText === '1883' ? 'mqtt' : 'mqtts');
  if (proto !== 'mqtt' && proto !== 'mqtts') return fail(`Trinity speaks mqtt or mqtts, not "${proto}"`);
  const port = int(def['trinityPort'], proto === 'mqtt' ? 1883 : 8883, 1, 65535, 'port');
  if (!port.ok) return port;

  const cid = ident(str(def['trinityCid']), 'CID (profile id)');
  if (!cid.ok) return cid;
  const hid = ident(str(def['trinityHid']) || defaultHid(ctx.hardware?.serial, mac) || '', 'HID (device unique id)');
  if (!hid.ok) return fail(`${hid.error}: no Pi serial or MAC address to make one from`);
  const pids = list(def['trinityPids']);
  for (const p of pids) {
    const r = ident(p, 'PID');
    if (!r.ok) return r;
    if (p === '0') return fail('PID 0 is the agent itself; list application PIDs only');
  }

  const fromEnv = str(def['trinitySecretFrom']) === 'env';
  const secretText = secretFrom(fromEnv, creds['trinitySecret'], def['trinitySecretEnv'], 'TRINITY_SECRET', ctx);
  const secret = parseSecret(secretText);
  if (!secret.ok) return secret;

  const tls = proto === 'mqtts' ? readTls({ caFile: def['trinityCaFile'], verifyServer: def['trinityVerifyServer'] }, ctx) : undefined;
  if (tls && !tls.ok) return tls;

  const keepalive = int(def['trinityKeepalive'], 60, 10, 1200, 'keep-alive');
  if (!keepalive.ok) return keepalive;
  const pdr = int(def['trinityPdrInterval'], 3600, 0, 31_536_000, 'health report interval');
  if (!pdr.ok) return pdr;
  const raise = int(def['trinityAlarmRaise'], 1001, -1_000_000, 1_000_000, 'alarm raise code');
  if (!raise.ok) return raise;
  const clear = int(def['trinityAlarmClear'], 1002, -1_000_000, 1_000_000, 'alarm clear code');
  if (!clear.ok) return clear;
  const restart = int(def['trinityRestartTimeout'], 3600, 10, 86_400, 'restart timeout');
  if (!restart.ok) return restart;
  const badRetry = int(def.badCredentialsRetry, 600, 0, 86_400, 'retry after bad credentials');
  if (!badRetry.ok) return badRetry;
  const trusted = list(def['trinityTrusted']);
  for (const t of trusted) {
    const r = ident(t, 'trusted sender');
    if (!r.ok) return r;
  }
  const hosts = list(def['trinityHosts']);
  for (const h of hosts) {
    const bad = checkHost(h);
    if (bad) return fail(`allowed host: ${bad}`);
  }

  return ok({
    protocol: proto,
    port: port.value,
    tls: tls?.value,
    cid: cid.value,
    hid: hid.value,
    secret: secret.value,
    pids,
    settings: {
      pdr_interval: pdr.value,
      // On by default (the seed's default is off): records queued offline keep the time they were taken.
      use_rtc: bool(def['trinityUseRtc'], true),
      keep_alive: keepalive.value,
      default_qos: 1,
      clean_session: true,
      trusted_senders: trusted,
      host,
    },
    hostAllowList: hosts,
    alarmRaiseCode: raise.value,
    alarmClearCode: clear.value,
    agentVersion: ctx.agentVersion,
    dataDir: ctx.dataDir,
    restartTimeoutSec: restart.value,
    badCredentialsRetrySec: badRetry.value,
  });
}
