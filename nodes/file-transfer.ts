import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { download, resolveTarget, TransferError, upload, type TransferLimits } from '../agent/file-transfer';
import type { OperationConsumer, TrackedOperation } from '../agent/operations';
import type { ExtendedAgent } from '../agent/platform';
import { checkFileName, STATUS } from '../dialects/hdc';
import { isConnectionNode } from './common';
import { int, list, str } from './config-fields';

interface Def extends NodeDef {
  connection: string;
  allowedDirs: string;
  maxBytes: string | number;
  stallSec: string | number;
}

function params(p: unknown): Record<string, unknown> {
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

const init = (RED: NodeAPI): void => {
  function FileTransferNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const conn: unknown = RED.nodes.getNode(def.connection);
    if (!isConnectionNode(conn)) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('file-transfer.status.no-connection') });
      return;
    }
    conn.register(node);
    const agent = conn.agent;
    const maxBytes = int(def.maxBytes, 100 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER, 'size limit');
    const stall = int(def.stallSec, 30, 1, 3600, 'stall timeout');
    const dirs = list(str(def.allowedDirs).replace(/\n/g, ','));
    const store = agent ? (agent as ExtendedAgent).fileStore?.() : undefined;
    const bad = !agent
      ? (conn.configError ?? '')
      : !store
        ? RED._('file-transfer.errors.unsupported')
        : !maxBytes.ok
          ? maxBytes.error
          : !stall.ok
            ? stall.error
            : dirs.length === 0
              ? RED._('file-transfer.errors.no-dirs')
              : undefined;
    if (bad !== undefined || !agent || !store || !maxBytes.ok || !stall.ok) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('file-transfer.status.config') });
      node.error(new Error(RED._('file-transfer.errors.config', { reason: bad ?? '' })), {});
      node.on('close', (_r: boolean, done: () => void) => {
        conn.deregister(node);
        done();
      });
      return;
    }
    const limits: TransferLimits = { allowedDirs: dirs, maxBytes: maxBytes.value, stallMs: stall.value * 1000, maxResumes: 5 };

    /** One transfer as the cloud (or a message) asks for it; rejects with a TransferError carrying the status code. */
    const transfer = async (method: string, raw: unknown): Promise<{ file: string; bytes: number; crc32: number; name: string }> => {
      const p = params(raw);
      const name = checkFileName(p['file_name']);
      if (!name.ok) throw new TransferError(STATUS.BAD_PARAMETER, name.error);
      const dir = typeof p['file_path'] === 'string' ? p['file_path'] : undefined;
      const global = p['use_global_store'] === true;
      const file = resolveTarget(limits, name.value, dir);
      node.status({
        fill: 'blue',
        shape: 'dot',
        text: RED._(`file-transfer.status.${method === 'file_upload' ? 'uploading' : 'downloading'}`),
      });
      const r =
        method === 'file_upload'
          ? await upload(store, limits, name.value, file, global)
          : await download(store, limits, name.value, file, global);
      node.status({ fill: 'green', shape: 'dot', text: RED._('file-transfer.status.done', { bytes: r.bytes }) });
      return { ...r, file, name: name.value };
    };

    const run = async (t: TrackedOperation): Promise<void> => {
      const method = t.operation.fragment;
      const r = await transfer(method, t.operation.params);
      agent.report(t.key, 'SUCCESSFUL', undefined, [JSON.stringify({ file_name: r.name, bytes: r.bytes, crc32: r.crc32 })]);
      node.send({
        topic: method,
        payload: { action: method === 'file_upload' ? 'upload' : 'download', file: r.file, bytes: r.bytes, crc32: r.crc32 },
      });
    };

    // A flow may move files too: msg.payload {action: "upload" | "download", file_name, file_path?, use_global_store?}.
    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      const p = params(msg.payload);
      const action = p['action'];
      if (action !== 'upload' && action !== 'download') {
        node.status({ fill: 'red', shape: 'dot', text: RED._('file-transfer.status.failed') });
        done(new Error(RED._('file-transfer.errors.bad-input')));
        return;
      }
      const method = action === 'upload' ? 'file_upload' : 'file_download';
      transfer(method, p).then(
        (r) => {
          send({ ...msg, topic: method, payload: { action, file: r.file, bytes: r.bytes, crc32: r.crc32 } });
          done();
        },
        (err: unknown) => {
          node.status({ fill: 'red', shape: 'dot', text: RED._('file-transfer.status.failed') });
          const text = err instanceof Error ? err.message : String(err);
          done(new Error(RED._('file-transfer.errors.failed', { method, reason: text }), { cause: err }));
        },
      );
    });

    const consumer: OperationConsumer = {
      fragments: ['file_upload', 'file_download'],
      completeOnRestart: false,
      timeoutSec: 3600,
      deliver: (t) => {
        run(t).catch((err: unknown) => {
          const code = err instanceof TransferError ? err.code : STATUS.IO_ERROR;
          const text = err instanceof Error ? err.message : String(err);
          agent.report(t.key, 'FAILED', `${code}: ${text}`);
          node.status({ fill: 'red', shape: 'dot', text: RED._('file-transfer.status.failed') });
          node.error(new Error(RED._('file-transfer.errors.failed', { method: t.operation.fragment, reason: text })), {
            topic: t.operation.fragment,
            payload: t.operation.params,
          });
        });
      },
    };
    agent.addConsumer(consumer);
    node.on('close', (_removed: boolean, done: () => void) => {
      agent.removeConsumer(consumer);
      conn.deregister(node);
      done();
    });
  }
  RED.nodes.registerType('device-agent-file-transfer', FileTransferNode);
};

export = init;
