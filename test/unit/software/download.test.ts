import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_DOWNLOAD, download, isUnderBase, type DownloadOptions } from '../../../devices/software/download';
import { UpdateError } from '../../../devices/software/interface';
import { createTestPki } from '../../sim/certs';
import { sha256 } from '../../support/archives';
import { fileServer, type FileServer } from '../../support/file-server';

const BODY = randomBytes(300_000);
const OPTS: DownloadOptions = {
  ...DEFAULT_DOWNLOAD,
  allowHttp: true,
  retryDelaysMs: [20, 20, 20],
  idleTimeoutMs: 400,
  connectTimeoutMs: 3000,
};

async function failsWith(p: Promise<unknown>, code: string, match?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof UpdateError, String(err));
    assert.equal(err.code, code, err.message);
    if (match) assert.match(err.message, match);
    return true;
  });
}

describe('software download', { timeout: 60_000 }, () => {
  let srv: FileServer;
  let tmp: string;
  let dest: string;
  before(async () => {
    srv = await fileServer();
  });
  after(async () => srv.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-dl-'));
    dest = path.join(tmp, 'pkg');
    srv.requests.length = 0;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('downloads, reports progress and returns the SHA-256 of the file', async () => {
    srv.set('/ok', { body: BODY, etag: '"v1"' });
    const seen: number[] = [];
    const got = await download(srv.url('/ok'), dest, { ...OPTS, onProgress: (b) => seen.push(b) });
    assert.equal(got.sha256.toString('hex'), sha256(BODY));
    assert.deepEqual(fs.readFileSync(dest), BODY);
    assert.equal(seen.at(-1), BODY.length);
    assert.ok(!fs.existsSync(`${dest}.part`));
  });

  it('resumes a truncated download with Range + If-Range and ends with the right digest', async () => {
    srv.set('/cut', { body: BODY, etag: '"v1"', truncate: { after: 100_000, times: 1 } });
    const got = await download(srv.url('/cut'), dest, OPTS);
    assert.equal(got.sha256.toString('hex'), sha256(BODY));
    const second = srv.requests.filter((r) => r.path === '/cut')[1];
    assert.ok(second, 'a second request');
    assert.match(String(second.headers['range']), /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(String(second.headers['range']))?.[0]) > 0, 'resumed past 0');
    assert.equal(second.headers['if-range'], '"v1"');
  });

  it('starts again from 0 when the server ignores the range, and the digest is still right', async () => {
    srv.set('/norange', { body: BODY, etag: '"v1"', truncate: { after: 50_000, times: 1 }, ignoreRange: true });
    const got = await download(srv.url('/norange'), dest, OPTS);
    assert.equal(got.sha256.toString('hex'), sha256(BODY));
    assert.equal(fs.statSync(dest).size, BODY.length);
  });

  it('resumes a download a previous process left (part file + sidecar)', async () => {
    srv.set('/resume', { body: BODY, etag: '"v1"', truncate: { after: 120_000, times: 1 } });
    await failsWith(download(srv.url('/resume'), dest, { ...OPTS, retryDelaysMs: [] }), 'E_DOWNLOAD', /truncated|interrupted/);
    assert.ok(fs.statSync(`${dest}.part`).size > 0);
    const got = await download(srv.url('/resume'), dest, OPTS);
    assert.equal(got.sha256.toString('hex'), sha256(BODY));
    assert.match(String(srv.requests.at(-1)?.headers['range']), /^bytes=[1-9]\d*-$/);
  });

  it('fails a 404 at once (no retry) and retries a 500 until it works', async () => {
    await failsWith(download(srv.url('/missing'), dest, OPTS), 'E_DOWNLOAD', /HTTP 404/);
    assert.equal(srv.requests.length, 1);
    srv.set('/flaky', { body: BODY, status: { code: 500, times: 2 } });
    const got = await download(srv.url('/flaky'), dest, OPTS);
    assert.equal(got.bytes, BODY.length);
    assert.equal(srv.requests.filter((r) => r.path === '/flaky').length, 3);
  });

  it('gives up on a server that keeps answering 500', async () => {
    srv.set('/down', { body: BODY, status: { code: 500, times: 100 } });
    await failsWith(download(srv.url('/down'), dest, OPTS), 'E_DOWNLOAD', /HTTP 500.*4 attempts/);
  });

  it('treats a stall as an interruption and gives up when it keeps stalling', async () => {
    srv.set('/stall', { body: BODY, stall: { after: 1000, times: 100 } });
    await failsWith(download(srv.url('/stall'), dest, { ...OPTS, retryDelaysMs: [20] }), 'E_DOWNLOAD', /stalled/);
    srv.set('/stall-once', { body: BODY, etag: '"s"', stall: { after: 1000, times: 1 } });
    const got = await download(srv.url('/stall-once'), path.join(tmp, 'b'), OPTS);
    assert.equal(got.sha256.toString('hex'), sha256(BODY));
  });

  it('refuses a Content-Length over the limit before reading the body, and a chunked body at the limit', async () => {
    srv.set('/big', { body: BODY });
    await failsWith(download(srv.url('/big'), dest, { ...OPTS, maxBytes: 1000 }), 'E_SIZE');
    srv.set('/liar', { body: BODY, chunked: true });
    await failsWith(download(srv.url('/liar'), dest, { ...OPTS, maxBytes: 100_000 }), 'E_SIZE');
    assert.ok(!fs.existsSync(dest));
  });

  it('refuses a download that does not fit into the disk budget', async () => {
    srv.set('/disk', { body: BODY });
    await failsWith(download(srv.url('/disk'), dest, { ...OPTS, diskBudget: () => 1000 }), 'E_DISK');
  });

  it('refuses plain http unless allowed', async () => {
    srv.set('/ok', { body: BODY });
    await failsWith(download(srv.url('/ok'), dest, { ...OPTS, allowHttp: false }), 'E_DOWNLOAD', /plain http/);
    assert.equal(srv.requests.length, 0);
  });

  it('sends the platform credentials only under the base URL, also after redirects', async () => {
    const other = await fileServer();
    try {
      other.set('/elsewhere', { body: BODY });
      srv.set('/inventory/binaries/1', { body: BODY });
      srv.set('/inventory/binaries/2', { body: BODY, redirect: other.url('/elsewhere') });
      srv.set('/public', { body: BODY, redirect: srv.url('/inventory/binaries/1') });
      const auth = { baseUrl: srv.base, authorization: 'Basic c2VjcmV0' };
      await download(srv.url('/inventory/binaries/2'), dest, { ...OPTS, auth });
      assert.equal(srv.requests[0]?.headers['authorization'], 'Basic c2VjcmV0');
      assert.equal(other.requests[0]?.headers['authorization'], undefined, 'no credentials to another origin');
      await download(other.url('/elsewhere'), path.join(tmp, 'c'), { ...OPTS, auth });
      assert.equal(other.requests[1]?.headers['authorization'], undefined);
      // A base URL with a path covers only that path.
      assert.ok(isUnderBase(new URL('https://t.example.com/a/b'), 'https://t.example.com/a'));
      assert.ok(!isUnderBase(new URL('https://t.example.com/ab'), 'https://t.example.com/a'));
      assert.ok(!isUnderBase(new URL('http://t.example.com/a'), 'https://t.example.com'));
      assert.ok(!isUnderBase(new URL('https://t.example.com:8443/a'), 'https://t.example.com'));
    } finally {
      await other.close();
    }
  });

  it('stops after 5 redirects', async () => {
    for (let i = 0; i < 7; i += 1) srv.set(`/r${i}`, { body: BODY, redirect: srv.url(`/r${i + 1}`) });
    await failsWith(download(srv.url('/r0'), dest, OPTS), 'E_DOWNLOAD', /too many redirects/);
  });

  it('verifies the server certificate: refused without the CA, accepted with it', async () => {
    const pki = createTestPki();
    const tls = await fileServer(pki.server);
    try {
      tls.set('/ok', { body: BODY });
      await failsWith(download(tls.url('/ok'), dest, { ...OPTS, allowHttp: false }), 'E_DOWNLOAD', /TLS/);
      const got = await download(tls.url('/ok'), dest, { ...OPTS, allowHttp: false, ca: pki.ca.cert });
      assert.equal(got.sha256.toString('hex'), sha256(BODY));
    } finally {
      await tls.close();
    }
  });

  it('stops at once when its signal aborts (the job deadline)', async () => {
    srv.set('/slow', { body: BODY, stall: { after: 10, times: 100 } });
    const ctl = new AbortController();
    const p = download(srv.url('/slow'), dest, { ...OPTS, idleTimeoutMs: 10_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(new UpdateError('E_TIMEOUT', 'deadline')), 100);
    await failsWith(p, 'E_TIMEOUT');
  });
});
