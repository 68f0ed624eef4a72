import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { CumulocityAgent } from '../agent/cumulocity-agent';
import { CumulocityChildRelay } from '../agent/cumulocity-children';
import { PyaiotGateway, type GatewayStatus } from '../agent/pyaiot-gateway';
import type { Emitted, NodeInfo } from '../dialects/pyaiot';
import type { BackoffOptions } from '../transport/backoff';
import { isConnectionNode } from './common';
import { parseGatewayDef, type GatewayDef } from './gateway-discovery-config';

type Def = NodeDef & GatewayDef;
interface Creds {
  [k: string]: unknown;
  user?: string;
  password?: string;
}

/** At most one warning per this many ms; the rest are counted into the next one. */
const WARN_EVERY_MS = 5000;

const init = (RED: NodeAPI): void => {
  function GatewayDiscoveryNode(this: Node<Creds>, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(key, subs);
    const parsed = parseGatewayDef(def, node.id);
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: t('gateway-discovery.status.config') });
      node.error(new Error(t('gateway-discovery.errors.config', { reason: parsed.error })), {});
      node.on('input', (_m: NodeMessageInFlow, _s: unknown, done: (e?: Error) => void) =>
        done(new Error(t('gateway-discovery.errors.config', { reason: parsed.error }))),
      );
      return;
    }
    const settings = parsed.value;
    const backoff = (RED.settings as unknown as { deviceAgentBackoff?: BackoffOptions }).deviceAgentBackoff;
    const gw = new PyaiotGateway({
      ...settings.gateway,
      username: node.credentials?.user || undefined,
      password: node.credentials?.password || undefined,
      ...(backoff ? { backoff } : {}),
    });

    // ---- the optional relay into Cumulocity -----------------------------------------------------
    let relay: CumulocityChildRelay | undefined;
    if (settings.relay) {
      const conn: unknown = RED.nodes.getNode(settings.relay.connection);
      if (!isConnectionNode(conn) || !(conn.agent instanceof CumulocityAgent)) {
        node.error(new Error(t('gateway-discovery.errors.relay')), {});
      } else {
        relay = new CumulocityChildRelay(conn.agent, {
          rootId: conn.deviceId,
          type: settings.relay.childType,
          requiredIntervalMin: Math.max(1, Math.ceil((settings.gateway.maxTimeSec + 60) / 60)),
          heartbeatSec: 60,
        });
      }
    }
    const relayFailed = (err: unknown): void => warn(`relay: ${err instanceof Error ? err.message : String(err)}`);

    // ---- warnings, throttled: a flood of bad publishes must not flood the log ----------------------
    let lastWarn = 0;
    let suppressed = 0;
    const warn = (w: string): void => {
      const now = Date.now();
      if (now - lastWarn < WARN_EVERY_MS) {
        suppressed += 1;
        return;
      }
      lastWarn = now;
      node.warn(suppressed > 0 ? `${w} ${t('gateway-discovery.errors.suppressed', { count: suppressed })}` : w);
      suppressed = 0;
    };

    // ---- status, at most twice a second ----------------------------------------------------------
    let pending: GatewayStatus | undefined;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = (st: GatewayStatus): void => {
      if (st.state === 'stopped') return;
      if (st.state !== 'connected') {
        node.status({ fill: st.state === 'connecting' ? 'yellow' : 'red', shape: 'ring', text: `node-red:common.status.${st.state}` });
        return;
      }
      const text = st.full
        ? t('gateway-discovery.status.full', { count: st.nodes })
        : t('gateway-discovery.status.devices', { count: st.nodes });
      const fill = st.full || st.malformed > 0 ? 'yellow' : 'green';
      node.status({
        fill,
        shape: 'dot',
        text: st.malformed > 0 ? `${text} ${t('gateway-discovery.status.ignored', { count: st.malformed })}` : text,
      });
    };
    gw.on('status', (st: GatewayStatus) => {
      pending = st;
      if (statusTimer) return;
      showStatus(st);
      pending = undefined;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        if (pending) showStatus(pending);
        pending = undefined;
      }, 500);
    });
    gw.on('warning', warn);

    gw.on('message', (e: Emitted) => {
      node.send({ topic: `pyaiot/${e.payload.type}`, payload: e.payload, node: e.node });
      if (!relay) return;
      const p = e.payload;
      if (p.type === 'new') relay.appear(e.node).catch(relayFailed);
      else if (p.type === 'update') relay.value(e.node, p.endpoint, p.data).catch(relayFailed);
      else relay.out(e.node, settings.gateway.maxTimeSec).catch(relayFailed);
    });
    gw.on('alive', (info: NodeInfo) => {
      relay?.alive(info).catch(relayFailed);
    });

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (e?: Error) => void) => {
      if (msg.topic === 'replay') {
        gw.replay();
        done();
        return;
      }
      const err = gw.set(msg.payload);
      if (err) done(new Error(t('gateway-discovery.errors.set', { reason: err })));
      else done();
    });

    const startTimer = setImmediate(() => gw.start());
    node.on('close', (_removed: boolean, done: () => void) => {
      clearImmediate(startTimer);
      if (statusTimer) clearTimeout(statusTimer);
      gw.stop().then(done, (err: unknown) => {
        node.error(err, {});
        done();
      });
    });
  }

  RED.nodes.registerType<Node<Creds>, Def, unknown, Creds>('device-agent-gateway-discovery', GatewayDiscoveryNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};

export = init;
