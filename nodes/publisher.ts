/** The shared body of the nodes that turn messages into platform records (measurement, event, alarm). */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { PlatformAgent } from '../agent/platform';
import type { Result } from '../dialects/types';
import { asError, isConnectionNode, type ConnectionNode } from './common';
import { toTime } from './inputs';

/** Evaluates a TypedInput property (msg, flow, global, env, str, num, json…) for a message. */
export function evaluate(RED: NodeAPI, node: Node, value: string, type: string, msg: NodeMessageInFlow): Promise<unknown> {
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null | undefined, res: unknown) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/**
 * Looks up the connection, registers for its status and handles input: `queue` builds and
 * queues the record for the message's time (msg.timestamp, else now); bad input — a refused
 * Result or a rejection — ends in done(err) with the reason (for Catch nodes and the debug
 * sidebar) and a red status in the runtime's language (`<ns>.status.bad-input`), and the
 * message is passed on only once its record is in the outbox.
 */
export function setupPublisher(
  RED: NodeAPI,
  node: Node,
  connectionId: string,
  ns: string,
  queue: (agent: PlatformAgent, msg: NodeMessageInFlow, time: Date) => Promise<Result<unknown>>,
): ConnectionNode | undefined {
  const conn: unknown = RED.nodes.getNode(connectionId);
  if (!isConnectionNode(conn)) {
    node.status({ fill: 'red', shape: 'dot', text: RED._(`${ns}.status.no-connection`) });
    node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
      done(new Error(RED._(`${ns}.errors.no-connection`))),
    );
    return undefined;
  }
  conn.register(node);
  let showingError = false;
  node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
    const agent = conn.agent;
    if (!agent) {
      done(new Error(RED._(`${ns}.errors.connection-config`, { reason: conn.configError ?? '' })));
      return;
    }
    const time = toTime((msg as { timestamp?: unknown }).timestamp, new Date());
    const queued = time.ok ? queue(agent, msg, time.value) : Promise.resolve(time);
    queued.then(
      (r) => {
        if (!r.ok) {
          showingError = true;
          node.status({ fill: 'red', shape: 'dot', text: RED._(`${ns}.status.bad-input`) });
          done(new Error(RED._(`${ns}.errors.bad-input`, { reason: r.error })));
          return;
        }
        if (showingError) {
          showingError = false;
          conn.register(node); // puts the connection's status back
        }
        send(msg);
        done();
      },
      (err: unknown) => {
        showingError = true;
        const e = asError(err);
        node.status({ fill: 'red', shape: 'dot', text: RED._(`${ns}.status.bad-input`) });
        done(new Error(RED._(`${ns}.errors.bad-input`, { reason: e.message }), { cause: e }));
      },
    );
  });
  node.on('close', (_removed: boolean, done: () => void) => {
    conn.deregister(node);
    done();
  });
  return conn;
}

/** Status text is kept under 20 characters (house style). */
export function shortReason(s: string): string {
  return s.length <= 19 ? s : `${s.slice(0, 18)}…`;
}
