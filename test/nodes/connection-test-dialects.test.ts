/**
 * Test connection for the dialects beyond Cumulocity: the dialog's settings go through the
 * dialect's own parser and agent, and the probe connects with the session that agent would open
 * first — Trinity's hashed, time-stamped password and libpyiotcloud's user and password — against
 * each platform's simulator. Nothing is published.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createTestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';
import { LibpyiotcloudSimulator } from '../sim-libpyiotcloud/simulator';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { TrinitySimulator } from '../sim-trinity/simulator';
import { postAdmin, stepCodes, type ProbeAnswer } from '../support/admin';
import { ALL_NODES, helper, useSettings } from '../support/red';

const TEST = '/device-agent-connection/test';

describe('Test connection: other dialects', { timeout: 60_000 }, () => {
  let trinity: TrinitySimulator;
  let lpc: LibpyiotcloudSimulator;
  let pyaiot: PyaiotBroker;
  let hdc: HdcSimulator;
  let cleanup: () => void;

  before(async () => {
    trinity = await TrinitySimulator.start();
    lpc = await LibpyiotcloudSimulator.start();
    pyaiot = await PyaiotBroker.start();
    hdc = await HdcSimulator.start({ pki: createTestPki() });
    cleanup = useSettings().cleanup;
    await helper.startServer();
    await helper.load(ALL_NODES, [], {});
  });
  after(async () => {
    await helper.stopServer();
    await trinity.stop();
    await lpc.stop();
    await pyaiot.stop();
    await hdc.stop();
    cleanup();
  });

  const trinityDialog = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    dialect: 'trinity',
    trinityHost: '127.0.0.1',
    trinityPort: String(trinity.port),
    trinityProtocol: 'mqtt',
    trinityCid: trinity.cid,
    trinityHid: trinity.hid,
    trinityPids: 'my_app_id',
    trinitySecretFrom: 'node',
    ...over,
  });

  it('Trinity: connects as the HID with a fresh hashed password', async () => {
    const before = trinity.connections.length;
    const r = await postAdmin(TEST, { config: trinityDialog(), credentials: { trinitySecret: trinity.secretHex } });
    const a = r.body as ProbeAnswer;
    assert.deepEqual(stepCodes(a), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    assert.equal(a.ok, true);
    const c = trinity.connections.slice(before).find((x) => x.returnCode === 0);
    assert.equal(c?.clientId, trinity.hid);
    assert.equal(c?.username, `${trinity.cid}${trinity.hid}`);
  });

  it('Trinity: a wrong secret is refused at CONNACK and explained', async () => {
    const r = await postAdmin(TEST, { config: trinityDialog(), credentials: { trinitySecret: '00'.repeat(16) } });
    const a = r.body as ProbeAnswer;
    assert.equal(a.ok, false);
    assert.match(stepCodes(a).at(-1) ?? '', /^mqtt:connack-[45]$/);
  });

  it('Trinity: settings its parser refuses come back as a config step with the reason', async () => {
    const r = await postAdmin(TEST, {
      config: trinityDialog({ trinityPort: '99999' }),
      credentials: { trinitySecret: trinity.secretHex },
    });
    const a = r.body as ProbeAnswer;
    assert.deepEqual(stepCodes(a), ['config:config-error']);
    assert.ok(String(a.steps[0]?.params['reason']).length > 0);
  });

  it('libpyiotcloud: connects with the user and password typed in the dialog, refuses a wrong one', async () => {
    const dialog = {
      dialect: 'libpyiotcloud',
      lpcUrl: `mqtt://127.0.0.1:${lpc.port}`,
      lpcDeviceId: lpc.deviceId,
      lpcCredentialsFrom: 'node',
    };
    const good = (await postAdmin(TEST, { config: dialog, credentials: { lpcUser: 'guest', lpcPassword: 'guest' } })).body as ProbeAnswer;
    assert.deepEqual(stepCodes(good), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    assert.equal(good.steps[2]?.params['clientId'], lpc.deviceId);
    const bad = (await postAdmin(TEST, { config: dialog, credentials: { lpcUser: 'guest', lpcPassword: 'nope' } })).body as ProbeAnswer;
    assert.equal(bad.ok, false);
    assert.match(stepCodes(bad).at(-1) ?? '', /^mqtt:connack-[45]$/);
  });

  it("pyaiot: connects with the node's client id to the local broker, and publishes nothing", async () => {
    const a = (await postAdmin(TEST, { config: { dialect: 'pyaiot', pyUrl: pyaiot.url, pyNodeId: 'probe-node' }, credentials: {} }))
      .body as ProbeAnswer;
    assert.deepEqual(stepCodes(a), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    assert.match(String(a.steps[2]?.params['clientId']), /probe-node/);
    assert.equal(pyaiot.seen.length, 0, 'a connection test announces nothing');
  });

  it('Helix Device Cloud: logs in with the thing key and app token; a wrong token is explained', async () => {
    const dialog = {
      dialect: 'hdc',
      hdcHost: '127.0.0.1',
      hdcPort: String(hdc.port),
      hdcTransport: 'mqtt',
      hdcDeviceId: 'dev1',
      hdcAppId: 'my_app',
    };
    const good = (await postAdmin(TEST, { config: dialog, credentials: { hdcToken: 'TOKEN' } })).body as ProbeAnswer;
    assert.deepEqual(stepCodes(good), ['dns:dns-literal', 'tcp:tcp-ok', 'mqtt:connack-0-basic']);
    const bad = (await postAdmin(TEST, { config: dialog, credentials: { hdcToken: 'WRONG' } })).body as ProbeAnswer;
    assert.equal(bad.ok, false);
    assert.match(stepCodes(bad).at(-1) ?? '', /^mqtt:connack-[45]$/);
  });
});
