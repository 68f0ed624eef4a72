/**
 * examples/helix-device-cloud-agent.json as shipped, configured purely by the environment
 * variables of issue 9, end to end against the HDC simulator over MQTT/TLS with the test CA:
 * telemetry, attributes, location and the alarm of the seed's demo, the built-in ping, the
 * `echo` method round trip returning its parameters, and unknown/disabled methods answered in
 * the protocol's format.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki } from '../sim/certs';
import { tgz } from '../support/archives';
import { HdcSimulator } from '../sim-hdc/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy';
import { setEnv } from '../support/env';
import { ALL_NODES, helper, useSettings } from '../support/red';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'helix-device-cloud-agent.json');
const ENV = ['HDC_HOST', 'HDC_PORT', 'HDC_THING_KEY', 'HDC_APP_TOKEN', 'HDC_FILE_PORT', 'HDC_CA_FILE', 'HDC_WORK_DIR', 'HDC_TRANSPORT', 'HDC_PROXY'];
export const HDC_NODES: unknown[] = [
  require('../../nodes/attribute'),
  require('../../nodes/location'),
  require('../../nodes/file-transfer'),
  require('../../nodes/software-update'),
];

/** Every file under `dir`, relative. */
function tree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('example helix-device-cloud-agent.json', { timeout: 90_000 }, () => {
  let sim: HdcSimulator;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;
  let tmp: string;

  before(async () => {
    const pki = createTestPki();
    sim = await HdcSimulator.start({ pki, thingKey: 'dev1-my_app', token: 'TOKEN' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-example-'));
    fs.writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
    fs.mkdirSync(path.join(tmp, 'work'));
    restoreEnv = setEnv(ENV, {
      HDC_HOST: '127.0.0.1',
      HDC_PORT: String(sim.tlsPort),
      HDC_THING_KEY: 'dev1-my_app',
      HDC_APP_TOKEN: 'TOKEN',
      HDC_FILE_PORT: String(sim.httpsPort),
      HDC_CA_FILE: path.join(tmp, 'ca.pem'),
      HDC_WORK_DIR: path.join(tmp, 'work'),
    });
    cleanup = useSettings({ userDir: tmp, deviceAgentSoftwareUpdate: { minFreeBytes: 0 } }).cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    await helper.load([...CORE_NODES, ...ALL_NODES, ...HDC_NODES], flow, {});
    await sim.waitFor(() => sim.isConnected(), 10_000, 'the device to connect');
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim.stop();
    cleanup();
    restoreEnv();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('carries no secret in the flow file', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials|hdcToken)"\s*:/);
    assert.doesNotMatch(text, /"TOKEN"/);
  });

  it('connects over TLS with the thing key and token and never subscribes', () => {
    const c = sim.connects.at(-1);
    assert.equal(c?.clientId, 'dev1-my_app');
    assert.equal(c?.username, 'dev1-my_app');
    assert.equal(c?.returnCode, 0);
    assert.deepEqual(sim.subscriptions, []);
  });

  it('sends telemetry, the device attributes and its location, as the seed demo does', async () => {
    await sim.waitFor(() => sim.properties.length > 0 && sim.attributes.length >= 3 && sim.locations.length > 0, 10_000, 'the demo records');
    const t = sim.properties[0];
    assert.equal(t?.key, 'temp');
    assert.ok(typeof t?.value === 'number' && t.value >= 20 && t.value <= 25);
    assert.match(String(t?.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(
      sim.attributes.map((a) => a.key).sort(),
      ['hdc_version', 'hostname', 'os_name'],
    );
    assert.equal(sim.attributes.find((a) => a.key === 'os_name')?.value, 'Linux');
    const l = sim.locations[0];
    assert.equal(l?.['lat'], 45.35);
    assert.equal(l?.['lng'], -75.91);
    assert.equal(l?.['city'], 'Ottawa');
    assert.equal(l?.['zipCode'], null);
  });

  it('raises the alarm when the temperature is high', async () => {
    const hot = helper.getNode('da_hdc_hot')!;
    hot.receive({ payload: { temp: 30 } });
    await sim.waitFor(() => sim.alarms.some((a) => a.state === 1), 10_000, 'the alarm');
    assert.deepEqual(
      sim.alarms.find((a) => a.state === 1),
      { key: 'temperature_high', state: 1, msg: 'temperature above 24 C' },
    );
    // A cool reading clears it (state 0).
    hot.receive({ payload: { temp: 20 } });
    await sim.waitFor(() => sim.alarms.at(-1)?.state === 0, 10_000, 'the clear');
  });

  it('answers ping in the agent and echo through the flow with its parameters (method round trip)', async () => {
    const ping = sim.execMethod('ping');
    const pa = await sim.waitAck(ping);
    assert.equal(pa.errorCode, 0);
    assert.equal((pa.params as Record<string, unknown>)['response'], 'acknowledged');
    const started = performance.now();
    const echo = sim.execMethod('echo', { x: 1, text: 'hello', list: [1, 2] });
    const ea = await sim.waitAck(echo);
    const ms = performance.now() - started;
    assert.deepEqual(ea, { errorCode: 0, errorMessage: '', params: { x: 1, text: 'hello', list: [1, 2] } });
    console.log(`HDC method round trip (notify → mailbox.check → flow → mailbox.ack): ${ms.toFixed(1)} ms`);
  });

  it('answers unknown and disabled methods in the protocol format', async () => {
    const nope = sim.execMethod('nope');
    assert.deepEqual(await sim.waitAck(nope), { errorCode: 12, errorMessage: 'ERROR: \'Action "nope" does not have a callback\'', params: undefined });
    const off = sim.execMethod('shutdown_device');
    assert.deepEqual(await sim.waitAck(off), { errorCode: 18, errorMessage: 'This method is disabled by its iot.cfg setting', params: undefined });
  });

  it('downloads a file to HDC_WORK_DIR with the checksum verified, resuming a cut transfer with Range', async () => {
    const work = path.join(tmp, 'work');
    sim.addFile('hello.txt', Buffer.from('hello world'));
    sim.downloadFault = { kind: 'cut', after: 5, times: 1 };
    const id = sim.execMethod('file_download', { file_name: 'hello.txt' });
    const a = await sim.waitAck(id);
    sim.downloadFault = undefined;
    assert.equal(a.errorCode, 0, String(a.errorMessage));
    assert.deepEqual(a.params, { file_name: 'hello.txt', bytes: 11, crc32: 222957957 });
    assert.equal(fs.readFileSync(path.join(work, 'hello.txt'), 'utf8'), 'hello world');
    const gets = sim.httpLog.filter((h) => h.method === 'GET');
    assert.deepEqual(
      gets.map((g) => [g.status, g.range]),
      [
        [200, undefined],
        [206, 'bytes=5-'],
      ],
    );
    assert.deepEqual(tree(work), ['hello.txt'], 'no part file left');
  });

  it('uploads a file from HDC_WORK_DIR with its CRC-32 (file.put, then POST)', async () => {
    const work = path.join(tmp, 'work');
    fs.writeFileSync(path.join(work, 'log.txt'), 'hello world');
    const id = sim.execMethod('file_upload', { file_name: 'log.txt' });
    const a = await sim.waitAck(id);
    assert.equal(a.errorCode, 0, String(a.errorMessage));
    const put = sim.requests.flatMap((r) => r.commands).find((c) => c.command === 'file.put');
    assert.deepEqual(put?.params, { thingKey: 'dev1-my_app', fileName: 'log.txt', public: false, crc32: 222957957, global: false });
    const slot = [...sim.uploads.values()].find((u) => u.name === 'log.txt');
    assert.equal(slot?.data?.toString(), 'hello world');
  });

  it('refuses path traversal and folders outside HDC_WORK_DIR with status 10 or 2, writing nothing outside', async () => {
    const before = tree(tmp);
    sim.addFile('evil.txt', Buffer.from('x'));
    const files = helper.getNode('da_hdc_files')!;
    const red = new Promise<void>((resolve) => {
      files.on('call:status', (c: { args: [{ fill?: string }] }) => {
        if (c.args[0]?.fill === 'red') resolve();
      });
    });
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ file_name: '../evil.txt' }, 2],
      [{ file_name: 'evil.txt', file_path: '..' }, 10],
      [{ file_name: 'evil.txt', file_path: tmp }, 10],
      [{ file_name: 'passwd', file_path: '/etc' }, 10],
    ];
    for (const [p, code] of cases) {
      const a = await sim.waitAck(sim.execMethod('file_download', p));
      assert.equal(a.errorCode, code, JSON.stringify(p));
    }
    const up = await sim.waitAck(sim.execMethod('file_upload', { file_name: 'passwd', file_path: '/etc' }));
    assert.equal(up.errorCode, 10);
    await red;
    assert.deepEqual(tree(tmp), before, 'nothing new anywhere under the temp dir');
  });

  it('fails a download with a wrong checksum or an oversize file, keeping nothing', async () => {
    const work = path.join(tmp, 'work');
    const before = tree(work);
    sim.addFile('bad.txt', Buffer.from('hello worlX'), { crc: '222957957' });
    const bad = await sim.waitAck(sim.execMethod('file_download', { file_name: 'bad.txt' }));
    assert.equal(bad.errorCode, 19);
    assert.match(String(bad.errorMessage), /CRC-32/);
    // A store entry larger than the node's limit (100 MiB): refused from its advertised size.
    const bigId = sim.addFile('big.bin', Buffer.from('x'), { size: 104857600 + 1 });
    const over = await sim.waitAck(sim.execMethod('file_download', { file_name: 'big.bin' }));
    assert.equal(over.errorCode, 7);
    assert.equal(sim.httpLog.filter((h) => h.url === `/file/${bigId}`).length, 0, 'not even requested');
    assert.deepEqual(tree(work), before);
  });

  it('installs an OTA package through the software update node (Invoked, then ack 0)', async () => {
    const update = JSON.stringify({ name: 'demo', version: '1.0', install: 'install.sh', reboot: 'no' });
    sim.addFile('demo.tar.gz', tgz([{ name: 'update.json', data: update }, { name: 'app.txt', data: 'v1' }]), { global: true });
    const id = sim.execMethod('software_update', { package: 'demo.tar.gz' });
    const a = await sim.waitAck(id, 30_000);
    assert.equal(a.errorCode, 0, String(a.errorMessage));
    assert.deepEqual(sim.mailbox.get(id)?.updates, ['Invoked']);
    assert.equal(fs.readFileSync(path.join(tmp, 'hdc-apps', 'demo', 'app.txt'), 'utf8'), 'v1');
  });

  it('rolls an OTA package back to the version before when its health check fails (no update.json)', async () => {
    // The cloud's demo.tar.gz is replaced by a broken build of the same package.
    const entry = [...sim.files.values()].find((f) => f.name === 'demo.tar.gz');
    assert.ok(entry);
    entry.data = tgz([{ name: 'app.txt', data: 'v2 without update.json' }]);
    const id = sim.execMethod('software_update', { package: 'demo.tar.gz' });
    const a = await sim.waitAck(id, 30_000);
    assert.notEqual(a.errorCode, 0);
    assert.match(String(a.errorMessage), /E_HEALTH|health/);
    assert.equal(fs.readFileSync(path.join(tmp, 'hdc-apps', 'demo', 'app.txt'), 'utf8'), 'v1', 'the version before is back');
    assert.ok(fs.existsSync(path.join(tmp, 'hdc-apps', 'demo', 'update.json')));
  });

  it('sent nothing the simulator found wrong', () => {
    assert.deepEqual(sim.errors, []);
  });
});

describe('example helix-device-cloud-agent.json over wss through an HTTP proxy', { timeout: 90_000 }, () => {
  let sim: HdcSimulator;
  let proxy: ConnectProxy;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;
  let tmp: string;

  before(async () => {
    const pki = createTestPki();
    sim = await HdcSimulator.start({ pki, thingKey: 'dev1-my_app', token: 'TOKEN' });
    proxy = await startConnectProxy();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-example-wss-'));
    fs.writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
    fs.mkdirSync(path.join(tmp, 'work'));
    restoreEnv = setEnv(ENV, {
      HDC_HOST: '127.0.0.1',
      HDC_PORT: String(sim.httpsPort),
      HDC_TRANSPORT: 'wss',
      HDC_PROXY: `http://127.0.0.1:${proxy.port}`,
      HDC_THING_KEY: 'dev1-my_app',
      HDC_APP_TOKEN: 'TOKEN',
      HDC_FILE_PORT: String(sim.httpsPort),
      HDC_CA_FILE: path.join(tmp, 'ca.pem'),
      HDC_WORK_DIR: path.join(tmp, 'work'),
    });
    cleanup = useSettings({ userDir: tmp, deviceAgentSoftwareUpdate: { minFreeBytes: 0 } }).cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    await helper.load([...CORE_NODES, ...ALL_NODES, ...HDC_NODES], flow, {});
    await sim.waitFor(() => sim.isConnected(), 10_000, 'the device to connect');
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await proxy.close();
    await sim.stop();
    cleanup();
    restoreEnv();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('connects by WebSocket at /mqtt through the proxy tunnel, sends the demo records and answers echo', async () => {
    assert.equal(sim.connects.at(-1)?.via, 'ws');
    assert.ok(proxy.tunnels.includes(`127.0.0.1:${sim.httpsPort}`));
    await sim.waitFor(() => sim.properties.length > 0 && sim.locations.length > 0, 10_000, 'the demo records');
    const a = await sim.waitAck(sim.execMethod('echo', { via: 'proxy' }));
    assert.deepEqual(a.params, { via: 'proxy' });
  });

  it('downloads a file through the same proxy with the checksum verified', async () => {
    const before = proxy.tunnels.length;
    sim.addFile('proxied.txt', Buffer.from('hello world'));
    const a = await sim.waitAck(sim.execMethod('file_download', { file_name: 'proxied.txt' }));
    assert.equal(a.errorCode, 0, String(a.errorMessage));
    assert.equal(fs.readFileSync(path.join(tmp, 'work', 'proxied.txt'), 'utf8'), 'hello world');
    assert.ok(proxy.tunnels.length > before);
    assert.deepEqual(sim.errors, []);
  });
});
