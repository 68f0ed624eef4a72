/**
 * The gateway discovery node's settings (pure): the local broker the pyaiot nodes use, the
 * liveness and table limits, an optional generic announce topic, and an optional relay of the
 * discovered nodes into Cumulocity as child devices.
 */
import { announceLevel, type GatewayConfig } from '../agent/pyaiot-gateway';
import { fail, ok, type Result } from '../dialects/types';
import { int, str } from './config-fields';
import { pyaiotEndpoint } from './connection-config-pyaiot';

export interface GatewayDef {
  [field: string]: unknown;
  broker?: string;
  clientId?: string;
  maxTime?: string | number;
  checkPeriod?: string | number;
  maxNodes?: string | number;
  maxResources?: string | number;
  announce?: string;
  relay?: string;
  childType?: string;
}

export interface GatewaySettings {
  gateway: Omit<GatewayConfig, 'username' | 'password'>;
  relay: { connection: string; childType: string } | undefined;
}

/** Checks the settings; `nodeId` makes the default client id (never pyaiot's `client-id`). */
export function parseGatewayDef(def: GatewayDef, nodeId: string): Result<GatewaySettings> {
  const ep = pyaiotEndpoint(str(def.broker));
  if (!ep.ok) return ep;
  const clientId = str(def.clientId) || `pyaiot-gateway-${nodeId.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}`;
  if (clientId === 'client-id')
    return fail('client id "client-id" is the upstream gateway\'s own: two clients with it kick each other off');
  const maxTime = int(def.maxTime, 120, 2, 86_400, 'max time');
  if (!maxTime.ok) return maxTime;
  const period = int(def.checkPeriod, 30, 1, 3600, 'gateway check period');
  if (!period.ok) return period;
  const maxNodes = int(def.maxNodes, 1000, 1, 100_000, 'most nodes');
  if (!maxNodes.ok) return maxNodes;
  const maxResources = int(def.maxResources, 32, 1, 1000, 'most resources per node');
  if (!maxResources.ok) return maxResources;
  const announce = str(def.announce);
  if (announce) {
    const a = announceLevel(announce);
    if (!a.ok) return fail(a.error);
  }
  const relay = str(def.relay);
  return ok({
    gateway: {
      url: ep.value.url,
      clientId,
      tls: ep.value.tls ? { verifyServer: true } : undefined,
      keepaliveSec: 60,
      maxTimeSec: maxTime.value,
      checkPeriodSec: period.value,
      maxNodes: maxNodes.value,
      maxResources: maxResources.value,
      announceFilter: announce || undefined,
    },
    relay: relay ? { connection: relay, childType: str(def.childType) || 'c8y_PyaiotNode' } : undefined,
  });
}
