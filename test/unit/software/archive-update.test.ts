// Update jobs with the archive install type (devices/software/updater.ts + archive.ts), against a
// download server on 127.0.0.1: every fault of issue 6 leaves the live version byte for byte.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_ARCHIVE } from '../../../devices/software/archive';
import { DEFAULT_DOWNLOAD } from '../../../devices/software/download';
import type { ModuleRequest } from '../../../devices/software/interface';
import { acquireLock, Journal, type Job } from '../../../devices/software/journal';
import { newJob, runJob, type UpdaterEnv } from '../../../devices/software/updater';
import { listTree, sha256, tgz, treeHash, zip } from '../../support/archives';
import { fileServer, type FileServer } from '../../support/file-server';

const NODE = process.execPath;
/** A health check that passes when the installed directory holds `ok`. */
const HEALTH = `${NODE} -e "process.exit(require('fs').existsSync(process.env.DA_SOFTWARE_DIR + '/ok') ? 0 : 3)"`;

describe('archive updates', { timeout: 60_000 }, () => {
  let srv: FileServer;
  let tmp: string;
  let root: string;
  let stateDir: string;
  let phases: string[];
  before(async () => {
    srv = await fileServer();
  });
  after(async () => srv.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-upd-'));
    root = path.join(tmp, 'apps');
    stateDir = path.join(tmp, 'state');
    phases = [];
    srv.requests.length = 0;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function env(over: Partial<UpdaterEnv> = {}): UpdaterEnv {
    return {
      journal: new Journal(stateDir),
      disk: () => 1024 * 1024 * 1024,
      minFreeBytes: 0,
      download: { ...DEFAULT_DOWNLOAD, allowHttp: true, retryDelaysMs: [20] },
      requireChecksum: false,
      progress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
      restartNodeRed: () => assert.fail('no restart expected'),
      now: Date.now,
      ...over,
    };
  }

  function job(modules: ModuleRequest[], healthCheck?: string, timeoutSec = 60): Job {
    const archive = { ...DEFAULT_ARCHIVE, root, healthCheck, minFreeBytes: 0 };
    return newJob(
      { id: `j${Date.now()}`, node: 'n1', kind: 'software', listMode: 'legacy', modules, handlers: { archive }, timeoutSec },
      Date.now(),
    );
  }

  function serve(p: string, body: Buffer): string {
    srv.set(p, { body, etag: `"${sha256(body).slice(0, 8)}"` });
    return srv.url(p);
  }

  const v1 = tgz([
    { name: 'ok', data: 'yes' },
    { name: 'bin/app.sh', data: 'echo v1\n', mode: 0o755 },
  ]);
  const v2 = tgz([
    { name: 'ok', data: 'yes' },
    { name: 'bin/app.sh', data: 'echo v2\n', mode: 0o755 },
  ]);
  const v2bad = tgz([{ name: 'bin/app.sh', data: 'echo broken\n' }]);

  async function install(name: string, body: Buffer, version: string, health?: string): Promise<Job> {
    const url = serve(`/${name}-${version}.tgz`, body);
    return runJob(
      job([{ name, version, type: 'archive', action: 'install', url, sha256: sha256(body) }], health),
      env(),
      new AbortController().signal,
    );
  }

  it('installs an archive and lists it; nothing staged or downloaded is left', async () => {
    const j = await install('app', v1, '1.0', HEALTH);
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.deepEqual(j.outcome?.installed, [{ name: 'app', version: '1.0', type: 'archive', url: srv.url('/app-1.0.tgz') }]);
    assert.equal(fs.readFileSync(path.join(root, 'app/bin/app.sh'), 'utf8'), 'echo v1\n');
    assert.deepEqual(
      listTree(path.join(root, '.device-agent')).filter((p) => !/^(staging|backup|trash)$/.test(p)),
      [],
    );
    assert.ok(!fs.existsSync(path.join(stateDir, 'downloads', j.id)));
    assert.deepEqual(phases, ['downloading', 'verifying', 'installing', 'staging', 'swap', 'health-check', 'done']);
  });

  it('upgrades when the health check passes', async () => {
    await install('app', v1, '1.0', HEALTH);
    const j = await install('app', v2, '2.0', HEALTH);
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.equal(fs.readFileSync(path.join(root, 'app/bin/app.sh'), 'utf8'), 'echo v2\n');
    assert.equal(j.outcome?.installed[0]?.version, '2.0');
  });

  it('rolls back byte for byte when the health check fails', async () => {
    await install('app', v1, '1.0', HEALTH);
    const before = treeHash(path.join(root, 'app'));
    const j = await install('app', v2bad, '2.0', HEALTH);
    assert.equal(j.outcome?.status, 'FAILED');
    assert.equal(j.outcome?.code, 'E_HEALTH');
    assert.match(j.outcome?.reason ?? '', /^E_HEALTH: health check exited with 3/);
    assert.equal(treeHash(path.join(root, 'app')), before);
    assert.equal(j.outcome?.installed[0]?.version, '1.0');
    assert.ok(phases.includes('rolling-back'));
  });

  it('refuses a wrong checksum: nothing extracted, live untouched, download deleted', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(root);
    const url = serve('/app-2.tgz', v2);
    const j = await runJob(
      job([{ name: 'app', version: '2.0', type: 'archive', action: 'install', url, sha256: '0'.repeat(64) }]),
      env(),
      new AbortController().signal,
    );
    assert.equal(j.outcome?.code, 'E_CHECKSUM');
    assert.equal(treeHash(root), before);
    assert.ok(!fs.existsSync(path.join(stateDir, 'downloads', j.id)), 'download deleted');
  });

  it('fails a truncated download that cannot be resumed and a 404 with E_DOWNLOAD, live untouched', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(root);
    srv.set('/cut.tgz', { body: v2, truncate: { after: 100, times: 10 } });
    const modules = (url: string): ModuleRequest[] => [{ name: 'app', version: '2.0', type: 'archive', action: 'install', url }];
    const cut = await runJob(job(modules(srv.url('/cut.tgz'))), env(), new AbortController().signal);
    assert.equal(cut.outcome?.code, 'E_DOWNLOAD');
    const gone = await runJob(job(modules(srv.url('/nothing.tgz'))), env(), new AbortController().signal);
    assert.match(gone.outcome?.reason ?? '', /^E_DOWNLOAD: HTTP 404/);
    assert.equal(treeHash(root), before);
  });

  it('fails with E_DISK when the target has no room (size limit on the target), live untouched, staging removed', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(root);
    const big = tgz([{ name: 'blob', data: Buffer.alloc(3 * 1024 * 1024, 9) }]);
    const url = serve('/big.tgz', big);
    const small = (dir: string): number => (dir.startsWith(root) ? 1024 * 1024 : 1024 * 1024 * 1024);
    const j = await runJob(
      job([{ name: 'app', version: '3.0', type: 'archive', action: 'install', url }]),
      env({ disk: small }),
      new AbortController().signal,
    );
    assert.equal(j.outcome?.code, 'E_DISK', j.outcome?.reason);
    assert.equal(treeHash(root), before);
    assert.deepEqual(listTree(path.join(root, '.device-agent', 'staging')), []);
  });

  it('refuses a hostile archive (zip-slip) with E_ARCHIVE and writes nothing outside', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(tmp.replace(/$/, '/apps'));
    const url = serve('/evil.zip', zip([{ name: '../../escaped.txt', data: 'x' }]));
    const j = await runJob(
      job([{ name: 'app', version: '6.6', type: 'archive', action: 'install', url }]),
      env(),
      new AbortController().signal,
    );
    assert.equal(j.outcome?.code, 'E_ARCHIVE');
    assert.equal(treeHash(root), before);
    assert.ok(!listTree(tmp).some((p) => p.endsWith('escaped.txt')));
  });

  it('rolls back every module of a multi-module update when a later one fails', async () => {
    await install('a', v1, '1.0');
    await install('b', v1, '1.0');
    const before = treeHash(root);
    const ua = serve('/a2.tgz', v2);
    const ub = serve('/b2.tgz', v2bad);
    const j = await runJob(
      job(
        [
          { name: 'a', version: '2.0', type: 'archive', action: 'install', url: ua },
          { name: 'b', version: '2.0', type: 'archive', action: 'install', url: ub },
        ],
        HEALTH,
      ),
      env(),
      new AbortController().signal,
    );
    assert.equal(j.outcome?.code, 'E_HEALTH');
    assert.deepEqual(
      j.modules.map((m) => m.state),
      ['rolled-back', 'rolled-back'],
    );
    assert.equal(treeHash(root), before);
  });

  it('deletes an archive, and restores it when the health check after the delete fails', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(root);
    const del = (health?: string): Job => job([{ name: 'app', version: '', type: 'archive', action: 'delete' }], health);
    const failing = await runJob(del(`${NODE} -e "process.exit(1)"`), env(), new AbortController().signal);
    assert.equal(failing.outcome?.code, 'E_HEALTH');
    assert.equal(treeHash(root), before);
    const j = await runJob(del(), env(), new AbortController().signal);
    assert.equal(j.outcome?.status, 'SUCCESSFUL');
    assert.ok(!fs.existsSync(path.join(root, 'app')));
    assert.deepEqual(j.outcome?.installed, []);
  });

  it('refuses an install type that is off before downloading anything', async () => {
    const j = await runJob(job([{ name: 'x', version: '1', type: 'apt', action: 'install' }]), env(), new AbortController().signal);
    assert.equal(j.outcome?.code, 'E_UNSUPPORTED');
    assert.match(j.outcome?.reason ?? '', /"apt" is off or unknown \(on here: archive\)/);
    assert.equal(srv.requests.length, 0);
  });

  it('checks an Ed25519 signature over the SHA-256 when a public key is set', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const url = serve('/signed.tgz', v1);
    const sig = sign(null, createHash('sha256').update(v1).digest(), privateKey).toString('base64');
    const mod = (signature?: string): ModuleRequest[] => [
      { name: 'app', version: '1.0', type: 'archive', action: 'install', url, signature },
    ];
    const bad = await runJob(job(mod()), env({ publicKey }), new AbortController().signal);
    assert.equal(bad.outcome?.code, 'E_SIGNATURE');
    assert.ok(!fs.existsSync(path.join(root, 'app')), 'nothing installed from an unsigned package');
    const good = await runJob(job(mod(sig)), env({ publicKey }), new AbortController().signal);
    assert.equal(good.outcome?.status, 'SUCCESSFUL', good.outcome?.reason);
  });

  it('aborts at the deadline and rolls back (E_TIMEOUT)', async () => {
    await install('app', v1, '1.0');
    const before = treeHash(root);
    const url = serve('/slow.tgz', v2);
    const ctl = new AbortController();
    const p = runJob(
      job([{ name: 'app', version: '2.0', type: 'archive', action: 'install', url }], `${NODE} -e "setTimeout(() => {}, 20000)"`),
      env({
        progress: (pr) => {
          if (pr.phase === 'health-check') setTimeout(() => ctl.abort(), 100);
        },
      }),
      ctl.signal,
    );
    const j = await p;
    assert.equal(j.outcome?.code, 'E_TIMEOUT', j.outcome?.reason);
    assert.equal(treeHash(root), before);
  });

  it('never runs two installs at once (lock), and takes over a stale lock', () => {
    const a = acquireLock(stateDir, 'a');
    assert.ok(a);
    assert.equal(acquireLock(stateDir, 'b'), undefined, 'busy');
    a.release();
    fs.writeFileSync(path.join(stateDir, 'update.lock'), JSON.stringify({ pid: 999_999_999, since: Date.now() }));
    const c = acquireLock(stateDir, 'c');
    assert.ok(c, 'a lock of a dead process is stale');
    c.release();
  });
});
