/**
 * Set-up for node tests on a Helix Device Cloud connection: an HDC simulator, a connection node
 * `conn` for it (plain MQTT, no publish gap) and a loader for the nodes under test.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { createTestPki, type TestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';
import { ALL_NODES, helper, statusMatching, useSettings, type TestNode } from './red';

export interface HdcSuite {
  sim(): HdcSimulator;
  load(nodes: object[], waitFor: string, extraModules?: unknown[]): Promise<TestNode>;
}

export function hdcSuite(): HdcSuite {
  let pki: TestPki | undefined;
  let sim: HdcSimulator | undefined;
  let cleanup: (() => void) | undefined;
  before(async () => {
    pki = createTestPki();
    await helper.startServer();
  });
  after(async () => helper.stopServer());
  beforeEach(async () => {
    if (!pki) throw new Error('no PKI');
    sim = await HdcSimulator.start({ pki });
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
    load: async (nodes, waitFor, extraModules = []) => {
      if (!sim) throw new Error('simulator not started');
      const conn = {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'hdc',
        hdcHost: '127.0.0.1',
        hdcPort: String(sim.port),
        hdcTransport: 'mqtt',
        hdcDeviceId: 'dev1',
        hdcAppId: 'my_app',
        hdcFilePort: String(sim.httpsPort),
        hdcPublishGap: '0',
      };
      await helper.load([...ALL_NODES, ...extraModules], [conn, ...nodes], { conn: { hdcToken: 'TOKEN' } });
      const n = helper.getNode(waitFor);
      if (!n) throw new Error(`node ${waitFor} not loaded`);
      await statusMatching(n, (s) => s['fill'] === 'green');
      return n;
    },
  };
}
