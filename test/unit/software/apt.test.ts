// The apt install type against stand-ins for apt-get, dpkg and dpkg-query (small scripts the test
// writes, keeping the "installed" packages in a JSON file): argv, simulation first, version check,
// rollback to the previous version, and the failure when that version is gone.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_APT, type AptSettings } from '../../../devices/software/apt';
import { DEFAULT_DOWNLOAD } from '../../../devices/software/download';
import type { ModuleRequest } from '../../../devices/software/interface';
import { Journal, type Job } from '../../../devices/software/journal';
import { newJob, runJob, type UpdaterEnv } from '../../../devices/software/updater';
import { fileServer, type FileServer } from '../../support/file-server';

interface AptState {
  installed: Record<string, string>;
  available: Record<string, string[]>;
  /** The next real install puts this version instead of the asked one (a misbehaving repo). */
  sneak?: string;
  calls: string[];
}

const FAKE = `
const fs = require('fs');
const file = process.env.FAKE_APT_STATE || __dirname + '/state.json';
const st = JSON.parse(fs.readFileSync(file, 'utf8'));
const tool = require('path').basename(process.argv[1]);
const args = process.argv.slice(2);
st.calls.push(tool + ' ' + args.join(' '));
const save = () => fs.writeFileSync(file, JSON.stringify(st));
if (tool === 'dpkg-query') {
  const name = args[3];
  const out = (n) => st.installed[n] + '\\tii ';
  if (name) { save(); if (!st.installed[name]) process.exit(1); process.stdout.write(out(name)); process.exit(0); }
  save();
  process.stdout.write(Object.keys(st.installed).map((n) => n + '\\t' + st.installed[n] + '\\tii \\n').join(''));
  process.exit(0);
}
if (tool === 'dpkg') { save(); process.exit(0); }
const sim = args.includes('-s');
const i = args.findIndex((a) => a === 'install' || a === 'remove');
const verb = args[i]; const target = args[i + 1];
if (verb === 'remove') { if (!sim) delete st.installed[target]; save(); process.exit(0); }
let name, version;
if (target.endsWith('.deb')) { ({ name, version } = JSON.parse(fs.readFileSync(target, 'utf8'))); }
else { [name, version] = target.split('='); if (!(st.available[name] || []).includes(version)) { save(); console.error("E: Version '" + version + "' for '" + name + "' was not found"); process.exit(100); } }
if (!sim) { st.installed[name] = st.sneak || version; delete st.sneak; }
save();
process.exit(0);
`;

describe('apt install type (stand-in apt-get)', { timeout: 60_000 }, () => {
  let srv: FileServer;
  let tmp: string;
  let stateFile: string;
  let settings: AptSettings;
  before(async () => {
    srv = await fileServer();
  });
  after(async () => srv.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-apt-'));
    stateFile = path.join(tmp, 'state.json');
    for (const tool of ['apt-get', 'dpkg', 'dpkg-query']) {
      fs.writeFileSync(path.join(tmp, tool), `#!${process.execPath}\n${FAKE}`, { mode: 0o755 });
    }
    write({ installed: { curl: '7.88.1-10', tool: '1.0-1' }, available: { tool: ['1.0-1', '2.0-1'], curl: ['7.88.1-10'] }, calls: [] });
    settings = {
      ...DEFAULT_APT,
      sudo: [],
      aptGet: path.join(tmp, 'apt-get'),
      dpkg: path.join(tmp, 'dpkg'),
      dpkgQuery: path.join(tmp, 'dpkg-query'),
    };
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (s: AptState): void => fs.writeFileSync(stateFile, JSON.stringify(s));
  const read = (): AptState => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as AptState;

  function env(): UpdaterEnv {
    return {
      journal: new Journal(path.join(tmp, 'sw')),
      disk: () => 1024 * 1024 * 1024,
      minFreeBytes: 0,
      download: { ...DEFAULT_DOWNLOAD, allowHttp: true, retryDelaysMs: [] },
      requireChecksum: false,
      progress: () => undefined,
      restartNodeRed: () => assert.fail('apt never restarts Node-RED'),
      now: Date.now,
    };
  }

  function run(modules: ModuleRequest[]): Promise<Job> {
    const job = newJob(
      { id: `a${Date.now()}`, node: 'n', kind: 'software', listMode: 'advanced', modules, handlers: { apt: settings }, timeoutSec: 60 },
      Date.now(),
    );
    return runJob(job, env(), new AbortController().signal);
  }

  it('installs a pinned version: simulated first, then for real, and lists the installed packages', async () => {
    const j = await run([{ name: 'tool', version: '2.0-1', type: 'apt', action: 'install' }]);
    assert.equal(j.outcome?.status, 'SUCCESSFUL', j.outcome?.reason);
    assert.equal(read().installed['tool'], '2.0-1');
    const calls = read().calls.filter((c) => c.startsWith('apt-get'));
    assert.equal(calls.length, 2);
    assert.match(
      calls[0] ?? '',
      /-y --no-install-recommends -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=300 -s install tool=2\.0-1$/,
    );
    assert.ok(!calls[1]?.includes(' -s '), 'the second call is for real');
    assert.deepEqual(
      j.outcome?.installed.map((i) => `${i.name}=${i.version}`),
      ['curl=7.88.1-10', 'tool=2.0-1'],
    );
  });

  it('fails when the simulation fails, without changing anything', async () => {
    const j = await run([{ name: 'tool', version: '9.9', type: 'apt', action: 'install' }]);
    assert.equal(j.outcome?.code, 'E_INSTALL');
    assert.match(j.outcome?.reason ?? '', /simulated.*was not found/);
    assert.equal(read().installed['tool'], '1.0-1');
    assert.ok(!read().calls.some((c) => c.startsWith('apt-get') && !c.includes(' -s ')));
  });

  it('rolls back to the previous version when the installed version is not the one asked for', async () => {
    write({ ...read(), sneak: '1.5-1' });
    const j = await run([{ name: 'tool', version: '2.0-1', type: 'apt', action: 'install' }]);
    assert.equal(j.outcome?.code, 'E_INSTALL');
    assert.match(j.outcome?.reason ?? '', /at 1\.5-1 after the install, not 2\.0-1/);
    assert.equal(read().installed['tool'], '1.0-1', 'previous version reinstalled');
    assert.ok(read().calls.some((c) => c.startsWith('dpkg --configure -a')));
  });

  it('reports E_ROLLBACK when the previous version is no longer available', async () => {
    write({ ...read(), sneak: '1.5-1', available: { tool: ['2.0-1'] } });
    const j = await run([{ name: 'tool', version: '2.0-1', type: 'apt', action: 'install' }]);
    assert.equal(j.outcome?.code, 'E_ROLLBACK');
    assert.match(j.outcome?.reason ?? '', /reinstall tool=1\.0-1 \(only possible while that version is in a repository/);
  });

  it('removes a package, and installs a verified .deb from a URL', async () => {
    const del = await run([{ name: 'curl', version: '', type: 'apt', action: 'delete' }]);
    assert.equal(del.outcome?.status, 'SUCCESSFUL', del.outcome?.reason);
    assert.equal(read().installed['curl'], undefined);
    srv.set('/pkg.deb', { body: Buffer.from(JSON.stringify({ name: 'newpkg', version: '3.0' })) });
    const deb = await run([{ name: 'newpkg', version: '3.0', type: 'apt', action: 'install', url: srv.url('/pkg.deb') }]);
    assert.equal(deb.outcome?.status, 'SUCCESSFUL', deb.outcome?.reason);
    assert.equal(read().installed['newpkg'], '3.0');
  });

  it('refuses names and versions that are not Debian ones', async () => {
    const j = await run([{ name: '-oAPT::x=1', version: '1', type: 'apt', action: 'install' }]);
    assert.equal(j.outcome?.code, 'E_INPUT');
    const v = await run([{ name: 'tool', version: '1;reboot', type: 'apt', action: 'install' }]);
    assert.equal(v.outcome?.code, 'E_INPUT');
    assert.equal(read().calls.filter((c) => c.startsWith('apt-get')).length, 0);
  });
});
