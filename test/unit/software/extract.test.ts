import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { checkEntryPath, DEFAULT_EXTRACT_LIMITS, extractArchive, type ExtractLimits } from '../../../devices/software/extract';
import { UpdateError } from '../../../devices/software/interface';
import { listTree, tar, tgz, zip, type TarEntry, type ZipEntry } from '../../support/archives';

const LIMITS: ExtractLimits = { ...DEFAULT_EXTRACT_LIMITS, diskBudget: 1024 * 1024 * 1024 };

describe('safe archive extraction', { timeout: 120_000 }, () => {
  let tmp: string;
  let root: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-extract-'));
    root = path.join(tmp, 'stage', 'app');
    fs.mkdirSync(root, { recursive: true });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function write(name: string, data: Buffer): string {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, data);
    return f;
  }

  /** Everything the temp root holds besides the archive files and the staging root: must be nothing. */
  function outside(): string[] {
    return listTree(tmp).filter((p) => !p.startsWith('stage') && !/^a\.(tgz|tar|zip)$/.test(p));
  }

  async function refused(file: string, code: string, match: RegExp, limits: ExtractLimits = LIMITS): Promise<void> {
    await assert.rejects(extractArchive(file, root, limits), (err: unknown) => {
      assert.ok(err instanceof UpdateError, String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, match);
      return true;
    });
    assert.deepEqual(outside(), [], 'nothing may be written outside the staging root');
  }

  it('extracts a tar.gz byte for byte, with directories and modes (setuid dropped)', async () => {
    const entries: TarEntry[] = [
      { name: 'bin/', type: '5' },
      { name: 'bin/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o4755 },
      { name: 'data/deep/x.bin', data: Buffer.alloc(70_000, 7) },
    ];
    const r = await extractArchive(write('a.tgz', tgz(entries)), root, LIMITS);
    assert.equal(r.entries, 3);
    assert.equal(fs.readFileSync(path.join(root, 'bin/run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(fs.statSync(path.join(root, 'bin/run.sh')).mode & 0o7777, 0o755);
    assert.deepEqual(fs.readFileSync(path.join(root, 'data/deep/x.bin')), Buffer.alloc(70_000, 7));
  });

  it('extracts a zip (stored and deflated) byte for byte', async () => {
    const entries: ZipEntry[] = [
      { name: 'dir/', data: '' },
      { name: 'dir/a.txt', data: 'alpha', method: 0 },
      { name: 'b.bin', data: Buffer.alloc(10_000, 1) },
    ];
    await extractArchive(write('a.zip', zip(entries)), root, LIMITS);
    assert.equal(fs.readFileSync(path.join(root, 'dir/a.txt'), 'utf8'), 'alpha');
    assert.deepEqual(fs.readFileSync(path.join(root, 'b.bin')), Buffer.alloc(10_000, 1));
  });

  for (const [what, name] of [
    ['zip-slip ../ path', '../../evil.txt'],
    ['absolute path', '/tmp/evil.txt'],
    ['.. in the middle', 'a/../../evil.txt'],
  ] as const) {
    it(`refuses a tar with a ${what}`, async () => {
      await refused(
        write(
          'a.tgz',
          tgz([
            { name: 'ok.txt', data: 'ok' },
            { name, data: 'pwned' },
          ]),
        ),
        'E_ARCHIVE',
        /\.\.|absolute/,
      );
    });
    it(`refuses a zip with a ${what}`, async () => {
      await refused(write('a.zip', zip([{ name, data: 'pwned' }])), 'E_ARCHIVE', /\.\.|absolute|relative path/);
    });
  }

  it('refuses a tar symlink escaping the target even when symlinks are allowed, and writes nothing through it', async () => {
    const file = write(
      'a.tgz',
      tgz([
        { name: 'link', type: '2', linkname: '../../..' },
        { name: 'link/evil.txt', data: 'x' },
      ]),
    );
    await refused(file, 'E_ARCHIVE', /escaping/, { ...LIMITS, allowSymlinks: true });
  });

  it('refuses a tar symlink to an absolute path and any symlink by default', async () => {
    await refused(write('a.tgz', tgz([{ name: 'etc', type: '2', linkname: '/etc' }])), 'E_ARCHIVE', /absolute/, {
      ...LIMITS,
      allowSymlinks: true,
    });
    await refused(write('a.tgz', tgz([{ name: 'cfg', type: '2', linkname: 'conf/x' }])), 'E_ARCHIVE', /symbolic link in archive refused/);
  });

  it('refuses a zip symlink escaping the target (mode 0120777 in the external attributes)', async () => {
    const file = write('a.zip', zip([{ name: 'up', data: '../../../etc', unixMode: 0o120777 }]));
    await refused(file, 'E_ARCHIVE', /escaping/, { ...LIMITS, allowSymlinks: true });
    await refused(file, 'E_ARCHIVE', /symbolic link/);
  });

  it('creates an inside symlink last when allowed, and refuses entries below it', async () => {
    await extractArchive(
      write(
        'a.tgz',
        tgz([
          { name: 'cur', type: '2', linkname: 'v1' },
          { name: 'v1/a', data: 'A' },
        ]),
      ),
      root,
      {
        ...LIMITS,
        allowSymlinks: true,
      },
    );
    assert.equal(fs.readlinkSync(path.join(root, 'cur')), 'v1');
    fs.rmSync(root, { recursive: true });
    fs.mkdirSync(root);
    const file = write(
      'a.tgz',
      tgz([
        { name: 'cur', type: '2', linkname: 'v1' },
        { name: 'cur/x', data: 'X' },
      ]),
    );
    await refused(file, 'E_ARCHIVE', /below a symbolic link/, { ...LIMITS, allowSymlinks: true });
  });

  for (const [what, entry, match] of [
    ['hard link', { name: 'h', type: '1', linkname: '/etc/passwd' }, /hard link/],
    ['character device', { name: 'null', type: '3' }, /character device/],
    ['FIFO', { name: 'pipe', type: '6' }, /FIFO/],
  ] as const) {
    it(`refuses a ${what}`, async () => {
      await refused(write('a.tgz', tgz([entry])), 'E_ARCHIVE', match);
    });
  }

  it('refuses duplicate and case-colliding names', async () => {
    await refused(
      write(
        'a.tgz',
        tgz([
          { name: 'a', data: '1' },
          { name: 'a', data: '2' },
        ]),
      ),
      'E_ARCHIVE',
      /duplicate/,
    );
    await refused(
      write(
        'a.tgz',
        tgz([
          { name: 'Readme', data: '1' },
          { name: 'README', data: '2' },
        ]),
      ),
      'E_ARCHIVE',
      /case/,
    );
  });

  it('refuses a zip bomb whose header admits a 1000:1 ratio before inflating anything', async () => {
    const file = write('a.zip', zip([{ name: 'zeros', data: Buffer.alloc(20 * 1024 * 1024) }]));
    await refused(file, 'E_ARCHIVE', /expands \d+:1/);
    assert.deepEqual(listTree(root), [], 'nothing inflated');
  });

  it('stops a zip that inflates to more than its header claims', async () => {
    const file = write('a.zip', zip([{ name: 'liar', data: Buffer.alloc(5 * 1024 * 1024), claimSize: 1000 }]));
    await refused(file, 'E_ARCHIVE', /more|too many bytes|size/);
    const written = fs.existsSync(path.join(root, 'liar')) ? fs.statSync(path.join(root, 'liar')).size : 0;
    assert.ok(written <= 1000, `wrote ${written} bytes of a file that claimed 1000`);
  });

  it('stops a tar.gz bomb by its compression ratio while inflating', async () => {
    const file = write('a.tgz', tgz([{ name: 'zeros', data: Buffer.alloc(64 * 1024 * 1024) }]));
    await refused(file, 'E_ARCHIVE', /expands more than 100:1/);
    assert.ok(fs.statSync(path.join(root, 'zeros')).size < 16 * 1024 * 1024, 'stopped long before the end');
  });

  it('refuses a zip of 20 000 entries before reading one (limit 10 000)', async () => {
    const entries: ZipEntry[] = Array.from({ length: 20_000 }, (_, i) => ({ name: `f${i}`, data: '', method: 0 }));
    await refused(write('a.zip', zip(entries)), 'E_ARCHIVE', /20000 entries/);
    assert.deepEqual(listTree(root), []);
  });

  it('stops a tar.gz of 100 000 entries at the entry limit', async () => {
    const entries: TarEntry[] = Array.from({ length: 100_000 }, (_, i) => ({ name: `f${i}` }));
    await refused(write('a.tgz', tgz(entries)), 'E_ARCHIVE', /more than 10000 entries/);
    assert.equal(listTree(root).length, 10_000, 'no more files than the limit');
  });

  it('stops at the disk budget with E_DISK (a full target)', async () => {
    const file = write('a.tgz', tgz([{ name: 'big', data: Buffer.alloc(3 * 1024 * 1024, 1) }]));
    await refused(file, 'E_DISK', /disk space/, { ...LIMITS, diskBudget: 1024 * 1024 });
  });

  it('refuses a truncated tar, damaged gzip and a file that is no archive', async () => {
    await refused(write('a.tar', tar([{ name: 'a', data: 'x' }], { end: false })), 'E_ARCHIVE', /truncated/);
    const gz = tgz([{ name: 'a', data: Buffer.alloc(100_000, 3) }]);
    await refused(write('a.tgz', gz.subarray(0, gz.length - 200)), 'E_ARCHIVE', /tar\.gz|truncated|unexpected end/);
    await refused(write('a.tar', Buffer.from('hello, not an archive')), 'E_ARCHIVE', /not a zip/);
    fs.writeFileSync(path.join(tmp, 'a.tgz'), zlib.gzipSync(Buffer.alloc(2048, 0x41)));
    await refused(path.join(tmp, 'a.tgz'), 'E_ARCHIVE', /checksum/);
  });

  it('checks entry paths by POSIX rules (table)', () => {
    const L = { maxPathLength: 4096, maxDepth: 64 };
    assert.equal(checkEntryPath('./a//b/', L), 'a/b');
    assert.equal(checkEntryPath('.', L), '');
    for (const bad of ['/abs', 'C:/x', 'a\\b', '..', 'a/../b', 'x\0y', 'a/'.repeat(65) + 'b']) {
      assert.throws(() => checkEntryPath(bad, L), UpdateError, bad);
    }
  });
});
