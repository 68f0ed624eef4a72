/**
 * Filtering a log for `c8y_LogfileRequest` (cumulocity.md §6.2 row 522): the request's date range,
 * search text and line limit, with a byte bound on the result and on every line. Pure: time comes
 * in as an argument; the readers in read.ts feed lines in.
 */
import { fail, ok, type Result } from '../../dialects/types';

export interface LogRequest {
  type: string;
  from: Date | undefined;
  to: Date | undefined;
  search: string;
  maxLines: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ISO = /^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})/;
const NODE_RED = /^(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}):(\d{2}):(\d{2})/;

function isoDate(m: RegExpExecArray): Date | undefined {
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const zone = m[8];
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined) return undefined;
  let t: number;
  if (zone === undefined)
    t = new Date(y, mo - 1, d, h, mi, s, ms).getTime(); // no zone: the device's local time
  else {
    t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    if (zone !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    }
  }
  const date = new Date(t);
  return Number.isNaN(t) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ? undefined : date;
}

/**
 * A request date: ISO 8601 with the platform's `+0200` offsets (`2021-09-21T11:40:27+0200`), `Z`,
 * `+02:00`, or no zone (local time). Empty → undefined.
 */
export function parseRequestDate(text: string): Result<Date | undefined> {
  if (text.trim() === '') return ok(undefined);
  const m = ISO.exec(text.trim());
  const d = m ? isoDate(m) : undefined;
  return d ? ok(d) : fail(`"${text}" is not a date`);
}

/** Year-less stamps (syslog, Node-RED) are in the current year, or the last one if that is in the future. */
function yearless(month: number, day: number, h: number, mi: number, s: number, now: Date): Date {
  const d = new Date(now.getFullYear(), month, day, h, mi, s);
  if (d.getTime() > now.getTime() + 86_400_000) d.setFullYear(now.getFullYear() - 1);
  return d;
}

/** The time stamp at the start of a log line (ISO 8601, syslog `Sep 21 11:40:27`, Node-RED `21 Sep 11:40:27`). */
export function lineTime(line: string, now: Date): Date | undefined {
  const iso = ISO.exec(line);
  if (iso) return isoDate(iso);
  const sys = SYSLOG.exec(line);
  if (sys) return yearless(MONTHS.indexOf(sys[1] ?? ''), Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5]), now);
  const nr = NODE_RED.exec(line);
  if (nr) return yearless(MONTHS.indexOf(nr[2] ?? ''), Number(nr[1]), Number(nr[3]), Number(nr[4]), Number(nr[5]), now);
  return undefined;
}

/** The operation's parameters (`{logFile, dateFrom, dateTo, searchText, maximumLines}`). */
export function parseLogRequest(params: unknown, limits: { defaultLines: number; maxLines: number }): Result<LogRequest> {
  if (typeof params !== 'object' || params === null) return fail('the operation names no log file');
  const p = params as Record<string, unknown>;
  const type = p['logFile'];
  if (typeof type !== 'string' || type.trim() === '') return fail('the operation names no log file');
  const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
  const from = parseRequestDate(str(p['dateFrom']));
  if (!from.ok) return fail(`dateFrom: ${from.error}`);
  const to = parseRequestDate(str(p['dateTo']));
  if (!to.ok) return fail(`dateTo: ${to.error}`);
  if (from.value && to.value && from.value.getTime() > to.value.getTime()) return fail('dateFrom is after dateTo');
  const raw = Number(str(p['maximumLines']) || 0);
  const lines = Number.isFinite(raw) && raw >= 1 ? Math.floor(raw) : limits.defaultLines;
  return ok({
    type: type.trim(),
    from: from.value,
    to: to.value,
    search: str(p['searchText']),
    maxLines: Math.min(lines, limits.maxLines),
  });
}

/**
 * Splits a byte stream into lines (LF or CRLF). A line longer than `maxLineBytes` is cut and
 * marked, so a file without new lines cannot fill the memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer, out: (line: string) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      this.append(chunk.subarray(start, nl < 0 ? chunk.length : nl));
      if (nl < 0) return;
      out(this.take());
      start = nl + 1;
    }
  }

  /** The last line, if the stream did not end with a new line. */
  end(out: (line: string) => void): void {
    if (this.size > 0 || this.cut) out(this.take());
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    const room = this.maxLineBytes - this.size;
    if (b.length > room) {
      if (room > 0) this.parts.push(b.subarray(0, room));
      this.size += Math.max(0, room);
      this.cut = true;
    } else {
      this.parts.push(b);
      this.size += b.length;
    }
  }

  private take(): string {
    let s = Buffer.concat(this.parts).toString('utf8');
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (this.cut) s += ' […line cut]';
    this.parts = [];
    this.size = 0;
    this.cut = false;
    return s;
  }
}

export interface CollectOptions {
  from: Date | undefined;
  to: Date | undefined;
  search: string;
  maxLines: number;
  maxBytes: number;
  now: Date;
  /**
   * `oldest-first`: a file; the newest matching lines are kept, lines without a stamp take the
   * time of the line before. `newest-first`: `journalctl -r`, already filtered by date; indented
   * continuation lines belong to the entry above them; collecting stops when full.
   */
  order: 'oldest-first' | 'newest-first';
}

/** The result of a request: at most `maxLines` lines and `maxBytes` bytes, oldest first. */
export class LogCollector {
  /** Entries (one line, or a journal entry with its continuation lines) and their sizes. */
  private entries: string[] = [];
  private sizes: number[] = [];
  private first = 0;
  private lineCount = 0;
  private bytes = 0;
  private current: Date | undefined;
  private pending: string[] = [];
  private readonly needle: string;
  private done = false;
  /** Matching lines left out to keep within the limits. */
  dropped = 0;

  constructor(private readonly o: CollectOptions) {
    this.needle = o.search.toLowerCase();
  }

  /** Newest-first input: true once the limits are reached, so the reader can stop early. */
  get full(): boolean {
    return this.o.order === 'newest-first' && (this.done || this.lineCount >= this.o.maxLines || this.bytes >= this.o.maxBytes);
  }

  get lines(): number {
    return this.lineCount;
  }

  add(line: string): void {
    if (this.o.order === 'newest-first') {
      if (/^\s/.test(line) && this.pending.length > 0) this.pending.push(line);
      else {
        this.flush();
        this.pending = [line];
      }
      return;
    }
    const t = lineTime(line, this.o.now);
    if (t) this.current = t;
    // Lines before the first stamp cannot be placed in time: they are kept.
    if (this.current && ((this.o.from && this.current < this.o.from) || (this.o.to && this.current > this.o.to))) return;
    if (!this.matches(line)) return;
    this.keep(line, 1);
    while (this.lineCount > this.o.maxLines || this.bytes > this.o.maxBytes) this.dropOldest();
  }

  /** The collected text, oldest line first, each line ending with a new line. */
  text(): string {
    this.flush();
    const live = this.entries.slice(this.first);
    if (this.o.order === 'newest-first') live.reverse();
    return live.map((e) => `${e}\n`).join('');
  }

  private flush(): void {
    const entry = this.pending;
    this.pending = [];
    if (entry.length === 0 || this.full) return;
    const text = entry.join('\n');
    if (!this.matches(text)) return;
    const size = Buffer.byteLength(text) + 1;
    if (this.lineCount + entry.length > this.o.maxLines || this.bytes + size > this.o.maxBytes) {
      this.dropped += entry.length;
      this.done = true; // full: later (older) entries are not wanted either
      return;
    }
    this.keep(text, entry.length);
  }

  private matches(text: string): boolean {
    return this.needle === '' || text.toLowerCase().includes(this.needle);
  }

  private keep(text: string, lines: number): void {
    const size = Buffer.byteLength(text) + 1;
    this.entries.push(text);
    this.sizes.push(size);
    this.lineCount += lines;
    this.bytes += size;
  }

  private dropOldest(): void {
    const size = this.sizes[this.first] ?? 0;
    this.first += 1;
    this.lineCount -= 1;
    this.bytes -= size;
    this.dropped += 1;
    // Compact now and then so a long scan does not keep every line it ever kept.
    if (this.first > 1024 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.sizes = this.sizes.slice(this.first);
      this.first = 0;
    }
  }
}
