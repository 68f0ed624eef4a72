/**
 * The connection dialog's Test connection and bootstrap-state endpoints, through the admin app of
 * the test runtime, against the simulator (plain and TLS). The permission check itself is tested
 * against a real Node-RED with adminAuth in test/integration/admin-auth.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { writeJsonAtomic, DeviceState } from '../../agent/state-store';
import { createTestPki, type TestPki } from '../sim/certs';
import { CumulocitySimulator } from '../sim/simulator';
import { freePort } from '../support/net';
import { postAdmin, stepCodes, type ProbeAnswer } from '../support/admin';
import { ALL_NODES, connectionNode, helper, useSettings } from '../support/red';

const DEV = 'probe-device';

type Answer = ProbeAnswer;
const post = postAdmin;
const codes = stepCodes;

describe('connection dialog endpoints', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let pki: TestPki;
  let settings: { dataDir: string; cleanup: () => void };
  let caFile: string;

  before(async () => {
    pki = createTestPki();
    sim = await CumulocitySimulator.start({ tls: { key: pki.server.key, cert: pki.server.cert } });
    sim.addDeviceUser(DEV, 'right-pw');
    settings = useSettings();
    caFile = path.join(settings.dataDir, 'ca.pem');
    fs.writeFileSync(caFile, pki.ca.cert);
    await helper.startServer();
  });

  after(async () => {
    await helper.stopServer();
    await sim.stop();
    settings.cleanup();
  });

  afterEach(async () => helper.unload());

  /** The dialog's settings for the simulator, as the editor sends them. */
  const dialog = (over: Record<string, string | boolean> = {}): Record<string, string | boolean> => ({
    dialect: 'cumulocity',
    host: '127.0.0.1',
    port: String(sim.port),
    protocol: 'mqtt',
    tenant: sim.tenant,
    deviceId: DEV,
    authMode: 'basic',
    credentialsFrom: 'node',
    ...over,
  });

  it('connects with a password typed in the dialog and explains every step', async () => {
    const { node } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(ALL_NODES, [node], {});
    const before = sim.connections.length;
    const r = await post('/device-agent-connection/test', {
      config: dialog(),
      credentials: { user: `device_${DEV}`, password: 'right-pw' },
    });
    assert.equal(r.status, 200);
    const a = r.body as Answer;
    assert.deepEqual(codes(a), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    assert.equal(a.ok, true);
    assert.equal(a.steps[2]?.params['user'], `${sim.tenant}/device_${DEV}`);
    assert.ok(sim.connections.length > before, 'the simulator saw no connection');
    // Nothing published: no device was created by the test.
    assert.equal(sim.devices.has(DEV), false);
  });

  it('uses the saved password of the node when the dialog shows the unchanged placeholder', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 'right-pw' });
    node['id'] = 'saved';
    node['port'] = '1'; // a deployed node that cannot connect: only its stored password matters here
    await helper.load(ALL_NODES, [node], { saved: credentials['conn'] ?? {} });
    const r = await post('/device-agent-connection/test', {
      id: 'saved',
      config: dialog(),
      credentials: { user: `device_${DEV}`, password: '__PWRD__' },
    });
    assert.deepEqual(codes(r.body as Answer), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
  });

  it('prefers a password typed now over the saved one, and explains CONNACK 4', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 'right-pw' });
    await helper.load(ALL_NODES, [node], credentials);
    const r = await post('/device-agent-connection/test', {
      id: 'conn',
      config: dialog(),
      credentials: { user: `device_${DEV}`, password: 'wrong-pw' },
    });
    const a = r.body as Answer;
    assert.equal(a.ok, false);
    assert.deepEqual(codes(a).at(-1), 'mqtt:connack-4');
    assert.doesNotMatch(JSON.stringify(a), /wrong-pw|right-pw/, 'a password in the answer');
  });

  it('replaces a whole-value ${VARIABLE} by the environment, as a deploy would', async () => {
    await helper.load(ALL_NODES, [], {});
    process.env['DA_TEST_HOST'] = '127.0.0.1';
    process.env['DA_TEST_PORT'] = String(sim.port);
    try {
      const r = await post('/device-agent-connection/test', {
        config: dialog({ host: '${DA_TEST_HOST}', port: '${DA_TEST_PORT}' }),
        credentials: { user: `device_${DEV}`, password: 'right-pw' },
      });
      assert.deepEqual(codes(r.body as Answer), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    } finally {
      delete process.env['DA_TEST_HOST'];
      delete process.env['DA_TEST_PORT'];
    }
  });

  it('reports a closed port as TCP refused and does not go on to MQTT', async () => {
    await helper.load(ALL_NODES, [], {});
    const closed = await freePort();
    const r = await post('/device-agent-connection/test', {
      config: dialog({ port: String(closed) }),
      credentials: { user: 'u', password: 'p' },
    });
    assert.deepEqual(codes(r.body as Answer), ['dns:dns-literal', 'tcp:tcp-refused']);
  });

  it('reports settings the node would refuse as a config step, with the reason', async () => {
    await helper.load(ALL_NODES, [], {});
    const r = await post('/device-agent-connection/test', { config: dialog({ tenant: '' }), credentials: { user: 'u', password: 'p' } });
    const a = r.body as Answer;
    assert.deepEqual(codes(a), ['config:config-error']);
    assert.match(String(a.steps[0]?.params['reason']), /tenant/);
  });

  it('resolves a host name (localhost) before connecting', async () => {
    await helper.load(ALL_NODES, [], {});
    const r = await post('/device-agent-connection/test', {
      config: dialog({ host: 'localhost' }),
      credentials: { user: `device_${DEV}`, password: 'right-pw' },
    });
    const a = r.body as Answer;
    assert.equal(a.steps[0]?.code, 'dns-ok');
    assert.match(String(a.steps[0]?.params['addresses']), /127\.0\.0\.1|::1/);
  });

  it('over mqtts: refuses a server certificate from an unknown CA and accepts it with the CA file', async () => {
    await helper.load(ALL_NODES, [], {});
    const tlsPort = String(sim.tlsPort);
    const creds = { user: `device_${DEV}`, password: 'right-pw' };
    const untrusted = await post('/device-agent-connection/test', {
      config: dialog({ protocol: 'mqtts', port: tlsPort }),
      credentials: creds,
    });
    assert.deepEqual(codes(untrusted.body as Answer), ['dns:dns-literal', 'tcp:tcp-ok', 'tls:tls-untrusted']);
    const trusted = await post('/device-agent-connection/test', {
      config: dialog({ protocol: 'mqtts', port: tlsPort, caFile }),
      credentials: creds,
    });
    const a = trusted.body as Answer;
    assert.deepEqual(codes(a), ['dns:dns-literal', 'tcp:tcp-ok', 'tls:tls-ok', 'mqtt:connack-0-basic']);
    assert.match(String(a.steps[2]?.params['protocol']), /^TLSv1\.[23]$/);
  });

  it('tests bootstrap with the bootstrap user, or with the device credentials once obtained', async () => {
    await helper.load(ALL_NODES, [], {});
    const config = dialog({ authMode: 'bootstrap' });
    const bs = await post('/device-agent-connection/test', { config, credentials: { bootstrapPassword: 'bootstrap-secret' } });
    assert.deepEqual(codes(bs.body as Answer).at(-1), 'mqtt:connack-0-bootstrap');

    const state0 = await post('/device-agent-connection/state', { config });
    assert.deepEqual(state0.body, { deployed: false, registered: false, deviceId: DEV });

    const store = new DeviceState(settings.dataDir, '127.0.0.1', DEV);
    writeJsonAtomic(store.credentialsFile, {
      tenant: sim.tenant,
      username: `device_${DEV}`,
      password: 'right-pw',
      obtainedAt: '2026-01-02T03:04:05.000Z',
    });
    try {
      const withStored = await post('/device-agent-connection/test', { config, credentials: { bootstrapPassword: 'wrong' } });
      assert.deepEqual(codes(withStored.body as Answer).at(-1), 'mqtt:connack-0-stored');
      const state1 = await post('/device-agent-connection/state', { config });
      assert.deepEqual(state1.body, { deployed: false, registered: true, registeredAt: '2026-01-02T03:04:05.000Z', deviceId: DEV });
      assert.doesNotMatch(JSON.stringify(state1.body), /right-pw/);
    } finally {
      store.forgetCredentials();
    }
  });

  it('shows the deployed node waiting for acceptance while it bootstraps', async () => {
    sim.registerDevice('bs-device');
    const { node } = connectionNode({ port: sim.port, deviceId: 'bs-device', authMode: 'bootstrap' });
    await helper.load(ALL_NODES, [node], { conn: { bootstrapPassword: 'bootstrap-secret' } });
    await sim.waitFor(() => sim.connections.some((c) => c.clientId === 'bs-device' && c.returnCode === 0), 10_000, 'bootstrap session');
    const r = await post('/device-agent-connection/state', {
      id: 'conn',
      config: dialog({ authMode: 'bootstrap', deviceId: 'bs-device' }),
    });
    assert.deepEqual(r.body, { deployed: true, state: 'bootstrapping', queued: 0, registered: false, deviceId: 'bs-device' });
  });
});
