/**
 * Authentication through Node-RED against the simulator: bootstrap (cumulocity.md §4.1),
 * client certificates over TLS with server verification, and credentials kept out of the flow.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createTestPki, type TestPki } from '../sim/certs';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, sleep, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-0003';
const measurement = { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] };

describe('authentication (Cumulocity simulator)', { timeout: 60_000 }, () => {
  let pki: TestPki;
  let sim: CumulocitySimulator;
  let dataDir: string;
  let cleanup: () => void;

  before(async () => {
    pki = createTestPki();
    await helper.startServer();
  });
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start({ tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true } });
    ({ dataDir, cleanup } = useSettings());
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    cleanup();
  });

  function pemFiles(cn: string): { caFile: string; certFile: string; keyFile: string } {
    const client = pki.client(cn);
    const caFile = path.join(dataDir, 'ca.pem');
    const certFile = path.join(dataDir, 'client.pem');
    const keyFile = path.join(dataDir, 'client.key');
    fs.writeFileSync(caFile, pki.ca.cert);
    fs.writeFileSync(certFile, client.cert);
    fs.writeFileSync(keyFile, client.key, { mode: 0o600 });
    return { caFile, certFile, keyFile };
  }

  it('bootstraps: polls s/ucr until accepted, stores the credentials (0600) and connects with them', async () => {
    sim.registerDevice(DEV);
    sim.setNextPassword('p,w"d 1');
    const { node } = connectionNode({ port: sim.port, deviceId: DEV, authMode: 'bootstrap', bootstrapPoll: '1' });
    const credentials = { conn: { bootstrapPassword: 'bootstrap-secret' } };
    await helper.load(ALL_NODES, [node, measurement], credentials);
    const m = helper.getNode('m')!;
    await sim.waitFor(() => sim.registration(DEV) === 'PENDING_ACCEPTANCE', 5000, 'first poll');
    await statusMatching(m, (s) => s['text'] === 'connection.status.bootstrapping', 3000).catch(() => undefined);
    sim.acceptRegistration(DEV);
    await statusMatching(m, (s) => s['fill'] === 'green', 8000);
    const file = path.join(dataDir, '127.0.0.1', DEV, 'credentials.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { tenant: string; username: string; password: string };
    assert.deepEqual([stored.tenant, stored.username, stored.password], ['t12345', `device_${DEV}`, 'p,w"d 1']);
    const last = sim.connections.filter((c) => c.clientId === DEV).at(-1);
    assert.equal(last?.username, `t12345/device_${DEV}`);
    assert.equal(last?.returnCode, 0);
  });

  it('uses stored bootstrap credentials on the next start instead of polling again', async () => {
    sim.registerDevice(DEV);
    const { node } = connectionNode({ port: sim.port, deviceId: DEV, authMode: 'bootstrap', bootstrapPoll: '1' });
    const credentials = { conn: { bootstrapPassword: 'bootstrap-secret' } };
    await helper.load(ALL_NODES, [node, measurement], credentials);
    await sim.waitFor(() => sim.registration(DEV) === 'PENDING_ACCEPTANCE', 5000, 'first poll');
    sim.acceptRegistration(DEV);
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green', 8000);
    await helper.unload();
    const polls = sim.received.filter((r) => r.topic === 's/ucr').length;
    await helper.load(ALL_NODES, [node, measurement], credentials);
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green', 5000);
    assert.equal(sim.received.filter((r) => r.topic === 's/ucr').length, polls, 'no new polls');
  });

  it('connects with a client certificate over TLS, verifying the server against the CA', async () => {
    const files = pemFiles(DEV);
    const { node } = connectionNode({ port: sim.tlsPort!, protocol: 'mqtts', deviceId: DEV, authMode: 'cert', ...files });
    await helper.load(ALL_NODES, [node, measurement], {});
    const m = helper.getNode('m')!;
    await statusMatching(m, (s) => s['fill'] === 'green', 8000);
    m.receive({ payload: 21.5 });
    await sim.waitFor(() => sim.measurements.length === 1, 3000, 'measurement over TLS');
    const c = sim.connections.find((x) => x.clientId === DEV && x.returnCode === 0);
    assert.equal(c?.username, undefined, 'no user name in certificate mode');
  });

  it('does not connect when the server certificate cannot be verified (no CA given)', async () => {
    const { certFile, keyFile } = pemFiles(DEV);
    const { node } = connectionNode({ port: sim.tlsPort!, protocol: 'mqtts', deviceId: DEV, authMode: 'cert', certFile, keyFile });
    await helper.load(ALL_NODES, [node, measurement], {});
    await sleep(800);
    assert.equal(sim.connections.filter((x) => x.clientId === DEV).length, 0, 'TLS must fail before MQTT CONNECT');
    assert.equal(sim.connected(DEV), false);
  });

  it('names a refused password in the status and log without ever printing it', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 's3cret-pw' });
    const said: string[] = [];
    const loaded = helper.load(ALL_NODES, [node, measurement], credentials);
    await loaded;
    const conn = helper.getNode('conn')!;
    const m = helper.getNode('m')!;
    for (const n of [conn, m]) {
      for (const ev of ['call:error', 'call:warn', 'call:status', 'call:log']) {
        n.on(ev, (c: { args: unknown[] }) => said.push(c.args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a))).join(' ')));
      }
    }
    await statusMatching(m, (s) => s['text'] === 'connection.status.bad-credentials', 5000);
    await sleep(50);
    assert.ok(said.length > 0, 'the refusal was reported');
    assert.ok(
      said.some((t) => t.includes('bad-credentials')),
      said.join('\n'),
    );
    for (const t of said) assert.ok(!t.includes('s3cret-pw'), `password leaked: ${t}`);
  });
});
