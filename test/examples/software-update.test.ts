/**
 * examples/software-update.json as shipped (only plain http allowed, for the local download
 * server), configured by environment variables, against the simulator; archives go to `apps/`
 * in the user directory: a 528 operation installs
 * an archive and the installed list comes back.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { tgz } from '../support/archives';
import { CORE_NODES } from '../support/core-nodes';
import { fileServer, type FileServer } from '../support/file-server';
import { ALL_NODES, helper, useSettings } from '../support/red';
import { setC8yEnv } from '../support/env';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'software-update.json');
const DEV = 'example-sw';

describe('example software-update.json', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let srv: FileServer;
  let settings: { dataDir: string; cleanup: () => void };
  let userDir: string;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    srv = await fileServer();
    srv.set('/hello-1.0.tgz', { body: tgz([{ name: 'hello.sh', data: 'echo hello\n', mode: 0o755 }]) });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-sw-example-'));
    settings = useSettings({ userDir, deviceAgentSoftwareUpdate: { minFreeBytes: 0 } });
    restoreEnv = setC8yEnv(sim.port, DEV, 'example-pw');
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'device-agent-software-update') n['allowHttp'] = true;
    await helper.load([...CORE_NODES, ...ALL_NODES, require('../../nodes/software-update')], flow, {});
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim.stop();
    await srv.close();
    settings.cleanup();
    fs.rmSync(userDir, { recursive: true, force: true });
    restoreEnv();
  });

  it('carries no secret and declares the software operations and types', async () => {
    assert.doesNotMatch(fs.readFileSync(FILE, 'utf8'), /"(password|credentials)"\s*:/);
    await sim.waitFor(() => (sim.devices.get(DEV)?.softwareTypes?.length ?? 0) > 0, 10_000, '143');
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations.slice().sort(), ['c8y_Firmware', 'c8y_SoftwareUpdate']);
    assert.deepEqual(sim.devices.get(DEV)?.softwareTypes, ['archive', 'node-red-package']);
  });

  it('installs an archive from a c8y_SoftwareUpdate operation and reports the installed list', async () => {
    const id = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [{ name: 'hello', version: '1.0', url: srv.url('/hello-1.0.tgz'), action: 'install' }]);
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 20_000, 'final status');
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL', sim.operation(id)?.failureReason);
    assert.deepEqual(sim.devices.get(DEV)?.software, [{ name: 'hello', version: '1.0', url: srv.url('/hello-1.0.tgz') }]);
    assert.equal(fs.readFileSync(path.join(userDir, 'apps', 'hello', 'hello.sh'), 'utf8'), 'echo hello\n');
  });
});
