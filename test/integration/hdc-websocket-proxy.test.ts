// Helix Device Cloud over MQTT over secure WebSocket (wss, path /mqtt) through a loopback HTTP
// CONNECT proxy (issue 9 item 4): the connection node's settings as a user would enter them, the
// server certificate verified against the test CA inside the tunnel, telemetry and a method
// round trip through it, a file downloaded through the same proxy, and a proxy that demands
// credentials refusing a device without them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki, type TestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy';
import { ALL_NODES, helper, statusMatching, useSettings } from '../support/red';

const NODES: unknown[] = [...ALL_NODES, require('../../nodes/file-transfer')];

function flow(sim: HdcSimulator, tmp: string, proxy: string): Record<string, unknown>[] {
  return [
    {
      id: 'conn',
      type: 'device-agent-connection',
      dialect: 'hdc',
      hdcHost: '127.0.0.1',
      hdcPort: String(sim.httpsPort),
      hdcTransport: 'wss',
      hdcWsPath: '/mqtt',
      hdcDeviceId: 'dev1',
      hdcAppId: 'my_app',
      hdcCaFile: path.join(tmp, 'ca.pem'),
      hdcFilePort: String(sim.httpsPort),
      hdcProxy: proxy,
      hdcPublishGap: '0',
    },
    {
      id: 'm',
      type: 'device-agent-measurement',
      connection: 'conn',
      fragment: 'env',
      series: 'temp',
      value: 'payload',
      valueType: 'msg',
      wires: [[]],
    },
    { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'echo', timeout: '10', wires: [['st']] },
    { id: 'st', type: 'device-agent-operation-status', outcome: 'SUCCESSFUL', wires: [[]] },
    { id: 'files', type: 'device-agent-file-transfer', connection: 'conn', allowedDirs: path.join(tmp, 'work'), wires: [[]] },
  ];
}

describe('HDC over wss through an HTTP CONNECT proxy', { timeout: 60_000 }, () => {
  let pki: TestPki;
  let sim: HdcSimulator;
  let proxy: ConnectProxy;
  let tmp: string;
  let cleanup: () => void;

  before(async () => {
    pki = createTestPki();
    sim = await HdcSimulator.start({ pki });
    proxy = await startConnectProxy({ user: 'dev', password: 'p@ss' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-wss-'));
    fs.mkdirSync(path.join(tmp, 'work'));
    fs.writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
    cleanup = useSettings().cleanup;
    await helper.startServer();
  });

  after(async () => {
    await helper.stopServer();
    await proxy.close();
    await sim.stop();
    cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('connects by WebSocket through the proxy, sends telemetry and answers a method', async () => {
    try {
      await helper.load(NODES, flow(sim, tmp, `http://dev:p%40ss@127.0.0.1:${proxy.port}`), { conn: { hdcToken: 'TOKEN' } });
      await sim.waitFor(() => sim.isConnected(), 10_000, 'the device to connect');
      const c = sim.connects.at(-1);
      assert.deepEqual(c, { clientId: 'dev1-my_app', username: 'dev1-my_app', returnCode: 0, via: 'ws' });
      assert.ok(proxy.tunnels.includes(`127.0.0.1:${sim.httpsPort}`), `tunnels: ${proxy.tunnels.join(', ')}`);
      helper.getNode('m')!.receive({ payload: 21.5 });
      await sim.waitFor(() => sim.properties.length > 0, 10_000, 'the telemetry');
      assert.equal(sim.properties[0]?.value, 21.5);
      const a = await sim.waitAck(sim.execMethod('echo', { a: 1 }));
      assert.equal(a.errorCode, 0);
      // A file through the same proxy (the seed's HTTPS transfers skipped it, §2).
      const before = proxy.tunnels.length;
      sim.addFile('hello.txt', Buffer.from('hello world'));
      const d = await sim.waitAck(sim.execMethod('file_download', { file_name: 'hello.txt' }));
      assert.equal(d.errorCode, 0, String(d.errorMessage));
      assert.equal(fs.readFileSync(path.join(tmp, 'work', 'hello.txt'), 'utf8'), 'hello world');
      assert.ok(proxy.tunnels.length > before, 'the download went through the proxy');
      assert.deepEqual(sim.errors, []);
    } finally {
      await helper.unload();
    }
  });

  it('does not connect when the proxy refuses the tunnel (no credentials)', async () => {
    const refusedBefore = proxy.refused.length;
    const connectsBefore = sim.connects.length;
    try {
      await helper.load(NODES, flow(sim, tmp, `http://127.0.0.1:${proxy.port}`), { conn: { hdcToken: 'TOKEN' } });
      const m = helper.getNode('m')!;
      await statusMatching(m, (s) => s['fill'] === 'red' || s['fill'] === 'yellow', 10_000);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no refusal seen')), 10_000);
        const poll = setInterval(() => {
          if (proxy.refused.length > refusedBefore) {
            clearInterval(poll);
            clearTimeout(t);
            resolve();
          }
        }, 20);
      });
      assert.match(proxy.refused.at(-1) ?? '', /no or wrong credentials/);
      assert.equal(sim.connects.length, connectsBefore, 'nothing reached the cloud');
    } finally {
      await helper.unload();
    }
  });
});
