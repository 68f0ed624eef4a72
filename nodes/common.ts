/** What the node wrappers share: the connection node's interface and status mapping. */
import type { Node, NodeStatus } from 'node-red';
import type { AgentStatus, PlatformAgent } from '../agent/platform';

/** The connection config node as its client nodes see it. */
export interface ConnectionNode extends Node {
  /** Undefined when the settings are invalid (see `configError`). */
  agent: PlatformAgent | undefined;
  configError: string | undefined;
  deviceId: string;
  /** Client nodes register to receive status; deregister in their close handler. */
  register(user: Node): void;
  /**
   * The status for an agent state, worded from the connection's catalogue: for client nodes that
   * follow the agent's status themselves (their own RED._ cannot see the connection's texts).
   */
  statusOf(st: AgentStatus): NodeStatus;
  deregister(user: Node): void;
}

export function isConnectionNode(n: unknown): n is ConnectionNode {
  return typeof n === 'object' && n !== null && typeof (n as ConnectionNode).register === 'function' && 'agent' in n;
}

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export type Translate = (key: string, subs?: Record<string, string | number>) => string;

/** Node status for an agent state (house style: transitions only, text under 20 characters). */
export function statusFor(st: AgentStatus, t: Translate): NodeStatus {
  switch (st.state) {
    case 'connected':
      // A refused platform command (issue 8 "bad input"): red until the next good one.
      if (st.alert) return { fill: 'red', shape: 'dot', text: t('connection.status.bad-command') };
      return { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' };
    case 'connecting':
      return st.queued > 0 ? queued(st, t) : { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' };
    case 'bootstrapping':
      return { fill: 'yellow', shape: 'ring', text: t('connection.status.bootstrapping') };
    case 'disconnected':
      return st.queued > 0 ? queued(st, t) : { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' };
    case 'bad-credentials':
      return { fill: 'red', shape: 'ring', text: t('connection.status.bad-credentials') };
    case 'not-authorized':
      return { fill: 'red', shape: 'ring', text: t('connection.status.not-authorized') };
    case 'takeover':
      return { fill: 'red', shape: 'ring', text: t('connection.status.takeover') };
    case 'registration-timeout':
      return { fill: 'red', shape: 'ring', text: t('connection.status.not-accepted') };
    case 'config-error':
      return { fill: 'red', shape: 'dot', text: st.detail ?? t('connection.status.config-error') };
    case 'stopped':
      return {};
  }
}

/** Offline with records waiting; the drop count shows once the outbox had to drop telemetry. */
function queued(st: AgentStatus, t: Translate): NodeStatus {
  const text =
    st.dropped > 0
      ? t('connection.status.queued-dropped', { count: st.queued, dropped: st.dropped })
      : t('connection.status.queued', { count: st.queued });
  return { fill: 'yellow', shape: 'dot', text };
}
