/**
 * Set-up shared by the per-node test files: a simulator with one device user, a connection
 * node for it, and a helper to load one node under test wired to a helper node.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings, type TestNode } from './red';

export const DEVICE = 'node-test-device';

export interface NodeSuite {
  sim(): CumulocitySimulator;
  /** Loads `nodes` (with a connection node `conn`) and waits until `waitFor` shows connected. */
  load(nodes: object[], waitFor: string): Promise<TestNode>;
}

export function nodeSuite(): NodeSuite {
  let sim: CumulocitySimulator | undefined;
  let cleanup: (() => void) | undefined;
  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEVICE, 'pw');
    cleanup = useSettings().cleanup;
  });
  afterEach(async () => {
    await helper.unload();
    await sim?.stop();
    cleanup?.();
  });
  return {
    sim: () => {
      if (!sim) throw new Error('simulator not started');
      return sim;
    },
    load: async (nodes, waitFor) => {
      if (!sim) throw new Error('simulator not started');
      const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
      await helper.load(ALL_NODES, [node, ...nodes], credentials);
      const n = helper.getNode(waitFor);
      if (!n) throw new Error(`node ${waitFor} not loaded`);
      await statusMatching(n, (s) => s['fill'] === 'green');
      return n;
    },
  };
}

/** Sends a message and resolves with the error the node reports for it (done(err)). */
export function errorFor(node: TestNode, msg: Record<string, unknown>, timeoutMs = 3000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no error from ${node.id}`)), timeoutMs);
    node.once('call:error', (c: { args: [unknown] }) => {
      clearTimeout(t);
      const e = c.args[0];
      resolve(e instanceof Error ? e : new Error(String(e)));
    });
    node.receive(msg);
  });
}
