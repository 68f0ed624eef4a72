/** Small helpers shared by the bench orchestrator and its child processes. */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** The package root (bench files run from dist/bench/…). */
export const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * Wall-clock time in ms with sub-millisecond resolution, comparable across processes on one
 * machine: the parent stamps the start of a run, the broker child stamps the last record.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A numeric field of an IPC reply; throws when the child sent something else. */
export function num(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number') throw new Error(`expected a number in "${key}", got ${JSON.stringify(v)}`);
  return v;
}

/** Median; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  return Number.isInteger(mid) ? ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2 : (s[Math.floor(mid)] ?? Number.NaN);
}

/** Median of the per-round ratios a[i] ÷ b[i] (runs of one round ran next to each other). */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const r: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && y > 0) r.push(x / y);
  }
  return median(r);
}

/** Nearest-rank percentile (p in 0…100) of an unsorted sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] ?? Number.NaN;
}

/** Runs `gc()` when the process was started with --expose-gc, twice so weak/finalizer garbage goes too. */
export function collect(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

export const MB = 1024 * 1024;

/** A count with thin spaces between thousands, as the table prints numbers: 100 000. */
export function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/**
 * Memory of an idle process once it has settled. Right after a burst V8's young generation is
 * at its largest (up to 2 × 16 MB of semi-space, sized by the allocation rate, not by what is
 * kept) and neither gc() nor a last-resort GC shrinks it; V8's memory reducer does, about 8 s
 * after allocation stops. So: read every 2 s (each read after a full GC), for at least 12 s and
 * until two reads agree within 256 KiB; at most 30 s.
 */
export async function settledMemory<M extends { rss: number }>(read: () => Promise<M> | M): Promise<M> {
  const start = Date.now();
  let last = await read();
  for (;;) {
    await sleep(2000);
    const m = await read();
    const stable = Math.abs(m.rss - last.rss) < 256 * 1024;
    last = m;
    if ((stable && Date.now() - start >= 12_000) || Date.now() - start >= 30_000) return last;
  }
}
