/**
 * The connection dialog's endpoints are guarded by Node-RED's own permissions: with adminAuth on,
 * an anonymous request is refused (401), a read-only user may see the bootstrap state but may not
 * run a connection test (401 again: that is how Node-RED refuses a permission), and a user with
 * write permission may.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request, waitForEditor } from '../support/editor-server';
import { redProcess, type RedProcess } from '../support/red-process';

const ROOT = path.join(__dirname, '..', '..', '..');

interface Bcrypt {
  hashSync(s: string, rounds: number): string;
}
// Node-RED's own bcrypt implementation (a dependency of @node-red/editor-api).
const bcrypt = require(
  require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('@node-red/editor-api/package.json', { paths: [ROOT] }))] }),
) as Bcrypt;

async function token(port: number, username: string, scope: string): Promise<string> {
  const body = new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'pw' }).toString();
  const r = await request(port, 'POST', '/auth/token', body, { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { access_token: string }).access_token;
}

describe('permissions of the connection dialog endpoints', { timeout: 120_000 }, () => {
  let red: RedProcess;

  before(async () => {
    const hash = bcrypt.hashSync('pw', 8);
    red = await redProcess([], {
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'viewer', password: hash, permissions: 'read' },
          { username: 'editor', password: hash, permissions: '*' },
        ],
      },
      editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    });
    red.start();
    await waitForEditor(red, red.port);
  });

  after(async () => red?.dispose());

  const body = JSON.stringify({
    config: { host: '127.0.0.1', port: '1', protocol: 'mqtt', tenant: 't1', authMode: 'basic' },
    credentials: { user: 'u', password: 'p' },
  });
  const json = { 'Content-Type': 'application/json' };

  it('refuses an anonymous request', async () => {
    assert.equal((await request(red.port, 'POST', '/device-agent-connection/test', body, json)).status, 401);
    assert.equal((await request(red.port, 'POST', '/device-agent-connection/state', body, json)).status, 401);
  });

  it('lets a read-only user see the state but not run a test', async () => {
    const auth = { ...json, Authorization: `Bearer ${await token(red.port, 'viewer', 'read')}` };
    assert.equal((await request(red.port, 'POST', '/device-agent-connection/state', body, auth)).status, 200);
    // Node-RED answers a missing permission with 401, as for a missing login.
    assert.equal((await request(red.port, 'POST', '/device-agent-connection/test', body, auth)).status, 401);
  });

  it('runs the test for a user with write permission', async () => {
    const auth = { ...json, Authorization: `Bearer ${await token(red.port, 'editor', '*')}` };
    const r = await request(red.port, 'POST', '/device-agent-connection/test', body, auth);
    assert.equal(r.status, 200, r.body);
    const a = JSON.parse(r.body) as { ok: boolean; steps: { code: string }[] };
    assert.equal(a.ok, false);
    assert.equal(a.steps.at(-1)?.code, 'tcp-refused');
  });
});
