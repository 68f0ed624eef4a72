import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  LineSplitter,
  LogCollector,
  lineTime,
  parseLogRequest,
  parseRequestDate,
  type CollectOptions,
} from '../../agent/log-upload/filter';
import { parseLogUploadDef } from '../../nodes/log-upload-config';

const NOW = new Date(2026, 10, 23, 12, 0, 0);
const LIMITS = { defaultLines: 1000, maxLines: 100_000 };

function collect(lines: string[], o: Partial<CollectOptions>): { text: string; c: LogCollector } {
  const c = new LogCollector({
    from: undefined,
    to: undefined,
    search: '',
    maxLines: 1000,
    maxBytes: 1 << 20,
    now: NOW,
    order: 'oldest-first',
    ...o,
  });
  for (const l of lines) {
    if (c.full) break;
    c.add(l);
  }
  return { text: c.text(), c };
}

describe('log upload: request parameters', () => {
  it('reads the platform date format with +0200 offsets, Z, +02:00 and local time', () => {
    const p = parseRequestDate('2021-09-21T11:40:27+0200');
    assert.ok(p.ok && p.value?.toISOString() === '2021-09-21T09:40:27.000Z');
    const z = parseRequestDate('2021-09-21T09:40:27.5Z');
    assert.ok(z.ok && z.value?.toISOString() === '2021-09-21T09:40:27.500Z');
    const c = parseRequestDate('2021-09-21T11:40:27-02:30');
    assert.ok(c.ok && c.value?.toISOString() === '2021-09-21T14:10:27.000Z');
    const local = parseRequestDate('2021-09-21 11:40:27');
    assert.ok(local.ok && local.value?.getTime() === new Date(2021, 8, 21, 11, 40, 27).getTime());
    assert.deepEqual(parseRequestDate(''), { ok: true, value: undefined });
    assert.ok(!parseRequestDate('yesterday').ok);
    assert.ok(!parseRequestDate('2021-13-01T00:00:00Z').ok);
  });

  it('takes the operation as static 522 and JSON deliver it, with a default and a cap for the line count', () => {
    const r = parseLogRequest(
      {
        logFile: 'syslog',
        dateFrom: '2021-09-21T11:40:27+0200',
        dateTo: '2021-09-22T11:40:27+0200',
        searchText: 'ERROR',
        maximumLines: 1000,
      },
      LIMITS,
    );
    assert.ok(r.ok);
    assert.equal(r.value.type, 'syslog');
    assert.equal(r.value.search, 'ERROR');
    assert.equal(r.value.maxLines, 1000);
    const d = parseLogRequest({ logFile: 'syslog' }, LIMITS);
    assert.ok(d.ok && d.value.maxLines === 1000 && d.value.from === undefined);
    const s = parseLogRequest({ logFile: 'syslog', maximumLines: '5000000' }, LIMITS);
    assert.ok(s.ok && s.value.maxLines === 100_000);
  });

  it('refuses a request without a log file, with a bad date, or with the range reversed', () => {
    const none = parseLogRequest({}, LIMITS);
    assert.ok(!none.ok && /no log file/.test(none.error));
    const a = parseLogRequest({ logFile: 'syslog', dateFrom: 'last week' }, LIMITS);
    assert.ok(!a.ok && /dateFrom/.test(a.error));
    const b = parseLogRequest({ logFile: 'syslog', dateFrom: '2021-09-22T00:00:00Z', dateTo: '2021-09-21T00:00:00Z' }, LIMITS);
    assert.ok(!b.ok && /after/.test(b.error));
  });
});

describe('log upload: time stamps of lines', () => {
  it('reads ISO 8601, syslog and Node-RED stamps; year-less ones in the current or last year', () => {
    assert.equal(lineTime('2026-11-20T08:00:00Z kernel: x', NOW)?.toISOString(), '2026-11-20T08:00:00.000Z');
    assert.equal(lineTime('[2026-11-20 08:00:00,123] INFO x', NOW)?.getTime(), new Date(2026, 10, 20, 8, 0, 0, 123).getTime());
    assert.equal(lineTime('Nov 20 08:00:01 pi sshd[1]: x', NOW)?.getTime(), new Date(2026, 10, 20, 8, 0, 1).getTime());
    assert.equal(lineTime('Dec  31 23:59:59 pi x', NOW)?.getTime(), new Date(2025, 11, 31, 23, 59, 59).getTime());
    assert.equal(lineTime('20 Nov 08:00:02 - [info] Started flows', NOW)?.getTime(), new Date(2026, 10, 20, 8, 0, 2).getTime());
    assert.equal(lineTime('    at Object.<anonymous> (x.js:1:1)', NOW), undefined);
  });
});

describe('log upload: filtering', () => {
  const log = [
    '2026-11-20T08:00:00Z boot',
    '2026-11-20T09:00:00Z ERROR disk',
    '    at stack line of the disk failure',
    '2026-11-20T10:00:00Z info ok',
    '2026-11-20T11:00:00Z error net',
    '2026-11-20T12:00:00Z ERROR late',
  ];

  it('keeps lines in the date range, with unstamped lines following the line before them', () => {
    const { text } = collect(log, { from: new Date('2026-11-20T09:00:00Z'), to: new Date('2026-11-20T11:00:00Z') });
    assert.equal(text, `${log.slice(1, 5).join('\n')}\n`);
  });

  it('matches the search text case-insensitively and keeps the newest lines up to the limit', () => {
    const { text, c } = collect(log, { search: 'error', maxLines: 2 });
    assert.equal(text, '2026-11-20T11:00:00Z error net\n2026-11-20T12:00:00Z ERROR late\n');
    assert.equal(c.dropped, 1);
  });

  it('stays within the byte bound, dropping the oldest lines', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `2026-11-20T10:00:00Z line ${i} ${'x'.repeat(80)}`);
    const { text, c } = collect(lines, { maxLines: 100_000, maxBytes: 4096 });
    assert.ok(Buffer.byteLength(text) <= 4096, String(Buffer.byteLength(text)));
    assert.ok(text.endsWith(`${lines[9999]}\n`));
    assert.equal(c.lines + c.dropped, 10_000);
  });

  it('newest-first (journalctl -r): stops when full, keeps continuation lines with their entry, returns oldest first', () => {
    const rev = ['t5 e', 't4 d', '  d continued', 't3 c', 't2 b', 't1 a'];
    const { text, c } = collect(rev, { order: 'newest-first', maxLines: 3 });
    assert.equal(text, 't4 d\n  d continued\nt5 e\n');
    assert.ok(c.full);
    const single = collect(['t1 only entry'], { order: 'newest-first' });
    assert.equal(single.text, 't1 only entry\n');
    assert.equal(single.c.lines, 1, 'the last entry counts once the text is taken');
    const searched = collect(rev, { order: 'newest-first', search: 'CONTINUED' });
    assert.equal(searched.text, 't4 d\n  d continued\n');
  });
});

describe('log upload: line splitting', () => {
  it('splits LF and CRLF across chunks, and cuts an endless line at the bound', () => {
    const out: string[] = [];
    const s = new LineSplitter(16);
    s.push(Buffer.from('one\r\ntw'), (l) => out.push(l));
    s.push(Buffer.from('o\n'), (l) => out.push(l));
    s.push(Buffer.alloc(1_000_000, 0x61), (l) => out.push(l));
    s.push(Buffer.from('aaa\nlast'), (l) => out.push(l));
    s.end((l) => out.push(l));
    assert.deepEqual(out, ['one', 'two', `${'a'.repeat(16)} […line cut]`, 'last']);
  });
});

describe('log upload: node settings', () => {
  it('has defaults, bounds the size by the platform limit and refuses bad sources', () => {
    const r = parseLogUploadDef({ sources: 'syslog = /var/log/syslog' });
    assert.ok(r.ok);
    assert.equal(r.value.upload.maxBytes, 1024 * 1024);
    assert.equal(r.value.upload.defaultLines, 1000);
    assert.equal(r.value.upload.journalctl, 'journalctl');
    assert.ok(!parseLogUploadDef({ sources: '', maxKiB: '60000' }).ok);
    assert.ok(!parseLogUploadDef({ sources: 'x = relative/path' }).ok);
    const s = parseLogUploadDef({ sources: 'j = journal' }, { journalctl: '/opt/fake-journalctl', scanBytes: 2048 });
    assert.ok(s.ok);
    assert.equal(s.value.upload.journalctl, '/opt/fake-journalctl');
    assert.equal(s.value.upload.scanBytes, 1024 * 1024, 'never less than the upload bound');
  });
});
