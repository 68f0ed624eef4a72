// The software update node in the Node-RED runtime against the Cumulocity simulator: 528/529/515
// operations from the operation node, packages from a download server on 127.0.0.1, the
// installed list reported back before SUCCESSFUL, faults reported as FAILED with their code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { sha256, tgz, treeHash } from '../support/archives';
import { fileServer, type FileServer } from '../support/file-server';
import { ALL_NODES, connectionNode, helper, nextError, nextMessage, statusMatching, useSettings, type TestNode } from '../support/red';

const DEVICE = 'sw-test-device';
const NODES: unknown[] = [...ALL_NODES, require('../../nodes/software-update')];
const HEALTH = `${process.execPath} -e "process.exit(require('fs').existsSync(process.env.DA_SOFTWARE_DIR + '/ok') ? 0 : 3)"`;
const v1 = tgz([
  { name: 'ok', data: 'v1' },
  { name: 'app.js', data: 'console.log(1)' },
]);
const v2 = tgz([
  { name: 'ok', data: 'v2' },
  { name: 'app.js', data: 'console.log(2)' },
]);
const broken = tgz([{ name: 'app.js', data: 'console.log("no ok file")' }]);

describe('software update node', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let srv: FileServer;
  let settings: { dataDir: string; cleanup: () => void };
  let apps: string;
  let userDir: string;
  before(async () => {
    await helper.startServer();
    srv = await fileServer();
    srv.set('/v1.tgz', { body: v1, etag: '"1"' });
    srv.set('/v2.tgz', { body: v2, etag: '"2"' });
    srv.set('/broken.tgz', { body: broken });
    srv.set('/inventory/binaries/42', { body: v2 });
  });
  after(async () => {
    await helper.stopServer();
    await srv.close();
  });
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEVICE, 'pw');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-sw-user-'));
    settings = useSettings({
      userDir,
      deviceAgentSoftwareUpdate: { minFreeBytes: 0, download: { retryDelaysMs: [20], idleTimeoutMs: 2000 } },
    });
    apps = path.join(settings.dataDir, 'apps');
    srv.requests.length = 0;
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    settings.cleanup();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function load(
    opts: { mode?: 'id' | 'static'; sw?: Record<string, unknown> } = {},
  ): Promise<{ sw: TestNode; result: TestNode; progress: TestNode }> {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE, operationMode: opts.mode ?? 'id', httpUrl: srv.base });
    const flow = [
      node,
      {
        id: 'op',
        type: 'device-agent-operation',
        connection: 'conn',
        fragments: 'c8y_SoftwareUpdate,c8y_Firmware',
        timeout: '60',
        wires: [['sw']],
      },
      {
        id: 'sw',
        type: 'device-agent-software-update',
        archiveDir: apps,
        healthCheck: HEALTH,
        allowHttp: true,
        firmwareType: 'archive',
        ...opts.sw,
        wires: [['result'], ['progress']],
      },
      { id: 'result', type: 'helper' },
      { id: 'progress', type: 'helper' },
    ];
    await helper.load(NODES, flow, credentials);
    await statusMatching(helper.getNode('op')!, (s) => s['fill'] === 'green', 10_000);
    return { sw: helper.getNode('sw')!, result: helper.getNode('result')!, progress: helper.getNode('progress')! };
  }

  async function finished(id: string): Promise<void> {
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 30_000, `operation ${id} final`);
  }

  it('installs an archive from a 528 operation and reports the installed list (116) before SUCCESSFUL', async () => {
    const { result, progress } = await load({ mode: 'static' });
    const phases: string[] = [];
    progress.on('input', (m: { payload: { phase: string } }) => phases.push(m.payload.phase));
    const out = nextMessage(result, 30_000);
    const url = `${srv.url('/v1.tgz')}#sha256=${sha256(v1)}`;
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [{ name: 'app', version: '1.0', url, action: 'install' }]);
    await finished(id);
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL', sim.operation(id)?.failureReason);
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
    assert.deepEqual(sim.devices.get(DEVICE)?.software, [{ name: 'app', version: '1.0', url: srv.url('/v1.tgz') }]);
    // The list line went up before the status line.
    const lines = sim.received.filter((r) => r.topic === 's/us').flatMap((r) => r.payload.toString().split('\n'));
    assert.ok(lines.findIndex((l) => l.startsWith('116,app')) < lines.findIndex((l) => l.startsWith('503,c8y_SoftwareUpdate')));
    const msg = (await out) as { payload: { status: string; installed: unknown[] } };
    assert.equal(msg.payload.status, 'SUCCESSFUL');
    assert.equal(fs.readFileSync(path.join(apps, 'app', 'app.js'), 'utf8'), 'console.log(1)');
    for (const p of ['downloading', 'verifying', 'installing', 'staging', 'swap', 'health-check', 'done'])
      assert.ok(phases.includes(p), `progress ${p}`);
  });

  it('reports a 529-style update (software type) with the advanced list (140)', async () => {
    await load();
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '2.0', softwareType: 'archive', url: srv.url('/v2.tgz'), action: 'install' },
    ]);
    await finished(id);
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL', sim.operation(id)?.failureReason);
    assert.deepEqual(sim.devices.get(DEVICE)?.advancedSoftware, [
      { name: 'app', version: '2.0', type: 'archive', url: srv.url('/v2.tgz') },
    ]);
  });

  it('fails a wrong checksum with E_CHECKSUM and leaves the installed version byte for byte', async () => {
    await load();
    const first = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '1.0', url: srv.url('/v1.tgz'), action: 'install' },
    ]);
    await finished(first);
    const before = treeHash(path.join(apps, 'app'));
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '2.0', url: `${srv.url('/v2.tgz')}#sha256=${'0'.repeat(64)}`, action: 'install' },
    ]);
    await finished(id);
    assert.equal(sim.operation(id)?.status, 'FAILED');
    assert.match(sim.operation(id)?.failureReason ?? '', /^E_CHECKSUM: /);
    assert.equal(treeHash(path.join(apps, 'app')), before);
  });

  it('rolls back when the health check fails and reports E_HEALTH', async () => {
    await load();
    const first = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '1.0', url: srv.url('/v1.tgz'), action: 'install' },
    ]);
    await finished(first);
    const before = treeHash(path.join(apps, 'app'));
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '3.0', url: srv.url('/broken.tgz'), action: 'install' },
    ]);
    await finished(id);
    assert.match(sim.operation(id)?.failureReason ?? '', /^E_HEALTH: health check exited with 3/);
    assert.equal(treeHash(path.join(apps, 'app')), before);
  });

  it('downloads platform binaries with the device credentials', async () => {
    await load();
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '2.0', url: srv.url('/inventory/binaries/42'), action: 'install' },
    ]);
    await finished(id);
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL', sim.operation(id)?.failureReason);
    const seen = srv.requests.find((r) => r.path === '/inventory/binaries/42');
    const expected = `Basic ${Buffer.from(`t12345/device_${DEVICE}:pw`).toString('base64')}`;
    assert.equal(seen?.headers['authorization'], expected);
  });

  it('installs firmware (515) through the firmware install type and reports it with 115', async () => {
    await load({ mode: 'static' });
    const id = sim.createOperation(DEVICE, 'c8y_Firmware', { name: 'fw', version: '7', url: srv.url('/v1.tgz') });
    await finished(id);
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL', sim.operation(id)?.failureReason);
    assert.deepEqual(sim.devices.get(DEVICE)?.firmware, { name: 'fw', version: '7', url: srv.url('/v1.tgz') });
  });

  it('fails a malformed update operation with E_INPUT', async () => {
    await load();
    const id = sim.createOperation(DEVICE, 'c8y_SoftwareUpdate', [{ name: 'app', url: srv.url('/v1.tgz'), action: 'install' }]);
    await finished(id);
    assert.match(sim.operation(id)?.failureReason ?? '', /^E_INPUT: app: a version is needed/);
  });

  it('takes a plain message, answers a second one while busy with E_BUSY, and refuses bad input', async () => {
    const slow = `${process.execPath} -e "setTimeout(() => process.exit(0), 1500)"`;
    const { sw, result } = await load({ sw: { healthCheck: slow } });
    const results: { payload: { status: string; code?: string } }[] = [];
    const two = new Promise<void>((resolve) =>
      result.on('input', (m: { payload: { status: string; code?: string } }) => {
        results.push(m);
        if (results.length === 2) resolve();
      }),
    );
    sw.receive({ payload: { name: 'tool', version: '1', url: srv.url('/v1.tgz'), sha256: sha256(v1) } });
    await statusMatching(sw, (s) => String(s['text']).startsWith('software-update.phase.health-check'), 10_000);
    sw.receive({ payload: { name: 'other', version: '1', url: srv.url('/v2.tgz') } });
    await two;
    assert.deepEqual(
      results.map((r) => r.payload.code ?? r.payload.status),
      ['E_BUSY', 'SUCCESSFUL'],
    );
    const err = nextError(sw);
    sw.receive({ payload: 'not an update' });
    assert.match(await err, /software-update\.errors\.bad-input/);
  });

  it('announces the types (143) and the installed list (140) on connect when a connection is set', async () => {
    fs.mkdirSync(path.join(apps, 'pre'), { recursive: true });
    fs.writeFileSync(path.join(apps, 'pre', '.device-agent-software.json'), JSON.stringify({ name: 'pre', version: '0.9' }));
    await load({ sw: { connection: 'conn' } });
    await sim.waitFor(() => (sim.devices.get(DEVICE)?.softwareTypes?.length ?? 0) > 0, 10_000, '143');
    assert.deepEqual(sim.devices.get(DEVICE)?.softwareTypes, ['archive', 'node-red-package']);
    await sim.waitFor(() => sim.devices.get(DEVICE)?.advancedSoftware?.some((s) => s.name === 'pre') ?? false, 10_000, '140');
  });

  it('shows a configuration error for an archive directory from an unset variable, or apt without the setting', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
    await helper.load(
      NODES,
      [
        node,
        { id: 'a', type: 'device-agent-software-update', archiveDir: '${DA_SW_TEST_NOT_SET}', wires: [[], []] },
        { id: 'b', type: 'device-agent-software-update', installType: 'apt', wires: [[], []] },
      ],
      credentials,
    );
    for (const id of ['a', 'b']) {
      // Raised during construction: read them from the spies.
      const n = helper.getNode(id)!;
      const calls = (n.status as unknown as { args: [Record<string, unknown>][] }).args;
      assert.ok(
        calls.some(([st]) => st['fill'] === 'red' && st['text'] === 'software-update.status.config'),
        id,
      );
      assert.ok((n.error as unknown as { callCount: number }).callCount >= 1, `${id}: node.error`);
    }
  });
});
