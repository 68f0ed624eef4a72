import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { isConnectionNode } from './common';
import { toStatus } from './inputs';
import { shortReason } from './publisher';

interface Def extends NodeDef {
  outcome: string;
}

interface StatusMsg extends NodeMessageInFlow {
  operation?: { key?: unknown; connection?: unknown; fragment?: unknown };
  status?: unknown;
  reason?: unknown;
  result?: unknown;
  error?: unknown;
  configuration?: unknown;
}

const init = (RED: NodeAPI): void => {
  function OperationStatusNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    node.on('input', (m: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      const msg = m as StatusMsg;
      const fail = (key: string, subs?: Record<string, string>): void => {
        const text = RED._(key, subs);
        node.status({ fill: 'red', shape: 'dot', text: RED._('operation-status.status.error') });
        done(new Error(text));
      };
      const op = msg.operation;
      if (typeof op !== 'object' || op === null || typeof op.key !== 'string' || typeof op.connection !== 'string') {
        fail('operation-status.errors.no-operation');
        return;
      }
      const conn: unknown = RED.nodes.getNode(op.connection);
      if (!isConnectionNode(conn) || !conn.agent) {
        fail('operation-status.errors.no-connection');
        return;
      }
      const s = toStatus({ outcome: def.outcome || 'auto', status: msg.status, error: msg.error, reason: msg.reason, result: msg.result });
      if (!s.ok) {
        fail('operation-status.errors.bad-status', { reason: s.error });
        return;
      }
      // A configuration the flow applied is reported (113) before the operation's SUCCESSFUL.
      if (s.value.status === 'SUCCESSFUL' && typeof msg.configuration === 'string') {
        void conn.agent.sendConfiguration(msg.configuration).catch((e: unknown) => node.error(e, msg));
      }
      const err = conn.agent.report(op.key, s.value.status, s.value.reason, s.value.result);
      if (err) {
        fail('operation-status.errors.not-open', { reason: err });
        return;
      }
      node.status({
        fill: s.value.status === 'FAILED' ? 'yellow' : 'green',
        shape: 'dot',
        text: shortReason(RED._(`operation-status.status.${s.value.status}`, { fragment: String(op.fragment) })),
      });
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('device-agent-operation-status', OperationStatusNode);
};

export = init;
