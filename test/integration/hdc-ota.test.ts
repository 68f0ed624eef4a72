// HDC OTA through the software update node (issue 9 item 3): the cloud's `software_update`
// method reaches the node through an operation node, the package is found with file.get (shared
// store first, then the thing's own after -90008), downloaded over HTTPS with the test CA,
// installed as an archive, and answered with mailbox.ack 0 — or, when the health check fails,
// rolled back to the previous version and answered with a failure code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';
import { tgz } from '../support/archives';
import { ALL_NODES, helper, useSettings } from '../support/red';

const HEALTH = `${process.execPath} -e "process.exit(require('fs').existsSync(process.env.DA_SOFTWARE_DIR + '/ok') ? 0 : 3)"`;
const NODES: unknown[] = [...ALL_NODES, require('../../nodes/software-update')];

describe('HDC OTA through the software update node', { timeout: 60_000 }, () => {
  let sim: HdcSimulator;
  let tmp: string;
  let apps: string;
  let settings: { dataDir: string; cleanup: () => void };

  before(async () => {
    const pki = createTestPki();
    sim = await HdcSimulator.start({ pki });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-ota-'));
    fs.writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
    apps = path.join(tmp, 'apps');
    settings = useSettings({
      userDir: tmp,
      deviceAgentSoftwareUpdate: { minFreeBytes: 0, download: { retryDelaysMs: [20], idleTimeoutMs: 2000 } },
    });
    sim.addFile(
      'app.tar.gz',
      tgz([
        { name: 'ok', data: 'v1' },
        { name: 'app.js', data: 'console.log(1)' },
      ]),
      { global: true },
    );
    // Only in the thing's own store: the node must fall back from the shared one.
    sim.addFile('app-broken.tar.gz', tgz([{ name: 'app.js', data: 'console.log("no ok file")' }]), { global: false });
    await helper.startServer();
    const flow = [
      {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'hdc',
        hdcHost: '127.0.0.1',
        hdcPort: String(sim.port),
        hdcTransport: 'mqtt',
        hdcDeviceId: 'dev1',
        hdcAppId: 'my_app',
        hdcCaFile: path.join(tmp, 'ca.pem'),
        hdcFilePort: String(sim.httpsPort),
        hdcPublishGap: '0',
      },
      {
        id: 'op',
        type: 'device-agent-operation',
        connection: 'conn',
        fragments: 'software_update',
        timeout: '600',
        completeOnRestart: 'no',
        wires: [['sw']],
      },
      {
        id: 'sw',
        type: 'device-agent-software-update',
        archiveDir: apps,
        healthCheck: HEALTH,
        caFile: path.join(tmp, 'ca.pem'),
        wires: [[], []],
      },
    ];
    await helper.load(NODES, flow, { conn: { hdcToken: 'TOKEN' } });
    await sim.waitFor(() => sim.isConnected(), 10_000, 'the device to connect');
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim.stop();
    settings.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs a package from the shared store: Invoked, then mailbox.ack 0', async () => {
    const id = sim.execMethod('software_update', { package: 'app.tar.gz' });
    const a = await sim.waitAck(id, 30_000);
    assert.equal(a.errorCode, 0, String(a.errorMessage));
    assert.deepEqual(sim.mailbox.get(id)?.updates, ['Invoked']);
    assert.equal(fs.readFileSync(path.join(apps, 'app', 'ok'), 'utf8'), 'v1');
    // §7 reporting: the software_update alarm goes 0 (started) → 5 (complete), with OTA log lines.
    assert.deepEqual(
      sim.alarms.filter((x) => x.key === 'software_update').map((x) => [x.state, x.msg]),
      [
        [0, 'package: app.tar.gz'],
        [5, 'package: app.tar.gz'],
      ],
    );
    assert.deepEqual(
      sim.logs.filter((l) => l.startsWith('OTA: ')),
      ['OTA: app.tar.gz started', 'OTA: app.tar.gz complete'],
    );
    const gets = sim.requests.flatMap((r) => r.commands).filter((c) => c.command === 'file.get');
    assert.deepEqual(gets.at(-1)?.params, { thingKey: 'dev1-my_app', fileName: 'app.tar.gz', global: true });
  });

  it('rolls back to the previous version when the health check fails, and answers with a failure', async () => {
    const id = sim.execMethod('software_update', { package: 'app-broken.tar.gz' });
    const a = await sim.waitAck(id, 30_000);
    assert.notEqual(a.errorCode, 0);
    assert.match(String(a.errorMessage), /E_HEALTH|health/);
    assert.deepEqual(sim.alarms.at(-1), { key: 'software_update', state: 6, msg: 'package: app-broken.tar.gz' });
    // The version before is back in place.
    assert.equal(fs.readFileSync(path.join(apps, 'app', 'ok'), 'utf8'), 'v1');
    assert.equal(fs.readFileSync(path.join(apps, 'app', 'app.js'), 'utf8'), 'console.log(1)');
    const gets = sim.requests
      .flatMap((r) => r.commands)
      .filter((c) => c.command === 'file.get' && (c.params as { fileName?: string }).fileName === 'app-broken.tar.gz');
    assert.deepEqual(
      gets.map((g) => (g.params as { global: boolean }).global),
      [true, false],
      'shared store first, then the thing store',
    );
  });

  it('refuses a package that is neither .zip nor .tar.gz, and one the cloud does not have', async () => {
    const bad = await sim.waitAck(sim.execMethod('software_update', { package: 'app.exe' }), 30_000);
    assert.notEqual(bad.errorCode, 0);
    const none = await sim.waitAck(sim.execMethod('software_update', { package: 'none.tar.gz' }), 30_000);
    assert.notEqual(none.errorCode, 0);
    assert.match(String(none.errorMessage), /-90008|not found/);
  });
});
