/**
 * The npm tarball is what users install from the palette manager: pack it, install it into a
 * fresh Node-RED user directory, start Node-RED on it and ask the admin API which node types
 * registered and whether any failed to load.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/net';

const ROOT = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { nodes: Record<string, string> };
};

function getJson(port: number, p: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers: { Accept: 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
  });
}

interface NodeSet {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

describe('npm tarball', { timeout: 240_000 }, () => {
  let work: string;
  let red: ChildProcess | undefined;
  let log = '';

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'da-tarball-'));
  });

  after(() => {
    red?.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs into a fresh user directory and registers every node type without a load error', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // --ignore-scripts: the build already ran (pretest); pack only collects files.
    const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const packed = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const info = packed[0];
    assert.ok(info, 'npm pack reported nothing');
    const files = info.files.map((f) => f.path);
    for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
      assert.ok(files.includes(js), `${js} missing from the tarball`);
      assert.ok(files.includes(js.replace(/\.js$/, '.html')), `editor html of ${type} missing`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/')), 'tests must not ship');

    const userDir = path.join(work, 'userDir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--omit=dev', path.join(work, info.filename)], {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const port = await freePort();
    const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
    red = spawn(process.execPath, [redJs, '--userDir', userDir, '--port', String(port)], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    red.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    red.stderr?.on('data', (c: Buffer) => (log += c.toString()));

    let sets: NodeSet[] | undefined;
    for (let i = 0; i < 120 && !sets; i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const v = await getJson(port, '/nodes');
        if (Array.isArray(v)) sets = v as NodeSet[];
      } catch {
        // not listening yet
      }
    }
    assert.ok(sets, `Node-RED did not answer on /nodes. Log:\n${log}`);
    const ours = sets.filter((s) => s.module === pkg.name);
    const types = ours.flatMap((s) => s.types);
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      assert.ok(types.includes(type), `${type} not registered. Log:\n${log}`);
    }
    for (const s of ours) {
      assert.equal(s.err, undefined, `${s.id} failed to load: ${s.err ?? ''}`);
      assert.equal(s.enabled, true);
    }
    assert.doesNotMatch(log, /\[error\]/i, `Node-RED logged an error:\n${log}`);
  });
});
