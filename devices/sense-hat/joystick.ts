/**
 * The joystick's evdev node (sense-hat.md §9): binary `struct input_event`s, EV_KEY with codes
 * UP 103, DOWN 108, LEFT 105, RIGHT 106, ENTER 28 and values 0/1/2. Read without blocking the
 * libuv pool: O_NONBLOCK, EAGAIN or an empty read means "nothing yet", poll again shortly.
 */
import { constants } from 'node:fs';
import type { promises as fsp } from 'node:fs';
import type { JoystickEvent, JoystickKey, KeyState, Problem } from './interface';
import { defaultOpen, type OpenFile } from './display';
import { fileProblem } from './discover';

export const EV_KEY = 1;
export const KEY_CODES: Readonly<Record<number, JoystickKey>> = { 103: 'UP', 108: 'DOWN', 105: 'LEFT', 106: 'RIGHT', 28: 'ENTER' };
export const CODE_OF: Readonly<Record<JoystickKey, number>> = { UP: 103, DOWN: 108, LEFT: 105, RIGHT: 106, ENTER: 28 };

/** 24 bytes where `long` is 64-bit (arm64, x64), 16 on 32-bit ARM and x86. */
export function eventSizeFor(arch: string = process.arch): 16 | 24 {
  return arch === 'arm' || arch === 'ia32' ? 16 : 24;
}

/** One input_event in the native (little-endian) layout; for tests and the simulated board. */
export function encodeEvent(type: number, code: number, value: number, timeMs: number, size: 16 | 24 = eventSizeFor()): Buffer {
  const b = Buffer.alloc(size);
  const sec = Math.floor(timeMs / 1000);
  const usec = Math.round((timeMs % 1000) * 1000);
  if (size === 24) {
    b.writeBigInt64LE(BigInt(sec), 0);
    b.writeBigInt64LE(BigInt(usec), 8);
  } else {
    b.writeInt32LE(sec, 0);
    b.writeInt32LE(usec, 4);
  }
  b.writeUInt16LE(type, size - 8);
  b.writeUInt16LE(code, size - 6);
  b.writeInt32LE(value, size - 4);
  return b;
}

/** A key change followed by EV_SYN, as the driver reports it. */
export function keyEvent(key: JoystickKey, state: KeyState, timeMs: number, size: 16 | 24 = eventSizeFor()): Buffer {
  return Buffer.concat([encodeEvent(EV_KEY, CODE_OF[key], state, timeMs, size), encodeEvent(0, 0, 0, timeMs, size)]);
}

/** Joystick events in whole structs; other event types and codes are skipped. `rest` = bytes of a partial struct. */
export function decodeEvents(buf: Buffer, size: 16 | 24): { events: JoystickEvent[]; rest: number } {
  const events: JoystickEvent[] = [];
  const whole = buf.length - (buf.length % size);
  for (let off = 0; off < whole; off += size) {
    const sec = size === 24 ? Number(buf.readBigInt64LE(off)) : buf.readInt32LE(off);
    const usec = size === 24 ? Number(buf.readBigInt64LE(off + 8)) : buf.readInt32LE(off + 4);
    const type = buf.readUInt16LE(off + size - 8);
    const key = KEY_CODES[buf.readUInt16LE(off + size - 6)];
    const value = buf.readInt32LE(off + size - 4);
    if (type === EV_KEY && key && (value === 0 || value === 1 || value === 2))
      events.push({ key, state: value, time: sec * 1000 + usec / 1000 });
  }
  return { events, rest: buf.length - whole };
}

export interface JoystickHandlers {
  event(e: JoystickEvent): void;
  problem(p: Problem): void;
  /** The stream delivers again after a problem. */
  recovered(): void;
}

/**
 * Polls the joystick's evdev node, found again by `locate` whenever it has to be (re)opened.
 * Real devices return whole events per read; bytes of a partial event can only come from a
 * broken writer, so they are dropped with a problem and the next read is aligned again.
 */
export class JoystickReader {
  private fh: fsp.FileHandle | undefined;
  private file = '';
  /** Read position in a regular file (the simulated board); null for a device. */
  private pos: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The problem last reported; the initial value makes the first successful open report `recovered`. */
  private problemText: string | undefined = 'not opened yet';
  private readonly buf: Buffer;

  constructor(
    private readonly root: string,
    private readonly locate: () => Promise<string | { problem: Problem }>,
    private readonly on: JoystickHandlers,
    private readonly size: 16 | 24 = eventSizeFor(),
    private readonly open: OpenFile = defaultOpen,
    private readonly pollMs = 20,
  ) {
    this.buf = Buffer.alloc(64 * size);
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** Reports a problem once, not on every retry. */
  private fail(p: Problem): void {
    if (this.problemText === p.text) return;
    this.problemText = p.text;
    this.on.problem(p);
  }

  private ok(): void {
    if (this.problemText === undefined) return;
    this.problemText = undefined;
    this.on.recovered();
  }

  private async tick(): Promise<void> {
    try {
      if (!this.fh) {
        const found = await this.locate();
        if (typeof found !== 'string') {
          this.fail(found.problem);
          this.schedule(1000);
          return;
        }
        this.file = found;
        this.fh = await this.open(found, constants.O_RDONLY | constants.O_NONBLOCK);
        if (this.stopped) return void (await this.fh.close());
        // A file's old content is history, not presses: start at its end, like a device.
        const st = await this.fh.stat();
        this.pos = st.isFile() ? st.size : null;
        if (!this.problemText?.startsWith('truncated')) this.ok();
      }
      let bytesRead = await this.readChunk(this.fh);
      while (bytesRead > 0 && !this.stopped) {
        const { events, rest } = decodeEvents(this.buf.subarray(0, bytesRead), this.size);
        if (rest === 0) this.ok();
        for (const e of events) this.on.event(e);
        if (rest > 0) this.fail({ code: 'garbage', text: `truncated input event: ${rest} stray bytes dropped` });
        bytesRead = await this.readChunk(this.fh);
      }
      this.schedule(this.pollMs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        this.schedule(this.pollMs);
        return;
      }
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close().catch(() => undefined);
      if (this.stopped) return;
      this.fail(await fileProblem(this.root, this.file, 'input', err));
      this.schedule(1000); // the device may come back (driver reloaded, permission granted)
    }
  }

  private async readChunk(fh: fsp.FileHandle): Promise<number> {
    const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, this.pos);
    if (this.pos !== null) this.pos += bytesRead;
    return bytesRead;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}
