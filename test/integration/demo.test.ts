/**
 * `npm start` as a user sees it: Node-RED with the example flow against the simulated
 * platform. Runs the built demo script in a child process and reads what it prints.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/net';

function get(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('npm start demo', { timeout: 90_000 }, () => {
  it('serves the editor on loopback and completes the platform round trips', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-demo-'));
    const port = await freePort();
    const consolePort = await freePort();
    const script = path.join(__dirname, '..', '..', 'scripts', 'demo.js');
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, PORT: String(port), CONSOLE_PORT: String(consolePort), DEMO_DIR: dir, DEMO_SUMMARY_MS: '500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/c8y_Restart=SUCCESSFUL/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      assert.match(out, /c8y_Message=SUCCESSFUL/, out);
      assert.match(out, /c8y_Restart=SUCCESSFUL/, out);
      const counts = [...out.matchAll(/received (\d+) measurements/g)].map((m) => Number(m[1]));
      assert.ok((counts.at(-1) ?? 0) >= 2, `measurements: ${counts.join(',')}`);
      assert.match(out, new RegExp(`Server now running at http://127\\.0\\.0\\.1:${port}/`));
      assert.equal(await get(port, '/'), 200);
      // The simulated platform's console (tested in a browser in test/editor/console.test.ts).
      assert.match(out, new RegExp(`platform console: http://127\\.0\\.0\\.1:${consolePort}/`));
      assert.equal(await get(consolePort, '/api/state'), 200);
      assert.doesNotMatch(out, /\[error\]/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      const code = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 0, `demo exit code\n${out}`);
    }
  });
});
