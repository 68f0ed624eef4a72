// The node-red-package install type with the real npm, offline: packages are tarballs the test
// builds and serves on 127.0.0.1; the Node-RED user directory is a temp dir.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_DOWNLOAD } from '../../../devices/software/download';
import type { ModuleRequest } from '../../../devices/software/interface';
import { Journal, type Job } from '../../../devices/software/journal';
import type { NodeRedPackageSettings } from '../../../devices/software/node-red-package';
import { newJob, recoverJob, runJob, type UpdaterEnv } from '../../../devices/software/updater';
import { sha256, tgz, treeHash } from '../../support/archives';
import { fileServer, type FileServer } from '../../support/file-server';

const NAME = 'node-red-contrib-da-test';

/** An npm tarball (`package/…`) of a Node-RED node package. */
function npmPackage(
  version: string,
  opts: { name?: string; nodeRed?: boolean; code?: string; scripts?: Record<string, string> } = {},
): Buffer {
  const pkg: Record<string, unknown> = { name: opts.name ?? NAME, version, main: 'node.js' };
  if (opts.nodeRed !== false) pkg['node-red'] = { nodes: { 'da-test': 'node.js' } };
  if (opts.scripts) pkg['scripts'] = opts.scripts;
  return tgz([
    { name: 'package/package.json', data: JSON.stringify(pkg) },
    { name: 'package/node.js', data: opts.code ?? `module.exports = function (RED) { /* v${version} */ };` },
  ]);
}

describe('node-red-package install type (npm)', { timeout: 180_000 }, () => {
  let srv: FileServer;
  let tmp: string;
  let userDir: string;
  let restarts: number;
  before(async () => {
    srv = await fileServer();
  });
  after(async () => srv.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-npm-'));
    userDir = path.join(tmp, 'user');
    // A user directory with another package already installed: it must survive every update.
    fs.mkdirSync(path.join(userDir, 'node_modules', 'other'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'node_modules', 'other', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
    fs.writeFileSync(
      path.join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', private: true, dependencies: { other: '1.0.0' } }),
    );
    restarts = 0;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function env(): UpdaterEnv {
    return {
      journal: new Journal(path.join(tmp, 'state')),
      disk: () => 1024 * 1024 * 1024,
      minFreeBytes: 0,
      download: { ...DEFAULT_DOWNLOAD, allowHttp: true, retryDelaysMs: [20] },
      requireChecksum: false,
      progress: () => undefined,
      restartNodeRed: () => {
        restarts += 1;
      },
      now: Date.now,
    };
  }

  function job(modules: ModuleRequest[], restart: 'ask' | 'perform' = 'ask'): Job {
    const nodeRed: NodeRedPackageSettings = { userDir, npm: ['npm'], restart, timeoutSec: 120, minFreeBytes: 0 };
    return newJob(
      { id: `j${Date.now()}`, node: 'n', kind: 'software', listMode: 'advanced', modules, handlers: { nodeRed }, timeoutSec: 300 },
      Date.now(),
    );
  }

  function install(version: string, body: Buffer, restart: 'ask' | 'perform' = 'ask'): Promise<Job> {
    const p = `/${NAME}-${version}-${sha256(body).slice(0, 6)}.tgz`;
    srv.set(p, { body });
    const m: ModuleRequest = { name: NAME, version, type: 'node-red-package', action: 'install', url: srv.url(p), sha256: sha256(body) };
    return runJob(job([m], restart), env(), new AbortController().signal);
  }

  const deps = (): Record<string, string> =>
    (JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;

  it('installs the verified tarball at its pinned version, keeps the other packages, and asks for a restart', async () => {
    const j = await install('1.0.0', npmPackage('1.0.0'));
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.equal(j.outcome?.restartRequired, true);
    assert.deepEqual(deps(), { other: '1.0.0', [NAME]: '1.0.0' }, 'pinned, no file: reference');
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', 'other', 'package.json')));
    assert.deepEqual(
      j.outcome?.installed.map((i) => `${i.name}@${i.version}:${i.type}`),
      [`${NAME}@1.0.0:node-red-package`, 'other@1.0.0:node-red-package'],
    );
    assert.ok(!fs.existsSync(path.join(userDir, '.device-agent-software', j.id)), 'staging and backup removed');
  });

  it('does not run lifecycle scripts of the package', async () => {
    const marker = path.join(tmp, 'script-ran');
    const scripts = {
      preinstall: `node -e "require('fs').writeFileSync('${marker}', '1')"`,
      postinstall: `node -e "require('fs').writeFileSync('${marker}', '1')"`,
    };
    const j = await install('1.0.0', npmPackage('1.0.0', { scripts }));
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.ok(!fs.existsSync(marker), 'install scripts must not run');
  });

  for (const [what, body, match] of [
    ['a tarball of another version', npmPackage('1.0.1'), /is node-red-contrib-da-test@1\.0\.1, not .*@1\.0\.0/],
    ['a package without a node-red section', npmPackage('1.0.0', { nodeRed: false }), /not a Node-RED node package/],
    ['a node file that does not load', npmPackage('1.0.0', { code: "require('no-such-module-anywhere');" }), /does not load/],
  ] as const) {
    it(`refuses ${what} and leaves the user directory byte for byte`, async () => {
      const before = treeHash(userDir);
      const j = await install('1.0.0', body);
      assert.equal(j.outcome?.code, 'E_INSTALL', j.outcome?.reason);
      assert.match(j.outcome?.reason ?? '', match);
      assert.equal(treeHash(userDir), before);
    });
  }

  it('removes a package (delete action)', async () => {
    await install('1.0.0', npmPackage('1.0.0'));
    const m: ModuleRequest = { name: NAME, version: '', type: 'node-red-package', action: 'delete' };
    const j = await runJob(job([m]), env(), new AbortController().signal);
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.deepEqual(deps(), { other: '1.0.0' });
    assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', NAME)));
  });

  it('restart "perform": restarts Node-RED, verifies after the restart, then commits', async () => {
    await install('1.0.0', npmPackage('1.0.0'));
    const j = await install('2.0.0', npmPackage('2.0.0'), 'perform');
    assert.equal(j.phase, 'restarting');
    assert.equal(restarts, 1);
    assert.equal(j.outcome, undefined, 'no outcome before the restart');
    const stored = env().journal.load(j.id);
    assert.ok(stored);
    const done = await recoverJob(stored, env(), new AbortController().signal); // the next process
    assert.equal(done.outcome?.status, 'SUCCESSFUL', done.outcome?.reason);
    assert.equal(done.outcome?.restartRequired, undefined);
    assert.equal(deps()[NAME], '2.0.0');
    assert.equal(restarts, 1);
  });

  it('restart "perform": rolls back and restarts again when the package fails after the restart', async () => {
    await install('1.0.0', npmPackage('1.0.0'));
    const before = treeHash(userDir);
    const j = await install('2.0.0', npmPackage('2.0.0'), 'perform');
    // What fails after the restart: the new node file throws when loaded.
    fs.writeFileSync(path.join(userDir, 'node_modules', NAME, 'node.js'), "throw new Error('broken after restart');");
    const stored = env().journal.load(j.id);
    assert.ok(stored);
    const done = await recoverJob(stored, env(), new AbortController().signal);
    assert.equal(done.outcome?.code, 'E_HEALTH', done.outcome?.reason);
    assert.equal(treeHash(userDir), before, 'version 1.0.0 restored byte for byte');
    assert.equal(restarts, 2, 'restarted again to load the restored version');
  });
});
