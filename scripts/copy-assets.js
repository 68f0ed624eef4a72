#!/usr/bin/env node
// Copies what tsc does not emit next to the built JS: each node's editor .html, icons/ and locales/.
// Node-RED looks for icons/ and locales/ beside the node's .js file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const top = path.join(__dirname, '..');
const out = path.join(top, 'dist', 'nodes');
fs.mkdirSync(out, { recursive: true });
for (const name of fs.readdirSync(path.join(top, 'nodes'))) {
  if (name.endsWith('.html')) fs.copyFileSync(path.join(top, 'nodes', name), path.join(out, name));
}
for (const dir of ['icons', 'locales']) {
  const src = path.join(top, dir);
  if (fs.existsSync(src)) fs.cpSync(src, path.join(out, dir), { recursive: true });
}
