/**
 * Issue 6 fault test through the whole stack: Node-RED (a separate process) installs an archive
 * from a c8y_SoftwareUpdate operation and is killed with SIGKILL while the new version's health
 * check runs; started again on the same user directory it rolls back from its journal — the old
 * version is intact byte for byte — and the platform gets exactly one final status for the
 * operation (FAILED, E_INTERRUPTED), not the "Agent restarted" of a stale operation.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { tgz, treeHash } from '../support/archives';
import { fileServer, type FileServer } from '../support/file-server';
import { redProcess, type RedProcess } from '../support/red-process';

const DEV = 'rpi-sw-kill';

describe('software update across kill -9', { timeout: 180_000 }, () => {
  let sim: CumulocitySimulator;
  let srv: FileServer;
  let red: RedProcess;
  let tmp: string;
  let apps: string;
  let marker: string;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'kill-pw');
    srv = await fileServer();
    srv.set('/v1.tgz', { body: tgz([{ name: 'app.txt', data: 'version 1' }]) });
    srv.set('/v2.tgz', { body: tgz([{ name: 'app.txt', data: 'version 2' }]) });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-swkill-'));
    apps = path.join(tmp, 'apps');
    marker = path.join(tmp, 'health-check-running');
    // Version 2's health check announces itself (with its pid) and then hangs: the test kills Node-RED meanwhile.
    const check = `const fs=require('fs');if(process.env.DA_SOFTWARE_VERSION==='2.0'){fs.writeFileSync('${marker}',String(process.pid));setTimeout(()=>{},120000);}`;
    const flows = [
      { id: 't', type: 'tab', label: 'software' },
      {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'cumulocity',
        host: '127.0.0.1',
        port: String(sim.port),
        protocol: 'mqtt',
        tenant: 't12345',
        deviceId: DEV,
        authMode: 'basic',
        credentialsFrom: 'env',
        userEnv: 'T_USER',
        passwordEnv: 'T_PASSWORD',
        operationMode: 'id',
      },
      {
        id: 'op',
        type: 'device-agent-operation',
        z: 't',
        connection: 'conn',
        fragments: 'c8y_SoftwareUpdate',
        timeout: '60',
        wires: [['sw']],
      },
      {
        id: 'sw',
        type: 'device-agent-software-update',
        z: 't',
        archiveDir: apps,
        healthCheck: `${process.execPath} -e "${check}"`,
        allowHttp: true,
        wires: [[], []],
      },
    ];
    red = await redProcess(flows, {
      deviceAgentBackoff: { initialMs: 100, maxMs: 1000, stableMs: 60_000 },
      deviceAgentSoftwareUpdate: { minFreeBytes: 0 },
    });
  });

  after(async () => {
    await red.dispose();
    await sim.stop();
    await srv.close();
    // The orphaned health check of the killed Node-RED.
    try {
      process.kill(Number(fs.readFileSync(marker, 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function final(id: string, what: string): Promise<void> {
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 60_000, `${what}\n${red.log()}`);
  }

  it('rolls back after SIGKILL during the install and reports exactly one final status', async () => {
    const env = { T_USER: `device_${DEV}`, T_PASSWORD: 'kill-pw' };
    red.start(env);
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_SoftwareUpdate') ?? false, 60_000, `114\n${red.log()}`);
    const first = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '1.0', url: srv.url('/v1.tgz'), action: 'install' },
    ]);
    await final(first, 'version 1 installed');
    assert.equal(sim.operation(first)?.status, 'SUCCESSFUL', sim.operation(first)?.failureReason);
    const before = treeHash(path.join(apps, 'app'));

    const second = sim.createOperation(DEV, 'c8y_SoftwareUpdate', [
      { name: 'app', version: '2.0', url: srv.url('/v2.tgz'), action: 'install' },
    ]);
    for (let i = 0; i < 400 && !fs.existsSync(marker); i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(marker), `the health check of version 2 started\n${red.log()}`);
    assert.equal(fs.readFileSync(path.join(apps, 'app', 'app.txt'), 'utf8'), 'version 2', 'killed while version 2 is switched in');
    await red.kill();

    red.start(env);
    await final(second, 'a final status after the restart');
    const op = sim.operation(second);
    assert.equal(op?.status, 'FAILED');
    assert.match(op?.failureReason ?? '', /^E_INTERRUPTED: /);
    assert.deepEqual(op?.history, ['PENDING', 'EXECUTING', 'FAILED'], 'exactly one final status');
    assert.equal(treeHash(path.join(apps, 'app')), before, 'version 1 intact byte for byte');
    assert.deepEqual(fs.readdirSync(path.join(red.dir, 'device-agent', 'software', 'jobs')), [], 'journal settled');
  });
});
