/**
 * Shared set-up for tests that run our nodes in the real Node-RED runtime
 * (node-red-node-test-helper) against the Cumulocity simulator on a real broker.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import helper = require('node-red-node-test-helper');
import type { TestNode } from 'node-red-node-test-helper';

helper.init(require.resolve('node-red'));

export { helper };

/** The test Node-RED's HTTP address (the helper has it; its type definitions do not). */
export function helperUrl(): string {
  return (helper as unknown as { url(): string }).url();
}
export type { TestNode };

/** Every node module of the package, in the order Node-RED would load them. */
export const ALL_NODES: unknown[] = [
  require('../../nodes/connection'),
  require('../../nodes/measurement'),
  require('../../nodes/event'),
  require('../../nodes/alarm'),
  require('../../nodes/operation'),
  require('../../nodes/operation-status'),
];

/** A temp data dir and fast reconnects; returns a cleanup function. */
export function useSettings(extra: Record<string, unknown> = {}): { dataDir: string; cleanup: () => void } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-data-'));
  helper.settings({
    deviceAgentDataDir: dataDir,
    deviceAgentHostRoot: path.join(dataDir, 'no-such-root'),
    deviceAgentBackoff: { initialMs: 50, maxMs: 400, stableMs: 60_000 },
    ...extra,
  });
  return { dataDir, cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

export interface ConnOptions {
  id?: string;
  port: number;
  deviceId: string;
  tenant?: string;
  user?: string;
  password?: string;
  [key: string]: unknown;
}

/** A connection node for the simulator (plain mqtt on loopback) and its credentials. */
export function connectionNode(o: ConnOptions): { node: Record<string, unknown>; credentials: Record<string, object> } {
  const { id = 'conn', port, deviceId, tenant = 't12345', user, password, ...rest } = o;
  const node = {
    id,
    type: 'device-agent-connection',
    dialect: 'cumulocity',
    host: '127.0.0.1',
    port: String(port),
    protocol: 'mqtt',
    tenant,
    deviceId,
    authMode: 'basic',
    keepalive: '60',
    will: true,
    operationMode: 'id',
    ...rest,
  };
  return { node, credentials: { [id]: { user: user ?? `device_${deviceId}`, password: password ?? 'pw' } } };
}

/** Resolves with the next message a helper node receives. */
export function nextMessage(node: TestNode, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no message at ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg: Record<string, unknown>) => {
      clearTimeout(t);
      resolve(msg);
    });
  });
}

/** Resolves when a node reports a status matching the predicate. */
export function statusMatching(
  node: TestNode,
  pred: (s: Record<string, unknown>) => boolean,
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      node.off('call:status', on);
      reject(new Error(`status not reached at ${node.id} within ${timeoutMs} ms`));
    }, timeoutMs);
    t.unref(); // a losing Promise.race must not keep the test process alive
    function on(call: { args: [Record<string, unknown>] }): void {
      if (pred(call.args[0])) {
        clearTimeout(t);
        node.off('call:status', on);
        resolve(call.args[0]);
      }
    }
    node.on('call:status', on);
  });
}

/** Resolves with the first error a node reports through done(err) or node.error. */
export function nextError(node: TestNode, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no error at ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.once('call:error', (call: { args: [unknown] }) => {
      clearTimeout(t);
      const e = call.args[0];
      resolve(e instanceof Error ? e.message : String(e));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
