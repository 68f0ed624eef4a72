/**
 * The connection node's settings for a pyaiot MQTT node (pyaiot.md §2, §6), validated at runtime
 * (pure). Every field starts with `py` (the editor shows them in pyaiot's own section). Pyaiot has
 * no security of its own, so a bare host means plain MQTT on 1883 (upstream uses 1886: give the
 * port); `mqtts://` and user/password work where the local broker asks for them.
 */
import { checkNodeId, checkResourceName, type ResourceValue, type ValueStyle } from '../dialects/pyaiot';
import { fail, ok, type Result } from '../dialects/types';
import type { TlsSettings } from '../transport/session';
import { brokerEndpoint, int, readTls, secretFrom, str } from './config-fields';
import type { ConfigContext, ConnectionCredentials, ConnectionDef } from './connection-config';

export interface PyaiotConfig {
  url: string;
  host: string;
  nodeId: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  checkPeriodSec: number;
  valueStyle: ValueStyle;
  staticResources: Array<[string, ResourceValue]>;
  eventResource: string;
  alarmResource: string;
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
}

/** Scheme, host and port from the broker setting; a bare host means mqtt on 1883. */
export function pyaiotEndpoint(raw: string): Result<{ url: string; host: string; tls: boolean }> {
  if (!raw) return fail('broker URL is not set (mqtt://host:1883; pyaiot itself uses port 1886)');
  return brokerEndpoint(raw, 'pyaiot broker URL', 'mqtt');
}

/** The static resources: `name`, `os`, `board` from their fields, then the JSON object of extra ones. */
function staticResources(def: ConnectionDef): Result<Array<[string, ResourceValue]>> {
  const out: Array<[string, ResourceValue]> = [];
  const name = str(def['pyName']) || 'Node-RED node';
  out.push(['name', name]);
  out.push(['os', str(def['pyOs']) || 'node-red']);
  const board = str(def['pyBoard']);
  if (board) out.push(['board', board]);
  const extra = str(def['pyResources']);
  if (extra) {
    let v: unknown;
    try {
      v = JSON.parse(extra);
    } catch {
      return fail(`static resources must be a JSON object like {"led": "0"}, not ${extra.slice(0, 40)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('static resources must be a JSON object like {"led": "0"}');
    for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
      const bad = checkResourceName(k);
      if (bad) return fail(bad);
      const i = out.findIndex(([n]) => n === k);
      if (i >= 0) out.splice(i, 1);
      out.push([k, value as ResourceValue]);
    }
  }
  return ok(out);
}

export function parsePyaiotConfig(def: ConnectionDef, creds: ConnectionCredentials, ctx: ConfigContext): Result<PyaiotConfig> {
  const ep = pyaiotEndpoint(str(def['pyUrl']));
  if (!ep.ok) return ep;
  const nodeId = str(def['pyNodeId']);
  if (!nodeId) return fail('node id is not set (the <node_id> of the pyaiot topics)');
  const badId = checkNodeId(nodeId);
  if (badId) return fail(badId);
  const clientId = str(def['pyClientId']) || `pyaiot-${nodeId}`;
  if (clientId === 'client-id') return fail('client id "client-id" is the pyaiot gateway\'s own: two clients with it kick each other off');

  const fromEnv = str(def['pyCredentialsFrom']) === 'env';
  const user = secretFrom(fromEnv, creds['pyUser'], def['pyUserEnv'], 'PYAIOT_USER', ctx);
  const password = secretFrom(fromEnv, creds['pyPassword'], def['pyPasswordEnv'], 'PYAIOT_PASSWORD', ctx);
  const files = { caFile: def['pyCaFile'], certFile: def['pyCertFile'], keyFile: def['pyKeyFile'], verifyServer: def['pyVerifyServer'] };
  const tls = ep.value.tls ? readTls(files, ctx) : undefined;
  if (tls && !tls.ok) return tls;
  if (!ep.value.tls && (str(files.certFile) || str(files.keyFile))) return fail('a client certificate needs mqtts');

  const keepalive = int(def['pyKeepalive'], 60, 10, 1200, 'keep-alive');
  if (!keepalive.ok) return keepalive;
  const period = int(def['pyCheckPeriod'], 30, 1, 3600, 'check period');
  if (!period.ok) return period;
  const style = str(def['pyValueStyle']) || 'dashboard';
  if (style !== 'dashboard' && style !== 'raw') return fail(`value style must be dashboard or raw, not "${style}"`);
  const resources = staticResources(def);
  if (!resources.ok) return resources;
  const eventResource = str(def['pyEventResource']) || 'event';
  const alarmResource = str(def['pyAlarmResource']) || 'alarm';
  for (const r of [eventResource, alarmResource]) {
    const bad = checkResourceName(r);
    if (bad) return fail(bad);
  }
  const restart = int(def['pyRestartTimeout'], 3600, 10, 86_400, 'restart timeout');
  if (!restart.ok) return restart;
  const badRetry = int(def.badCredentialsRetry, 600, 0, 86_400, 'retry after bad credentials');
  if (!badRetry.ok) return badRetry;

  return ok({
    url: ep.value.url,
    host: ep.value.host,
    nodeId,
    clientId,
    username: user || undefined,
    password: password || undefined,
    tls: tls?.value,
    keepaliveSec: keepalive.value,
    checkPeriodSec: period.value,
    valueStyle: style,
    staticResources: resources.value,
    eventResource,
    alarmResource,
    dataDir: ctx.dataDir,
    restartTimeoutSec: restart.value,
    badCredentialsRetrySec: badRetry.value,
  });
}
