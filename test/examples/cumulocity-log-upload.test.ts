/**
 * examples/cumulocity-log-upload.json: offers its three logs (118) and uploads the journal on
 * request (journalctl replaced by a stand-in script through deviceAgentLogUpload.journalctl).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, useSettings } from '../support/red';
import { setC8yEnv } from '../support/env';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'cumulocity-log-upload.json');
const DEV = 'example-logs';
const NODES: unknown[] = [...CORE_NODES, ...ALL_NODES, require('../../nodes/log-upload')];

describe('example cumulocity-log-upload.json', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let dir: string;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    web = await SimPlatformHttp.start(sim);
    restoreEnv = setC8yEnv(sim.port, DEV, 'example-pw', { C8Y_HTTP_URL: web.url() });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-example-logs-'));
    const journalctl = path.join(dir, 'journalctl');
    fs.writeFileSync(journalctl, "#!/bin/sh\nprintf '2026-11-20T10:00:01+0000 pi node-red[9]: Started flows\\n2026-11-20T10:00:00+0000 pi node-red[9]: Starting\\n'\n", {
      mode: 0o755,
    });
    cleanup = useSettings({ deviceAgentLogUpload: { journalctl } }).cleanup;
    await helper.startServer();
    await helper.load(NODES, JSON.parse(fs.readFileSync(FILE, 'utf8')) as object[], {});
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await web.stop();
    await sim.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
    restoreEnv();
  });

  it('carries no secret in the flow file', () => {
    assert.doesNotMatch(fs.readFileSync(FILE, 'utf8'), /"(password|credentials)"\s*:/);
  });

  it('offers the journal, the Node-RED service and syslog', async () => {
    await sim.waitFor(() => (sim.devices.get(DEV)?.logTypes?.length ?? 0) > 0, 8000, '118');
    assert.deepEqual(sim.devices.get(DEV)?.logTypes, ['system', 'nodered', 'syslog']);
    assert.ok(sim.devices.get(DEV)?.supportedOperations.includes('c8y_LogfileRequest'));
  });

  it('uploads the Node-RED service log on request', async () => {
    const id = sim.createOperation(DEV, 'c8y_LogfileRequest', { logFile: 'nodered', searchText: 'flows', maximumLines: 100 });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 10_000, 'SUCCESSFUL');
    const ev = web.events[0]!;
    assert.deepEqual(sim.operation(id)?.result, [`${web.url()}/event/events/${ev.id}/binaries`]);
    assert.equal(web.binaries.get(ev.id)?.content.toString('utf8'), '2026-11-20T10:00:01+0000 pi node-red[9]: Started flows\n');
  });
});
