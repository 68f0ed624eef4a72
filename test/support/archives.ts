/**
 * Archives built byte by byte for the software-update tests, hostile ones included (`..`,
 * absolute paths, links, devices, lying sizes, bombs), and a hash of a directory tree to prove
 * "byte for byte".
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface TarEntry {
  name: string;
  /** Tar type flag: '0' file (default), '1' hard link, '2' symlink, '3' char device, '5' dir, '6' FIFO, 'x' pax. */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
}

function field(b: Buffer, off: number, len: number, s: string): void {
  b.write(s.slice(0, len), off, len, 'utf8');
}

function octal(b: Buffer, off: number, len: number, n: number): void {
  field(b, off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  octal(h, 100, 8, e.mode ?? (e.type === '5' ? 0o755 : 0o644));
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 1_700_000_000);
  h.fill(0x20, 148, 156);
  field(h, 156, 1, e.type ?? '0');
  field(h, 157, 100, e.linkname ?? '');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const x of h) sum += x;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar archive; `end: false` leaves out the end-of-archive marker (a truncated archive). */
export function tar(entries: readonly TarEntry[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    parts.push(header(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tgz(entries: readonly TarEntry[], opts: { end?: boolean } = {}): Buffer {
  return zlib.gzipSync(tar(entries, opts));
}

export interface ZipEntry {
  name: string;
  data?: Buffer | string;
  /** Stored (0) or deflated (8, default). */
  method?: 0 | 8;
  /** Unix mode in the external attributes (0o120777 makes a symlink, 0o100644 a file). */
  unixMode?: number;
  /** Lie about the uncompressed size in both headers. */
  claimSize?: number;
}

function dosTime(): { time: number; date: number } {
  return { time: 0, date: ((2024 - 1980) << 9) | (1 << 5) | 1 };
}

/** A zip archive made by "Unix" (so modes in the external attributes count). */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const { time, date } = dosTime();
  for (const e of entries) {
    const raw = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = e.method ?? 8;
    const body = method === 8 ? zlib.deflateRawSync(raw) : raw;
    const crc = zlib.crc32(raw);
    const usize = e.claimSize ?? raw.length;
    const name = Buffer.from(e.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(time, 10);
    lh.writeUInt16LE(date, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(usize, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(time, 12);
    ch.writeUInt16LE(date, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(usize, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((e.unixMode ?? (e.name.endsWith('/') ? 0o040755 : 0o100644)) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += lh.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Every path under `dir` with its type, mode and content (or link target), hashed: equal hashes = equal trees. */
export function treeHash(dir: string): string {
  const h = createHash('sha256');
  for (const rel of listTree(dir)) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    h.update(`${rel}\0${st.mode.toString(8)}\0`);
    if (st.isSymbolicLink()) h.update(`->${fs.readlinkSync(p)}`);
    else if (st.isFile()) h.update(fs.readFileSync(p));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Relative paths of everything under `dir`, sorted ('' entries excluded). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) walk(r);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
