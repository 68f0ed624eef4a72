import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFrames, frameLength, type StoredRecord } from './frame';

interface Segment {
  /** Index of its first record; also its file name: `<lane>-<first>.log`. */
  first: number;
  file: string;
  size: number;
}

/** What is known to be done (acknowledged or dropped) in a lane: everything below `below`, plus `above`. */
export interface DoneState {
  below: number;
  above: number[];
}

/**
 * The append-only log of one outbox lane: segment files of about `segmentBytes`, records
 * numbered 0, 1, 2 … in order. Done records are tracked as a watermark plus the few done above
 * it; a segment is deleted once the persisted watermark has passed all of it. Pure file work,
 * synchronous: callers batch appends.
 */
export class LaneLog {
  private segments: Segment[] = [];
  private fd: number | undefined;
  private dirty = false;
  private nextIdx = 0;
  private below = 0;
  private readonly above = new Set<number>();
  private readSeg = 0;
  private readOff = 0;
  /** Records lost to corruption found while reading (not torn tails, which are expected). */
  corrupt = 0;

  constructor(
    private readonly dir: string,
    private readonly lane: string,
    private readonly segmentBytes: number,
  ) {}

  /** Opens the log: drops segments already done, cuts a torn tail. Returns the bytes cut. */
  open(done: DoneState): number {
    this.below = done.below;
    for (const i of done.above) if (i >= done.below) this.above.add(i);
    const re = new RegExp(`^${this.lane}-(\\d+)\\.log$`);
    this.segments = fs
      .readdirSync(this.dir)
      .map((f) => ({ f, m: re.exec(f) }))
      .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
      .map(({ f, m }) => ({ first: Number(m[1]), file: path.join(this.dir, f), size: fs.statSync(path.join(this.dir, f)).size }))
      .sort((a, b) => a.first - b.first);
    let cut = 0;
    const last = this.segments.at(-1);
    if (last) {
      const buf = fs.readFileSync(last.file);
      const d = decodeFrames(buf);
      if (d.used < buf.length) {
        fs.truncateSync(last.file, d.used);
        cut = buf.length - d.used;
        last.size = d.used;
      }
      const lastRec = d.records.at(-1);
      this.nextIdx = lastRec ? lastRec.record.idx + 1 : last.first;
    }
    this.nextIdx = Math.max(this.nextIdx, this.below);
    this.deleteDone();
    this.readSeg = 0;
    this.readOff = 0;
    return cut;
  }

  get next(): number {
    return this.nextIdx;
  }

  /** Records stored and not done (in flight included). */
  get live(): number {
    return this.nextIdx - this.below - this.above.size;
  }

  get bytes(): number {
    let b = 0;
    for (const s of this.segments) b += s.size;
    return b;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** First index of the second-oldest segment (the oldest segment ends below it), if any. */
  get oldestSegmentEnd(): number | undefined {
    return this.segments[1]?.first;
  }

  /** Reserves the next index for a record about to be appended. */
  allocate(): number {
    return this.nextIdx++;
  }

  /** True when the reader has read everything written so far. */
  get caughtUp(): boolean {
    const last = this.segments.length - 1;
    return last < 0 || (this.readSeg === last && this.readOff >= (this.segments[last]?.size ?? 0)) || this.readSeg > last;
  }

  /**
   * Appends encoded frames (records `firstIdx`, `firstIdx + 1` …) to the tail, starting a new
   * segment whenever the next frame would take the tail past `segmentBytes` (a frame larger than
   * that gets a segment of its own). `skipRead` moves the reader past them (the caller keeps
   * them in memory).
   */
  append(frames: readonly Buffer[], firstIdx: number, skipRead: boolean): void {
    let i = 0;
    while (i < frames.length) {
      let tail = this.segments.at(-1);
      const firstLen = frames[i]?.length ?? 0;
      if (!tail || (tail.size > 0 && tail.size + firstLen > this.segmentBytes)) tail = this.rotate(firstIdx + i);
      let room = this.segmentBytes - tail.size;
      const chunk: Buffer[] = [];
      do {
        const f = frames[i];
        if (!f) break;
        chunk.push(f);
        room -= f.length;
        i += 1;
      } while (i < frames.length && (frames[i]?.length ?? 0) <= room);
      if (this.fd === undefined) this.fd = fs.openSync(tail.file, 'a');
      const buf = chunk.length === 1 && chunk[0] ? chunk[0] : Buffer.concat(chunk);
      fs.writeSync(this.fd, buf);
      tail.size += buf.length;
      this.dirty = true;
    }
    if (skipRead) {
      this.readSeg = this.segments.length - 1;
      this.readOff = this.segments.at(-1)?.size ?? 0;
    }
  }

  /** Starts a new tail segment whose first record will be `firstIdx`. */
  rotate(firstIdx = this.nextIdx): Segment {
    this.closeFd();
    const seg = { first: firstIdx, file: path.join(this.dir, `${this.lane}-${firstIdx}.log`), size: 0 };
    fs.writeFileSync(seg.file, '');
    this.segments.push(seg);
    return seg;
  }

  /** Reads up to `max` records that are not done, from where the reader stands. */
  read(max: number): StoredRecord[] {
    const out: StoredRecord[] = [];
    while (out.length < max && this.readSeg < this.segments.length) {
      const seg = this.segments[this.readSeg];
      if (!seg) break;
      if (this.readOff >= seg.size) {
        if (this.readSeg === this.segments.length - 1) break;
        this.readSeg += 1;
        this.readOff = 0;
        continue;
      }
      const buf = this.readAt(seg, this.readOff, Math.min(seg.size - this.readOff, 256 * 1024));
      const d = decodeFrames(buf, max - out.length);
      if (d.corrupt || (d.used === 0 && buf.length > 0 && (frameLength(buf) ?? Infinity) > seg.size - this.readOff)) {
        // A damaged segment in the middle of the log: skip the rest of it and say how much.
        this.corrupt += 1;
        this.readOff = seg.size;
        continue;
      }
      if (d.used === 0) {
        // One frame larger than the chunk read: read exactly that frame.
        const len = frameLength(buf) ?? 0;
        const whole = decodeFrames(this.readAt(seg, this.readOff, len), 1);
        if (whole.records.length === 0) {
          this.corrupt += 1;
          this.readOff = seg.size;
          continue;
        }
        this.take(whole.records, out);
        this.readOff += whole.used;
        continue;
      }
      this.take(d.records, out);
      this.readOff += d.used;
    }
    return out;
  }

  isDone(idx: number): boolean {
    return idx < this.below || this.above.has(idx);
  }

  /** Marks a record acknowledged or dropped. */
  markDone(idx: number): void {
    if (this.isDone(idx)) return;
    this.above.add(idx);
    while (this.above.delete(this.below)) this.below += 1;
  }

  doneState(): DoneState {
    return { below: this.below, above: [...this.above] };
  }

  /** Flushes written data to the device. */
  sync(): void {
    if (this.fd !== undefined && this.dirty) fs.fsyncSync(this.fd);
    this.dirty = false;
  }

  /** Deletes sealed segments that lie wholly below `persistedBelow` (a watermark already on disk). */
  deleteDone(persistedBelow = this.below): void {
    while (this.segments.length > 1) {
      const next = this.segments[1];
      const first = this.segments[0];
      if (!next || !first || next.first > persistedBelow) break;
      if (this.readSeg === 0) this.readOff = 0;
      else this.readSeg -= 1;
      fs.rmSync(first.file, { force: true });
      this.segments.shift();
    }
  }

  close(): void {
    this.sync();
    this.closeFd();
  }

  private take(records: { record: StoredRecord }[], out: StoredRecord[]): void {
    for (const { record } of records) if (!this.isDone(record.idx)) out.push(record);
  }

  private readAt(seg: Segment, off: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    const fd = fs.openSync(seg.file, 'r');
    try {
      const n = fs.readSync(fd, buf, 0, len, off);
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    if (this.dirty) fs.fsyncSync(this.fd);
    this.dirty = false;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
