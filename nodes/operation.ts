import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { OperationConsumer, TrackedOperation } from '../agent/operations';
import { isConnectionNode } from './common';
import { parseFragments } from './inputs';

interface Def extends NodeDef {
  connection: string;
  fragments: string;
  timeout: string | number;
  completeOnRestart: string;
}

/** What the flow receives; `msg.operation` goes to the operation status node unchanged. */
interface OperationMessage extends NodeMessage {
  topic: string;
  payload: unknown;
  operation: {
    key: string;
    id?: string | undefined;
    fragment: string;
    deviceId: string;
    description?: string | undefined;
    params: unknown;
    connection: string;
  };
}

const init = (RED: NodeAPI): void => {
  function OperationNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const conn: unknown = RED.nodes.getNode(def.connection);
    const fragments = parseFragments(def.fragments ?? '');
    const timeoutSec = Number(def.timeout ?? 60);
    if (!isConnectionNode(conn)) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('operation.status.no-connection') });
      return;
    }
    conn.register(node);
    const agent = conn.agent;
    if (fragments.length === 0 || !Number.isFinite(timeoutSec) || timeoutSec < 0 || !agent) {
      const reason = !agent ? (conn.configError ?? '') : fragments.length === 0 ? 'no operation type set' : 'bad timeout';
      node.status({ fill: 'red', shape: 'dot', text: RED._('operation.status.config') });
      node.error(new Error(RED._('operation.errors.config', { reason })), {});
      node.on('close', (_r: boolean, done: () => void) => {
        conn.deregister(node);
        done();
      });
      return;
    }
    const mode = def.completeOnRestart || 'auto';
    const consumer: OperationConsumer = {
      fragments,
      completeOnRestart: mode === 'yes' || (mode === 'auto' && fragments.length === 1 && fragments[0] === 'c8y_Restart'),
      timeoutSec,
      deliver: (t: TrackedOperation) => {
        const op = t.operation;
        const msg: OperationMessage = {
          topic: op.fragment,
          payload: op.params,
          operation: {
            key: t.key,
            id: op.id,
            fragment: op.fragment,
            deviceId: op.deviceId,
            description: op.description,
            params: op.params,
            connection: conn.id,
          },
        };
        node.send(msg);
      },
    };
    agent.addConsumer(consumer);
    node.on('close', (_removed: boolean, done: () => void) => {
      agent.removeConsumer(consumer);
      conn.deregister(node);
      done();
    });
  }
  RED.nodes.registerType('device-agent-operation', OperationNode);
};

export = init;
