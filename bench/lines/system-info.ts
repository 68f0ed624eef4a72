/**
 * Issue 5 / issue 12 item 6, cost of one system information reading ("cheap enough to run every
 * few seconds on a Pi Zero"): CPU time of this process per full reading and the longest
 * event-loop stall, for the /proc reader the node uses on Linux (ours) and for the
 * systeminformation package (baseline), taking turns in the same process on the same host.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SystemSelection, SystemSource } from '../../devices/system-info/interface';
import { ProcSystemSource } from '../../devices/system-info/linux';
import { PortableSystemSource } from '../../devices/system-info/portable';
import type { BenchContext } from '../lib/context';
import type { Row } from '../lib/table';

const ALL: SystemSelection = {
  cpu: true,
  temperature: true,
  memory: true,
  disk: true,
  network: true,
  uptime: true,
  processes: true,
  disks: ['/'],
  top: 5,
};

interface Cost {
  cpuMs: number;
  stallMs: number;
}

async function measure(src: SystemSource, n: number): Promise<Cost> {
  await src.prime(ALL);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i += 1) await src.read(ALL);
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  return { cpuMs: (cpu.user + cpu.system) / 1000 / n, stallMs: h.max / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function systemInfo(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 2 : 5;
  const ours: Cost[] = [];
  const base: Cost[] = [];
  for (let r = 0; r < rounds; r += 1) {
    ours.push(await measure(new ProcSystemSource('/'), ctx.quick ? 10 : 40));
    base.push(await measure(new PortableSystemSource(), ctx.quick ? 3 : 8));
  }
  const cpu = median(ours.map((c) => c.cpuMs));
  const cpuBase = median(base.map((c) => c.cpuMs));
  const stall = median(ours.map((c) => c.stallMs));
  const stallBase = median(base.map((c) => c.stallMs));
  ctx.log(`system information: ours ${cpu.toFixed(2)} ms CPU/reading, systeminformation ${cpuBase.toFixed(2)} ms`);
  return [
    {
      id: 'S1',
      what: 'system information: CPU per full reading',
      unit: 'ms',
      ours: cpu,
      baselineName: 'systeminformation package',
      baseline: cpuBase,
      goal: { kind: 'max', value: 10 },
      note: `median of ${rounds} rounds; CPU of this process only (systeminformation also spawns shell commands, not counted); a Pi Zero is roughly 10-20x slower`,
      samples: { ours: ours.map((c) => c.cpuMs), baseline: base.map((c) => c.cpuMs) },
    },
    {
      id: 'S2',
      what: 'system information: longest event-loop stall',
      unit: 'ms',
      ours: stall,
      baselineName: 'systeminformation package',
      baseline: stallBase,
      goal: { kind: 'none' },
      samples: { ours: ours.map((c) => c.stallMs), baseline: base.map((c) => c.stallMs) },
    },
  ];
}
