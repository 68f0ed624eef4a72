import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLogFile, parseLogSources } from '../../agent/log-upload/sources';

describe('log upload: the sources allow-list', () => {
  it('reads files, the journal and journal units, with comments', () => {
    const r = parseLogSources('# logs\nsyslog = /var/log/syslog\nnodered = journal:nodered.service  # the service\nsystem = journal\n');
    assert.deepEqual(r, {
      ok: true,
      value: [
        { type: 'syslog', kind: 'file', path: '/var/log/syslog' },
        { type: 'nodered', kind: 'journal', unit: 'nodered.service' },
        { type: 'system', kind: 'journal', unit: undefined },
      ],
    });
  });

  const refused: Array<[string, RegExp]> = [
    ['syslog /var/log/syslog', /is not "type = /],
    ['sys log = /var/log/syslog', /may only use/],
    ['a,b = /var/log/syslog', /may only use/],
    ['x = var/log/syslog', /absolute path/],
    ['x = /var/log/../../etc/shadow', /absolute path without ".."/],
    ['x = /var/log//syslog', /absolute path/],
    ['x = /var/log/', /absolute path/],
    ['x = journal:--file=/etc/shadow', /not a systemd unit/],
    ['x = /a\nx = /b', /listed twice/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const r = parseLogSources(text);
      assert.ok(!r.ok);
      assert.match(r.error, why);
    });
  }
});

describe('log upload: opening a file source', () => {
  let dir: string;
  let outside: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-logs-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'da-secret-'));
    fs.writeFileSync(path.join(dir, 'app.log'), 'hello\n');
    fs.writeFileSync(path.join(outside, 'shadow'), 'root:secret\n');
    fs.symlinkSync(path.join(outside, 'shadow'), path.join(dir, 'evil.log'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'real.log'), 'inside\n');
    fs.symlinkSync(path.join(dir, 'sub', 'real.log'), path.join(dir, 'alias.log'));
    fs.symlinkSync(path.join('..', path.basename(outside), 'shadow'), path.join(dir, 'dotdot.log'));
    fs.symlinkSync(outside, path.join(dir, 'linkdir'));
    fs.mkdirSync(path.join(dir, 'adir.log'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('opens a plain file and reports its size', async () => {
    const r = await openLogFile({ type: 'app', path: path.join(dir, 'app.log') });
    assert.ok(r.ok);
    assert.equal(r.value.size, 6);
    await r.value.handle.close();
  });

  it('follows a link that stays inside the entry directory', async () => {
    const r = await openLogFile({ type: 'alias', path: path.join(dir, 'alias.log') });
    assert.ok(r.ok);
    await r.value.handle.close();
  });

  it('refuses a link that leads out of the entry directory, absolute or through ".."', async () => {
    for (const p of [path.join(dir, 'evil.log'), path.join(dir, 'dotdot.log')]) {
      const r = await openLogFile({ type: 'evil', path: p });
      assert.ok(!r.ok, p);
      assert.match(r.error, /leads outside/);
    }
  });

  it('resolves a linked directory written in the entry itself: the entry names that directory', async () => {
    const r = await openLogFile({ type: 'linked', path: path.join(dir, 'linkdir', 'shadow') });
    assert.ok(r.ok);
    await r.value.handle.close();
  });

  it('refuses a missing file and a directory with clear reasons', async () => {
    const missing = await openLogFile({ type: 'gone', path: path.join(dir, 'gone.log') });
    assert.ok(!missing.ok);
    assert.match(missing.error, /"gone" does not exist/);
    const d = await openLogFile({ type: 'adir', path: path.join(dir, 'adir.log') });
    assert.ok(!d.ok);
    assert.match(d.error, /not a regular file/);
  });
});
