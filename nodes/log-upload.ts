/**
 * device-agent-log-upload: the connection's handler of `c8y_LogfileRequest` (issue 11). It offers
 * the log types of its allow-list (`118`), reads only those sources, filters them as requested,
 * uploads the result as an event binary and reports the binary's URL with SUCCESSFUL.
 * Requests run one at a time, so memory stays within one upload's size bound.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import type { OperationConsumer, TrackedOperation } from '../agent/operations';
import type { AgentStatus } from '../agent/platform';
import { LogUploader } from '../agent/log-upload/uploader';
import { isConnectionNode } from './common';
import { parseLogUploadDef, type LogUploadDef, type LogUploadSettings } from './log-upload-config';

type Def = NodeDef & LogUploadDef & { connection: string };

interface UploadMessage extends NodeMessage {
  topic: 'uploaded' | 'failed';
  payload: Record<string, unknown>;
}

const FRAGMENT = 'c8y_LogfileRequest';

function typeOf(params: unknown): string {
  const v = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)['logFile'] : undefined;
  return typeof v === 'string' ? v.slice(0, 64) : '';
}

const init = (RED: NodeAPI): void => {
  function LogUploadNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(`log-upload.${key}`, subs);
    const conn: unknown = RED.nodes.getNode(def.connection);
    if (!isConnectionNode(conn)) {
      node.status({ fill: 'red', shape: 'dot', text: t('status.no-connection') });
      return;
    }
    const agent = conn.agent;
    const settings = (RED.settings as unknown as { deviceAgentLogUpload?: LogUploadSettings }).deviceAgentLogUpload;
    const parsed = parseLogUploadDef(def, settings ?? {});
    if (!agent || !parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: t('status.config') });
      node.error(new Error(t('errors.config', { reason: !agent ? (conn.configError ?? '') : parsed.ok ? '' : parsed.error })), {});
      return;
    }
    const cfg = parsed.value;
    if (cfg.upload.sources.length === 0) {
      node.status({ fill: 'grey', shape: 'ring', text: t('status.disabled') });
      return;
    }
    // Without platformHttp the connection's platform has no HTTP side at all (not a credentials problem).
    const noHttp = typeof agent.platformHttp === 'function' ? undefined : t('errors.no-http');
    const uploader = new LogUploader(cfg.upload, () => agent.platformHttp?.(), conn.deviceId, undefined, noHttp);
    let agentStatus: AgentStatus = agent.currentStatus;
    let own: NodeStatus = { fill: 'green', shape: 'ring', text: t('status.ready', { count: uploader.types.length }) };
    const show = (): void => {
      node.status(agentStatus.state === 'connected' ? own : conn.statusOf(agentStatus));
    };
    const onAgentStatus = (st: AgentStatus): void => {
      agentStatus = st;
      show();
    };
    agent.on('status', onAgentStatus);

    let queue: Promise<void> = Promise.resolve();
    let closing = false;
    const run = async (op: TrackedOperation): Promise<void> => {
      if (closing) {
        agent.report(op.key, 'FAILED', t('errors.stopped'));
        return;
      }
      const type = typeOf(op.operation.params);
      own = { fill: 'blue', shape: 'dot', text: t('status.uploading', { type }) };
      show();
      const r = await uploader.handle(op.operation.params);
      if (r.ok) {
        own = { fill: 'green', shape: 'dot', text: t('status.uploaded', { type: r.value.type }) };
        const msg: UploadMessage = { topic: 'uploaded', payload: { ...r.value } };
        node.send(msg);
        const late = agent.report(op.key, 'SUCCESSFUL', undefined, [r.value.url]);
        if (late !== undefined) node.warn(t('errors.late', { reason: late }));
      } else {
        own = { fill: 'yellow', shape: 'dot', text: t('status.failed', { type }) };
        node.warn(t('errors.failed', { type, reason: r.error }));
        const msg: UploadMessage = { topic: 'failed', payload: { type, reason: r.error } };
        node.send(msg);
        agent.report(op.key, 'FAILED', r.error);
      }
      show();
    };
    const consumer: OperationConsumer = {
      fragments: [FRAGMENT],
      completeOnRestart: false,
      timeoutSec: cfg.timeoutSec,
      logTypes: uploader.types,
      deliver: (op) => {
        queue = queue.then(() => run(op)).catch((err: unknown) => node.error(err, {}));
      },
    };
    agent.addConsumer(consumer);
    show();

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      agent.removeConsumer(consumer);
      agent.off('status', onAgentStatus);
      // An upload under way may finish (queued ones are failed); Node-RED is not held up for long.
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(finish, 5000);
      void queue.then(finish);
    });
  }
  RED.nodes.registerType('device-agent-log-upload', LogUploadNode);
};

export = init;
