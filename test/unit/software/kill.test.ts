// kill -9 during an update (issue 6): a child process runs the job and is SIGKILLed after each
// journal write and at each phase; recovery in a "new process" (this one, same state directory)
// must end with the old version intact or the new one complete — never a mix — and exactly one
// final outcome.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ARCHIVE } from '../../../devices/software/archive';
import { DEFAULT_DOWNLOAD } from '../../../devices/software/download';
import { Journal, type Job } from '../../../devices/software/journal';
import { newJob, recoverJob, runJob, type UpdaterEnv } from '../../../devices/software/updater';
import { sha256, tgz, treeHash } from '../../support/archives';
import { fileServer, type FileServer } from '../../support/file-server';

const CHILD = path.join(__dirname, '..', '..', 'support', 'software-child.js');
const HEALTH = `${process.execPath} -e "process.exit(require('fs').existsSync(process.env.DA_SOFTWARE_DIR + '/ok') ? 0 : 3)"`;
// Incompressible content, so the download takes several chunks and can be cut in the middle.
const v1 = tgz([
  { name: 'ok', data: 'v1' },
  { name: 'data.bin', data: Buffer.alloc(200_000, 1) },
]);
const v2 = tgz([
  { name: 'ok', data: 'v2' },
  { name: 'data.bin', data: randomBytes(1_500_000) },
]);

interface Outcome {
  stopped: string;
  lines: string[];
}

/** Runs the child until it freezes at the stop point (then SIGKILLs it) or finishes. */
function runChild(specFile: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, specFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stopped = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not stop or finish: ${out}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^STOP (.+)$/m.exec(out);
      if (m && !stopped) {
        stopped = m[1] ?? '';
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ stopped, lines: out.trim().split('\n') });
    });
  });
}

describe('kill -9 during an update', { timeout: 300_000 }, () => {
  let srv: FileServer;
  let tmp: string;
  before(async () => {
    srv = await fileServer();
    srv.set('/v1.tgz', { body: v1, etag: '"v1"' });
    srv.set('/v2.tgz', { body: v2, etag: '"v2"' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-kill-'));
  });
  after(async () => {
    await srv.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let oldHash = '';
  let newHash = '';

  function env(stateDir: string): UpdaterEnv {
    return {
      journal: new Journal(stateDir),
      disk: () => 1024 * 1024 * 1024,
      minFreeBytes: 0,
      download: { ...DEFAULT_DOWNLOAD, allowHttp: true, retryDelaysMs: [50] },
      requireChecksum: false,
      progress: () => undefined,
      restartNodeRed: () => assert.fail('no restart'),
      now: Date.now,
    };
  }

  /** A fresh device with v1 installed, and the v2 job to run on it. */
  async function device(name: string): Promise<{ root: string; stateDir: string; job: Job }> {
    const root = path.join(tmp, name, 'apps');
    const stateDir = path.join(tmp, name, 'state');
    const handlers = { archive: { ...DEFAULT_ARCHIVE, root, healthCheck: HEALTH, minFreeBytes: 0 } };
    const mk = (id: string, url: string, body: Buffer): Job =>
      newJob(
        {
          id,
          node: 'n',
          kind: 'software',
          listMode: 'legacy',
          handlers,
          timeoutSec: 120,
          modules: [{ name: 'app', version: id, type: 'archive', action: 'install', url, sha256: sha256(body) }],
        },
        Date.now(),
      );
    const first = await runJob(mk('v1', srv.url('/v1.tgz'), v1), env(stateDir), new AbortController().signal);
    assert.equal(first.outcome?.status, 'SUCCESSFUL', first.outcome?.reason);
    new Journal(stateDir).remove(first.id);
    return { root, stateDir, job: mk('v2', srv.url('/v2.tgz'), v2) };
  }

  async function killAndRecover(
    name: string,
    stop: { stopAtWrite?: number; stopAtPhase?: string },
  ): Promise<{ child: Outcome; job: Job; root: string }> {
    const d = await device(name);
    const specFile = path.join(tmp, `${name}.json`);
    fs.writeFileSync(specFile, JSON.stringify({ stateDir: d.stateDir, job: d.job, ...stop }));
    const child = await runChild(specFile);
    const journal = new Journal(d.stateDir);
    const left = journal.all();
    assert.equal(left.length, 1, `one job in the journal after ${child.stopped || 'the end'}`);
    const job = await recoverJob(left[0] as Job, env(d.stateDir), new AbortController().signal);
    return { child, job, root: path.join(d.root, 'app') };
  }

  it('runs to the end when not killed (reference: the writes and phases a job goes through)', async () => {
    const d = await device('reference');
    oldHash = treeHash(path.join(d.root, 'app'));
    const specFile = path.join(tmp, 'reference.json');
    fs.writeFileSync(specFile, JSON.stringify({ stateDir: d.stateDir, job: d.job }));
    const child = await runChild(specFile);
    assert.equal(child.lines.at(-1), 'DONE SUCCESSFUL', child.lines.join('\n'));
    newHash = treeHash(path.join(d.root, 'app'));
    assert.notEqual(newHash, oldHash);
    const writes = child.lines.filter((l) => l.startsWith('W ')).length;
    assert.ok(writes >= 8, `${writes} journal writes`);
    // Kill after every single journal write.
    const seen = new Set<string>();
    for (let n = 1; n <= writes; n += 1) {
      const r = await killAndRecover(`w${n}`, { stopAtWrite: n });
      assert.equal(r.child.stopped, `write ${n}`);
      const status = r.job.outcome?.status;
      assert.ok(status === 'SUCCESSFUL' || status === 'FAILED', `final outcome after write ${n}`);
      const live = treeHash(r.root);
      seen.add(`${r.job.outcome?.code ?? status}`);
      if (status === 'SUCCESSFUL') assert.equal(live, newHash, `new version complete after write ${n}`);
      else {
        assert.equal(live, oldHash, `old version intact after write ${n}`);
        assert.match(r.job.outcome?.reason ?? '', /^E_INTERRUPTED: /);
      }
    }
    // Early kills resume the download and finish; kills during the install roll back.
    assert.deepEqual([...seen].sort(), ['E_INTERRUPTED', 'SUCCESSFUL']);
  });

  for (const phase of ['downloading-bytes', 'verifying', 'staging', 'swap', 'health-check']) {
    it(`ends in the old or the new version when killed at "${phase}"`, async () => {
      const r = await killAndRecover(`p-${phase}`, { stopAtPhase: phase });
      assert.equal(r.child.stopped, phase);
      const live = treeHash(r.root);
      if (phase === 'downloading-bytes') {
        // Nothing live changed yet: the download resumes and the update completes.
        assert.equal(r.job.outcome?.status, 'SUCCESSFUL', r.job.outcome?.reason);
        assert.equal(live, newHash);
      } else if (r.job.outcome?.status === 'SUCCESSFUL') {
        assert.equal(live, newHash);
      } else {
        assert.equal(r.job.outcome?.code, 'E_INTERRUPTED', r.job.outcome?.reason);
        assert.equal(live, oldHash);
      }
    });
  }
});
