/**
 * Cost of one system information reading (issue 5: "cheap enough every few seconds on a Pi Zero"):
 * CPU time of this process per reading and the longest event-loop stall, for the /proc reader the
 * node uses on Linux and for systeminformation. Not a test (no pass/fail): run
 * `node dist/test/unit/devices/system-info-bench.js` after a build.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SystemSelection, SystemSource } from '../../../devices/system-info/interface';
import { ProcSystemSource } from '../../../devices/system-info/linux';
import { PortableSystemSource } from '../../../devices/system-info/portable';

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

async function bench(name: string, src: SystemSource, sel: SystemSelection, n: number): Promise<void> {
  await src.prime(sel);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) await src.read(sel);
  const wall = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  const ms = (cpu.user + cpu.system) / 1000 / n;
  console.log(
    `${name.padEnd(40)} ${wall.toFixed(1).padStart(7)} ms wall ${ms.toFixed(1).padStart(7)} ms CPU ${(h.max / 1e6).toFixed(1).padStart(7)} ms max stall`,
  );
}

async function main(): Promise<void> {
  await bench('/proc reader, everything', new ProcSystemSource('/'), ALL, 50);
  await bench('/proc reader, without processes', new ProcSystemSource('/'), { ...ALL, processes: false }, 50);
  await bench('systeminformation, everything', new PortableSystemSource(), ALL, 10);
}

void main();
