/**
 * device-agent-remote-access: the connection's handler of `c8y_RemoteAccessConnect` (issue 11), or
 * of the dialect's own remote-access operation (agent.remoteAccessOperation; relay form).
 * A node of its own rather than a mode of the operation node: it owns sockets that outlive the
 * operation, a security policy (the allow-list) and a status (open tunnels) that the generic
 * operation node has no place for, and it reports the operation itself once the tunnel is up.
 * Off until its allow-list has an entry: with an empty list it does not even offer the operation.
 * The connection key never reaches a log, a status or a message.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import type { OperationConsumer, TrackedOperation } from '../agent/operations';
import type { AgentStatus } from '../agent/platform';
import { RemoteAccess, type TunnelEnded, type TunnelOpened } from '../agent/remote-access/manager';
import { isConnectionNode } from './common';
import { parseRemoteAccessDef, type RemoteAccessDef, type RemoteAccessSettings } from './remote-access-config';

type Def = NodeDef & RemoteAccessDef & { connection: string };

interface TunnelMessage extends NodeMessage {
  topic: 'opened' | 'closed' | 'refused';
  payload: Record<string, unknown>;
}

const FRAGMENT = 'c8y_RemoteAccessConnect';

const init = (RED: NodeAPI): void => {
  function RemoteAccessNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(`remote-access.${key}`, subs);
    const conn: unknown = RED.nodes.getNode(def.connection);
    if (!isConnectionNode(conn)) {
      node.status({ fill: 'red', shape: 'dot', text: t('status.no-connection') });
      return;
    }
    const agent = conn.agent;
    const settings = (RED.settings as unknown as { deviceAgentRemoteAccess?: RemoteAccessSettings }).deviceAgentRemoteAccess;
    const parsed = parseRemoteAccessDef(def, settings ?? {});
    if (!agent || !parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: t('status.config') });
      node.error(new Error(t('errors.config', { reason: !agent ? (conn.configError ?? '') : parsed.ok ? '' : parsed.error })), {});
      return;
    }
    const cfg = parsed.value;
    if (cfg.allow.length === 0) {
      node.status({ fill: 'grey', shape: 'ring', text: t('status.disabled') });
      return;
    }
    // Without platformHttp the connection's platform has no HTTP side at all (not a credentials problem).
    const noHttp = typeof agent.platformHttp === 'function' ? undefined : t('errors.no-http');
    const service = new RemoteAccess(cfg, () => agent.platformHttp?.(), noHttp);
    let agentStatus: AgentStatus = agent.currentStatus;
    const show = (): void => {
      const n = service.count;
      let s: NodeStatus;
      if (agentStatus.state === 'connected') s = { fill: 'green', shape: n > 0 ? 'dot' : 'ring', text: t('status.tunnels', { count: n }) };
      else if (n > 0) s = { fill: 'yellow', shape: 'dot', text: t('status.tunnels-offline', { count: n }) };
      else s = conn.statusOf(agentStatus);
      node.status(s);
    };
    const onAgentStatus = (st: AgentStatus): void => {
      agentStatus = st;
      show();
    };
    agent.on('status', onAgentStatus);
    service.on('change', show);
    service.on('opened', (o: TunnelOpened) => {
      node.log(t('log.opened', { id: o.id, target: o.target }));
      const msg: TunnelMessage = { topic: 'opened', payload: { tunnel: o.id, target: o.target } };
      node.send(msg);
    });
    service.on('closed', (c: TunnelEnded) => {
      const why = c.detail ? `${c.cause}: ${c.detail}` : c.cause;
      node.log(t('log.closed', { id: c.id, target: c.target, reason: why, up: c.bytesUp, down: c.bytesDown }));
      const msg: TunnelMessage = { topic: 'closed', payload: { ...c, tunnel: c.id } };
      node.send(msg);
    });

    const handle = (op: TrackedOperation): void => {
      service
        .connect(op.operation.params)
        .then((r) => {
          if (!r.ok) {
            node.warn(t('log.refused', { reason: r.error }));
            const msg: TunnelMessage = { topic: 'refused', payload: { reason: r.error } };
            node.send(msg);
            agent.report(op.key, 'FAILED', r.error);
            return;
          }
          // SUCCESSFUL now that the tunnel is up; it stays open after that (cumulocity.md §12 item 9).
          const late = agent.report(op.key, 'SUCCESSFUL');
          if (late !== undefined) {
            node.warn(t('log.late', { id: r.value.id }));
            void service.closeTunnel(r.value.id);
          }
        })
        .catch((err: unknown) => node.error(err, {}));
    };
    const consumer: OperationConsumer = {
      fragments: [agent.remoteAccessOperation ?? FRAGMENT],
      completeOnRestart: false,
      // Target and WebSocket each within the connect timeout; the tracker's limit only catches a hang.
      timeoutSec: cfg.connectTimeoutSec * 2 + 10,
      deliver: handle,
    };
    agent.addConsumer(consumer);
    show();

    node.on('close', (_removed: boolean, done: () => void) => {
      agent.removeConsumer(consumer);
      agent.off('status', onAgentStatus);
      service.stop().then(
        () => done(),
        (err: unknown) => {
          node.error(err, {});
          done();
        },
      );
    });
  }
  RED.nodes.registerType('device-agent-remote-access', RemoteAccessNode);
};

export = init;
