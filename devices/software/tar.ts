/**
 * A streaming tar reader (POSIX ustar, pax `x`/`g` headers, GNU long names) that reports every
 * entry as it is and decides nothing: extract.ts checks and writes. Our own because a reader
 * that only has to *describe* entries is small (no writing, ownership, modes or link creation —
 * where node-tar's path CVEs were), and it saves a runtime dependency (README, "Dependencies").
 */
import { UpdateError } from './interface';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One archive member as the archive describes it (path not yet checked). */
export interface ArchiveEntry {
  path: string;
  kind: EntryKind;
  size: number;
  mode: number;
  linkTarget?: string | undefined;
  /** What the entry is, for messages: "character device", "FIFO"… */
  label: string;
}

/** Receives entries and their data in order; extract.ts implements it. */
export interface EntrySink {
  begin(e: ArchiveEntry): Promise<void>;
  data(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

const BLOCK = 512;
/** pax and GNU long-name records are names, not payloads: bounded. */
const MAX_META_BYTES = 1024 * 1024;

const KINDS: Record<string, [EntryKind, string]> = {
  '0': ['file', 'file'],
  '\0': ['file', 'file'],
  '7': ['file', 'file'],
  '1': ['hardlink', 'hard link'],
  '2': ['symlink', 'symbolic link'],
  '3': ['other', 'character device'],
  '4': ['other', 'block device'],
  '5': ['directory', 'directory'],
  '6': ['other', 'FIFO'],
};

/** Pulls exact byte counts out of a chunked source. */
class Pull {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer at the end of the source. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) break;
      this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Streams `n` bytes to `each` without collecting them. Returns the count delivered. */
  async pass(n: number, each: (b: Buffer) => Promise<void>): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const r = await this.it.next();
        if (r.done) break;
        this.buf = r.value;
      }
      const piece = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      left -= piece.length;
      await each(piece);
    }
    return n - left;
  }
}

function text(b: Buffer, start: number, len: number): string {
  const f = b.subarray(start, start + len);
  const nul = f.indexOf(0);
  return (nul < 0 ? f : f.subarray(0, nul)).toString('utf8');
}

function octal(b: Buffer, start: number, len: number): number {
  const f = b.subarray(start, start + len);
  if (((f[0] ?? 0) & 0x80) !== 0) {
    // GNU base-256 for large values; negative values make no sense here.
    if (((f[0] ?? 0) & 0x40) !== 0) return NaN;
    let v = (f[0] ?? 0) & 0x3f;
    for (let i = 1; i < f.length; i += 1) v = v * 256 + (f[i] ?? 0);
    return v;
  }
  const s = text(b, start, len).trim();
  return s === '' ? 0 : /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return octal(h, 148, 8) === sum;
}

/** pax records `<len> <key>=<value>\n`. */
function parsePax(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(b.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || i + len > b.length) throw bad('malformed pax header');
    const rec = b.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

function bad(msg: string): UpdateError {
  return new UpdateError('E_ARCHIVE', msg);
}

/** Reads a tar stream and hands every entry to `sink`. Requires the end-of-archive marker. */
export async function readTar(src: AsyncIterable<Buffer>, sink: EntrySink): Promise<void> {
  const pull = new Pull(src);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const h = await pull.take(BLOCK);
    if (h.length < BLOCK) throw bad('truncated archive (no end-of-archive marker)');
    if (h.every((x) => x === 0)) return;
    if (!checksumOk(h)) throw bad('bad tar header checksum (not a tar file, or damaged)');
    const type = String.fromCharCode(h[156] ?? 0);
    const size = octal(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw bad('bad entry size in tar header');
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > MAX_META_BYTES) throw bad(`oversized ${type} header (${size} bytes)`);
      const body = await pull.take(padded);
      if (body.length < padded) throw bad('truncated archive');
      const data = body.subarray(0, size);
      if (type === 'x') pax = { ...pax, ...parsePax(data) };
      else if (type === 'L') longName = text(data, 0, data.length);
      else if (type === 'K') longLink = text(data, 0, data.length);
      // 'g' (global pax) only carries defaults we do not use.
      continue;
    }
    const magic = text(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? text(h, 345, 155) : '';
    const name = pax['path'] ?? longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    const paxSize = pax['size'] !== undefined ? Number(pax['size']) : undefined;
    const realSize = paxSize !== undefined && Number.isSafeInteger(paxSize) && paxSize >= 0 ? paxSize : size;
    const [kind, label] = KINDS[type] ?? ['other', `entry type "${type}"`];
    const entry: ArchiveEntry = {
      path: name,
      kind,
      size: kind === 'file' ? realSize : 0,
      mode: octal(h, 100, 8) || 0,
      linkTarget: pax['linkpath'] ?? longLink ?? (kind === 'symlink' || kind === 'hardlink' ? text(h, 157, 100) : undefined),
      label,
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    await sink.begin(entry);
    const dataBytes = realSize;
    const got = await pull.pass(dataBytes, (b) => (kind === 'file' ? sink.data(b) : Promise.resolve()));
    if (got < dataBytes) throw bad('truncated archive');
    const pad = Math.ceil(dataBytes / BLOCK) * BLOCK - dataBytes;
    if ((await pull.take(pad)).length < pad) throw bad('truncated archive');
    await sink.end();
  }
}
