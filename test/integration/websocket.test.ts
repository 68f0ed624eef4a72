/**
 * MQTT over WebSocket (ws) and over TLS WebSocket (wss, server verified against a test CA),
 * the transport Cumulocity offers on port 443 with path /mqtt. A plain aedes broker behind a
 * ws server stands in for the platform; we check the session's first lines arrive.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import Aedes, { type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { createTestPki, type TestPki } from '../sim/certs';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings } from '../support/red';

interface Broker {
  port: number;
  paths: string[];
  lines: string[];
  close(): Promise<void>;
}

function wsBroker(server: http.Server | https.Server): Promise<Broker> {
  const b = new Aedes();
  const lines: string[] = [];
  const paths: string[] = [];
  b.on('publish', (packet: PublishPacket, client: Client | null) => {
    if (client && packet.topic === 's/us') lines.push(...packet.payload.toString().split('\n'));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    paths.push(req.url ?? '');
    const stream = createWebSocketStream(socket);
    b.handle(stream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        paths,
        lines,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => b.close(() => done()));
          }),
      });
    });
  });
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pred(), what);
}

describe('WebSocket transports', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let broker: Broker | undefined;
  let settings: { dataDir: string; cleanup: () => void };

  before(async () => {
    pki = createTestPki();
    await helper.startServer();
    settings = useSettings();
  });
  after(async () => {
    await helper.stopServer();
    settings.cleanup();
  });
  afterEach(async () => {
    await helper.unload();
    await broker?.close();
  });

  const measurement = { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] };

  it('connects over ws on the /mqtt path', async () => {
    broker = await wsBroker(http.createServer());
    const { node, credentials } = connectionNode({ port: broker.port, protocol: 'ws', deviceId: 'ws-dev' });
    await helper.load(ALL_NODES, [node, measurement], credentials);
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green');
    assert.equal(broker.paths[0], '/mqtt');
    const b = broker;
    await until(() => b.lines.includes('500'), '500 over ws');
  });

  it('connects over wss when the server certificate verifies against the configured CA', async () => {
    broker = await wsBroker(https.createServer({ key: pki.server.key, cert: pki.server.cert }));
    const caFile = path.join(settings.dataDir, 'ca.pem');
    fs.writeFileSync(caFile, pki.ca.cert);
    const { node, credentials } = connectionNode({ port: broker.port, protocol: 'wss', deviceId: 'wss-dev', caFile });
    await helper.load(ALL_NODES, [node, measurement], credentials);
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green');
    const b = broker;
    await until(() => b.lines.includes('500'), '500 over wss');
  });

  it('refuses wss to a server whose certificate it cannot verify', async () => {
    broker = await wsBroker(https.createServer({ key: pki.server.key, cert: pki.server.cert }));
    const { node, credentials } = connectionNode({ port: broker.port, protocol: 'wss', deviceId: 'wss-dev' });
    await helper.load(ALL_NODES, [node, measurement], credentials);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(broker.lines.length, 0, 'nothing may be published to an unverified server');
  });
});
