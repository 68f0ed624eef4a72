/**
 * Safe extraction of a zip or tar(.gz) into a fresh staging directory (software-update.md §5).
 * Every entry is checked before anything is written: no absolute paths, drive letters,
 * backslashes, NUL or `..`; no hard links, devices, FIFOs; symbolic links refused unless allowed,
 * and then only relative ones that stay inside and are created last; limits on entry count,
 * total and per-entry bytes (the bytes really written, not the header's claim), compression
 * ratio, path length and depth; duplicate and case-colliding names refused. Files are created
 * with O_EXCL | O_NOFOLLOW so nothing planted can redirect a write; setuid/setgid/sticky bits and
 * ownership are dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UpdateError } from './interface';
import { readTar, type ArchiveEntry, type EntrySink } from './tar';
import { readZip } from './zip';

export interface ExtractLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxEntryBytes: number;
  maxRatio: number;
  maxPathLength: number;
  maxDepth: number;
  allowSymlinks: boolean;
  /** Bytes the extraction may occupy on disk (free space minus the floor); exceeding it is E_DISK. */
  diskBudget: number;
  /** Names refused at the top level (our own marker file). */
  reserved?: readonly string[] | undefined;
}

export const DEFAULT_EXTRACT_LIMITS: Omit<ExtractLimits, 'diskBudget'> = {
  maxEntries: 10_000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024 * 1024,
  maxRatio: 100,
  maxPathLength: 4096,
  maxDepth: 64,
  allowSymlinks: false,
};

/** Ratio checks start once this much was inflated: small files compress better than 100:1. */
const RATIO_FLOOR = 1024 * 1024;

export type ArchiveFormat = 'zip' | 'tar.gz' | 'tar';

/** The archive format by its first bytes. */
export function sniffFormat(file: string): ArchiveFormat | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(262);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    if (n >= 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (n >= 4 && b.readUInt32LE(0) === 0x06054b50) return 'zip';
    if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'tar.gz';
    if (n >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function bad(msg: string): UpdateError {
  return new UpdateError('E_ARCHIVE', msg);
}

/** The checked relative path of an entry inside the root ('' for the root itself). */
export function checkEntryPath(raw: string, limits: Pick<ExtractLimits, 'maxPathLength' | 'maxDepth'>): string {
  if (raw.includes('\0')) throw bad('entry name with a NUL byte');
  if (raw.includes('\\')) throw bad(`entry name with a backslash: ${raw}`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw bad(`absolute path in archive: ${raw}`);
  if (raw.length > limits.maxPathLength) throw bad(`entry name longer than ${limits.maxPathLength} characters`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw bad(`path with ".." in archive: ${raw}`);
  if (parts.length > limits.maxDepth) throw bad(`entry nested deeper than ${limits.maxDepth} levels: ${raw}`);
  return parts.join('/');
}

/** The sink that checks and writes entries under `root` (an empty directory we created). */
class SafeWriter implements EntrySink {
  entries = 0;
  total = 0;
  private readonly names = new Map<string, string>();
  private readonly links: { rel: string; target: string }[] = [];
  private readonly linkNames = new Set<string>();
  private fh: fs.promises.FileHandle | undefined;
  private current: { rel: string; size: number; written: number } | undefined;

  constructor(
    private readonly root: string,
    private readonly limits: ExtractLimits,
    private readonly compressedBytes: () => number | undefined,
  ) {}

  async begin(e: ArchiveEntry): Promise<void> {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) throw bad(`more than ${this.limits.maxEntries} entries in the archive`);
    const rel = checkEntryPath(e.path, this.limits);
    if (rel === '') {
      if (e.kind === 'directory') return;
      throw bad(`entry without a name (${e.label})`);
    }
    if (!rel.includes('/') && this.limits.reserved?.includes(rel)) throw bad(`reserved name in archive: ${rel}`);
    this.claim(rel, e.kind === 'directory');
    switch (e.kind) {
      case 'directory':
        this.mkdirs(rel);
        return;
      case 'file':
        if (e.size > this.limits.maxEntryBytes) throw bad(`${rel} is ${e.size} bytes, over the per-entry limit`);
        this.mkdirs(path.posix.dirname(rel));
        this.fh = await fs.promises.open(
          path.join(this.root, rel),
          fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
          // Permission bits only: no setuid, setgid or sticky; the owner can always read and write.
          (e.mode & 0o777) | 0o600,
        );
        this.current = { rel, size: e.size, written: 0 };
        return;
      case 'symlink':
        this.symlink(rel, e.linkTarget ?? '');
        return;
      case 'hardlink':
        throw bad(`hard link in archive refused: ${rel} -> ${e.linkTarget ?? ''}`);
      case 'other':
        throw bad(`${e.label} in archive refused: ${rel}`);
    }
  }

  async data(chunk: Buffer): Promise<void> {
    const cur = this.current;
    if (!cur || !this.fh) return;
    cur.written += chunk.length;
    this.total += chunk.length;
    if (cur.written > cur.size) throw bad(`${cur.rel} holds more data than its header says`);
    if (this.total > this.limits.maxTotalBytes) throw bad(`the archive expands to more than ${this.limits.maxTotalBytes} bytes`);
    if (this.total > this.limits.diskBudget) throw new UpdateError('E_DISK', 'the extracted files do not fit into the free disk space');
    const packed = this.compressedBytes();
    if (packed !== undefined && this.total >= RATIO_FLOOR && this.total / Math.max(1, packed) > this.limits.maxRatio) {
      throw bad(`the archive expands more than ${this.limits.maxRatio}:1 (zip bomb?)`);
    }
    await this.fh.write(chunk);
  }

  async end(): Promise<void> {
    const cur = this.current;
    await this.closeFile();
    if (cur && cur.written !== cur.size) throw bad(`${cur.rel}: ${cur.written} bytes instead of ${cur.size}`);
  }

  /** Symbolic links last, so no entry can be written through one. */
  finish(): void {
    for (const l of this.links) {
      try {
        fs.symlinkSync(l.target, path.join(this.root, l.rel));
      } catch (err) {
        throw bad(`cannot create symbolic link ${l.rel}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.current = undefined;
    if (fh) await fh.close();
  }

  private claim(rel: string, isDir: boolean): void {
    const key = rel.toLowerCase();
    const seen = this.names.get(key);
    if (seen !== undefined) {
      // A directory listed twice is harmless; anything else would overwrite or collide.
      if (seen === rel && isDir && this.isDir(rel)) return;
      throw bad(seen === rel ? `duplicate entry ${rel}` : `entries differing only in case: ${seen} and ${rel}`);
    }
    this.names.set(key, rel);
  }

  private isDir(rel: string): boolean {
    try {
      return fs.lstatSync(path.join(this.root, rel)).isDirectory();
    } catch {
      return false;
    }
  }

  private mkdirs(rel: string): void {
    if (rel === '.' || rel === '') return;
    let cur = this.root;
    let prefix = '';
    for (const part of rel.split('/')) {
      prefix = prefix === '' ? part : `${prefix}/${part}`;
      if (this.linkNames.has(prefix)) throw bad(`entry below a symbolic link: ${rel}`);
      const key = prefix.toLowerCase();
      const seen = this.names.get(key);
      if (seen !== undefined && seen !== prefix) throw bad(`entries differing only in case: ${seen} and ${prefix}`);
      if (seen === undefined) this.names.set(key, prefix);
      cur = path.join(cur, part);
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(cur);
      } catch {
        st = undefined;
      }
      if (!st) fs.mkdirSync(cur, { mode: 0o755 });
      else if (!st.isDirectory()) throw bad(`${rel}: a parent is not a directory`);
    }
  }

  private symlink(rel: string, target: string): void {
    if (!this.limits.allowSymlinks) throw bad(`symbolic link in archive refused: ${rel} -> ${target}`);
    if (target === '' || target.includes('\0') || target.startsWith('/') || target.includes('\\')) {
      throw bad(`symbolic link with an absolute or invalid target: ${rel} -> ${target}`);
    }
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
    if (resolved === '..' || resolved.startsWith('../') || path.posix.isAbsolute(resolved)) {
      throw bad(`symbolic link escaping the target: ${rel} -> ${target}`);
    }
    this.mkdirs(path.posix.dirname(rel));
    this.links.push({ rel, target });
    this.linkNames.add(rel);
  }
}

export interface ExtractResult {
  entries: number;
  bytes: number;
}

/** Extracts `file` into `root`, which must exist and be empty. On error `root` may hold a part: the caller removes it. */
export async function extractArchive(file: string, root: string, limits: ExtractLimits, signal?: AbortSignal): Promise<ExtractResult> {
  const format = sniffFormat(file);
  if (!format) throw bad('not a zip, tar or tar.gz archive');
  let input: fs.ReadStream | undefined;
  const writer = new SafeWriter(root, limits, () => (format === 'tar.gz' ? input?.bytesRead : undefined));
  try {
    if (format === 'zip') {
      await readZip(file, writer, { maxEntries: limits.maxEntries, maxRatio: limits.maxRatio, ratioFloorBytes: RATIO_FLOOR }, signal);
    } else {
      input = fs.createReadStream(file, { signal });
      const source = format === 'tar.gz' ? input.pipe(zlib.createGunzip()) : input;
      input.on('error', (err) => source.destroy(err));
      try {
        await readTar(source as AsyncIterable<Buffer>, writer);
      } catch (err) {
        if (err instanceof UpdateError) throw err;
        throw bad(`${format}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        source.destroy();
        input.destroy();
      }
    }
    writer.finish();
    return { entries: writer.entries, bytes: writer.total };
  } finally {
    await writer.closeFile();
  }
}
