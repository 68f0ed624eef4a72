/**
 * The platform's HTTP side over HTTPS with a private CA, as the connection trusts it: the log upload,
 * a software download and a remote-access tunnel reach a simulated tenant whose certificate only the
 * connection's CA file vouches for — with Basic device credentials, and in certificate mode with the
 * JWT the session got on s/uat (cumulocity.md §4.2). Without the CA nothing is sent.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createTestPki, type TestPki } from '../sim/certs';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { tgz } from '../support/archives';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings } from '../support/red';
import { connect, echoServer, roundTrip, type EchoServer } from '../support/tunnel';

const DEV = 'rpi-https';
const NODES: unknown[] = [
  ...ALL_NODES,
  require('../../nodes/log-upload'),
  require('../../nodes/remote-access'),
  require('../../nodes/software-update'),
];

describe("the platform's HTTP side over TLS (Basic and device JWT)", { timeout: 60_000 }, () => {
  let pki: TestPki;
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let echo: EchoServer;
  let dataDir: string;
  let cleanup: () => void;
  let logFile: string;

  before(async () => {
    pki = createTestPki();
    await helper.startServer();
    echo = await echoServer();
  });
  after(async () => {
    await helper.stopServer();
    await echo.close();
  });
  beforeEach(async () => {
    sim = await CumulocitySimulator.start({ tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true } });
    sim.addDeviceUser(DEV, 'pw');
    web = await SimPlatformHttp.start(sim, { tls: pki.server });
    ({ dataDir, cleanup } = useSettings({ deviceAgentSoftwareUpdate: { minFreeBytes: 0 } }));
    logFile = path.join(dataDir, 'app.log');
    fs.writeFileSync(logFile, '2026-11-20T10:00:00Z app started\n');
  });
  afterEach(async () => {
    await helper.unload();
    await web.stop();
    await sim.stop();
    cleanup();
  });

  function files(withCa: boolean): Record<string, string> {
    const client = pki.client(DEV);
    const out: Record<string, string> = {
      certFile: path.join(dataDir, 'client.pem'),
      keyFile: path.join(dataDir, 'client.key'),
    };
    fs.writeFileSync(out['certFile']!, client.cert);
    fs.writeFileSync(out['keyFile']!, client.key, { mode: 0o600 });
    if (withCa) {
      out['caFile'] = path.join(dataDir, 'ca.pem');
      fs.writeFileSync(out['caFile'], pki.ca.cert);
    }
    return out;
  }

  /** A connection in certificate mode over mqtts, trusting the test CA. */
  function certConnection(): Record<string, unknown> {
    return connectionNode({ port: sim.tlsPort!, protocol: 'mqtts', deviceId: DEV, authMode: 'cert', httpUrl: web.url(), ...files(true) })
      .node;
  }

  async function load(conn: Record<string, unknown>, credentials: Record<string, object>): Promise<void> {
    const flow = [
      conn,
      { id: 'lu', type: 'device-agent-log-upload', connection: 'conn', sources: `app = ${logFile}`, wires: [[]] },
      {
        id: 'ra',
        type: 'device-agent-remote-access',
        connection: 'conn',
        allow: `127.0.0.1:${echo.port}`,
        wires: [[]],
      },
    ];
    await helper.load(NODES, flow, credentials);
    await statusMatching(helper.getNode('lu')!, (s) => s['fill'] === 'green', 10_000);
  }

  async function upload(): Promise<{ status: string | undefined; reason: string | undefined }> {
    const id = sim.createOperation(DEV, 'c8y_LogfileRequest', { logFile: 'app', maximumLines: 10 });
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 10_000, 'log upload outcome');
    return { status: sim.operation(id)?.status, reason: sim.operation(id)?.failureReason };
  }

  it('Basic over mqtt, HTTPS trusted through the connection CA: the log arrives', async () => {
    const { caFile } = files(true);
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 'pw', httpUrl: web.url(), caFile });
    await load(node, credentials);
    assert.deepEqual(await upload(), { status: 'SUCCESSFUL', reason: undefined });
    assert.equal([...web.binaries.values()][0]?.content.toString('utf8'), '2026-11-20T10:00:00Z app started\n');
  });

  it('without the CA the server certificate is refused and nothing reaches the platform', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 'pw', httpUrl: web.url() });
    await load(node, credentials);
    const out = await upload();
    assert.equal(out.status, 'FAILED');
    assert.match(out.reason ?? '', /certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);
    assert.equal(web.requests.length, 0, 'no request got through the TLS handshake');
  });

  it('certificate mode: asks for a JWT on s/uat, uploads a log and downloads from the repository with it', async () => {
    const node = certConnection();
    const update = {
      id: 'sw',
      type: 'device-agent-software-update',
      connection: 'conn',
      installType: 'archive',
      archiveDir: path.join(dataDir, 'apps'),
      wires: [[], []],
    };
    const ops = {
      id: 'ops',
      type: 'device-agent-operation',
      connection: 'conn',
      fragments: 'c8y_SoftwareUpdate',
      timeout: '60',
      wires: [['sw']],
    };
    const logs = { id: 'lu', type: 'device-agent-log-upload', connection: 'conn', sources: `app = ${logFile}`, wires: [[]] };
    await helper.load(NODES, [node, logs, ops, update], {});
    await statusMatching(helper.getNode('lu')!, (s) => s['fill'] === 'green', 10_000);
    await sim.waitFor(() => sim.received.some((r) => r.clientId === DEV && r.topic === 's/uat'), 5000, 's/uat');
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_SoftwareUpdate') === true, 5000, '114');
    assert.deepEqual(await upload(), { status: 'SUCCESSFUL', reason: undefined });

    const url = web.addRepositoryBinary('tool.tgz', tgz([{ name: 'tool.sh', data: 'echo tool\n', mode: 0o755 }]));
    const op = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [{ name: 'tool', version: '1.0', url, action: 'install' }]);
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(op)?.status ?? ''), 20_000, 'software update outcome');
    assert.equal(sim.operation(op)?.status, 'SUCCESSFUL', sim.operation(op)?.failureReason);
    assert.equal(fs.readFileSync(path.join(dataDir, 'apps', 'tool', 'tool.sh'), 'utf8'), 'echo tool\n');
  });

  it('certificate mode: a remote-access tunnel over wss moves bytes both ways', async () => {
    const node = certConnection();
    await load(node, {});
    await sim.waitFor(() => sim.received.some((r) => r.clientId === DEV && r.topic === 's/uat'), 5000, 's/uat');
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true, 5000, '114');
    const port = echo.port;
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', port);
    try {
      const user = await connect(ep.port);
      const data = Buffer.from('through a JWT-authenticated tunnel');
      assert.ok((await roundTrip(user, data)).received.equals(data));
      user.destroy();
    } finally {
      await ep.close();
    }
  });
});
