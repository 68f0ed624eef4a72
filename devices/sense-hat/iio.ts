/**
 * IIO sysfs channels (sense-hat.md §6): value = (raw + offset) × scale, with per-channel
 * attributes preferred over the shared ones of the channel type, offset 0 and scale 1 when absent.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Problem } from './interface';

export type Reading = { ok: true; value: number } | { ok: false; problem: Problem };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A sysfs number; anything else (empty, text, several values) is garbage. */
export function parseSysfsNumber(text: string): number | undefined {
  const t = text.replace(/\0/g, '').trim();
  if (!NUMBER.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

async function readAttr(file: string): Promise<Reading | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const what = code === 'EACCES' || code === 'EPERM' ? 'permission' : code === 'EBUSY' ? 'busy' : 'io';
    return { ok: false, problem: { code: what, text: `cannot read ${path.basename(file)}: ${code ?? String(err)}` } };
  }
  const n = parseSysfsNumber(text);
  if (n === undefined)
    return { ok: false, problem: { code: 'garbage', text: `${path.basename(file)} holds "${text.trim().slice(0, 20)}", not a number` } };
  return { ok: true, value: n };
}

/**
 * One channel of an IIO device, e.g. (dir, 'accel_x', 'accel'). Scale and offset are cached per
 * channel until a read fails, so a device that comes back is re-read in full.
 */
export class IioChannel {
  private cal: { scale: number; offset: number } | undefined;

  constructor(
    readonly dir: string,
    readonly channel: string,
    readonly type: string,
  ) {}

  private async attr(suffix: string, fallback: number): Promise<Reading> {
    const own = await readAttr(path.join(this.dir, `in_${this.channel}_${suffix}`));
    if (own) return own;
    if (this.type !== this.channel) {
      const shared = await readAttr(path.join(this.dir, `in_${this.type}_${suffix}`));
      if (shared) return shared;
    }
    return { ok: true, value: fallback };
  }

  async read(): Promise<Reading> {
    let raw = await readAttr(path.join(this.dir, `in_${this.channel}_raw`));
    let processed = false;
    if (!raw) {
      // Some drivers offer only the processed value (same units as raw × scale).
      raw = await readAttr(path.join(this.dir, `in_${this.channel}_input`));
      processed = true;
    }
    if (!raw) return { ok: false, problem: { code: 'missing', text: `${path.basename(this.dir)} has no ${this.channel} channel` } };
    if (!raw.ok) {
      this.cal = undefined;
      return raw;
    }
    if (processed) return raw;
    if (!this.cal) {
      const scale = await this.attr('scale', 1);
      if (!scale.ok) return scale;
      const offset = await this.attr('offset', 0);
      if (!offset.ok) return offset;
      this.cal = { scale: scale.value, offset: offset.value };
    }
    return { ok: true, value: (raw.value + this.cal.offset) * this.cal.scale };
  }

  forget(): void {
    this.cal = undefined;
  }
}

/** Reads several channels; the first failure wins. */
export async function readAll(channels: readonly IioChannel[]): Promise<{ ok: true; values: number[] } | { ok: false; problem: Problem }> {
  const values: number[] = [];
  for (const ch of channels) {
    const r = await ch.read();
    if (!r.ok) {
      channels.forEach((c) => c.forget());
      return r;
    }
    values.push(r.value);
  }
  return { ok: true, values };
}
