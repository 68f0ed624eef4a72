/**
 * A fake host for demos and tests: the /proc and /sys files the Linux source reads, written from
 * plain numbers, so that every reported value can be computed by hand.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export interface FakeHost {
  /** Jiffies of the `cpu` line: user, nice, system, idle, iowait, irq, softirq, steal. */
  cpu: [number, number, number, number, number, number, number, number];
  memTotalKb: number;
  memAvailableKb: number;
  swapTotalKb: number;
  swapFreeKb: number;
  uptimeSec: number;
  /** Milli-°C of a `cpu-thermal` zone (as on a Pi); undefined = no thermal zone. */
  cpuMilliC?: number | undefined;
  /** Bytes per interface, `lo` included (it must not count). */
  net: Record<string, { rx: number; tx: number }>;
  processes: { pid: number; name: string; ticks: number; rssKb: number }[];
}

async function put(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

export async function writeFakeHost(root: string, h: FakeHost): Promise<void> {
  const p = (rel: string): string => path.join(root, rel);
  await put(p('proc/stat'), `cpu  ${h.cpu.join(' ')} 0 0\ncpu0 ${h.cpu.join(' ')} 0 0\nintr 0\n`);
  await put(
    p('proc/meminfo'),
    `MemTotal:       ${h.memTotalKb} kB\nMemFree:        1000 kB\nMemAvailable:   ${h.memAvailableKb} kB\n` +
      `SwapTotal:      ${h.swapTotalKb} kB\nSwapFree:       ${h.swapFreeKb} kB\n`,
  );
  await put(p('proc/uptime'), `${h.uptimeSec.toFixed(2)} 1234.56\n`);
  const head =
    'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const lines = Object.entries(h.net).map(([n, v]) => `${n.padStart(6)}: ${v.rx} 10 0 0 0 0 0 0 ${v.tx} 10 0 0 0 0 0 0`);
  await put(p('proc/net/dev'), head + lines.join('\n') + '\n');
  if (h.cpuMilliC !== undefined) {
    await put(p('sys/class/thermal/thermal_zone0/type'), 'cpu-thermal\n');
    await put(p('sys/class/thermal/thermal_zone0/temp'), `${h.cpuMilliC}\n`);
  }
  for (const pr of h.processes) {
    const fields = [
      'S',
      '1',
      '1',
      '1',
      '0',
      '-1',
      '0',
      '0',
      '0',
      '0',
      '0',
      String(pr.ticks),
      '0',
      '0',
      '0',
      '20',
      '0',
      '1',
      '0',
      '100',
      '1000',
      '10',
    ];
    await put(p(`proc/${pr.pid}/stat`), `${pr.pid} (${pr.name}) ${fields.join(' ')}\n`);
    await put(p(`proc/${pr.pid}/status`), `Name:\t${pr.name}\nVmRSS:\t    ${pr.rssKb} kB\n`);
  }
}

/** A plausible small Pi (1 GiB, one busy Node-RED) for demos and the example flow's test. */
export function demoHost(step = 0): FakeHost {
  return {
    cpu: [1000 + 30 * step, 0, 500 + 10 * step, 8000 + 60 * step, 100, 0, 0, 0],
    memTotalKb: 1024 * 1024,
    memAvailableKb: 512 * 1024,
    swapTotalKb: 100 * 1024,
    swapFreeKb: 90 * 1024,
    uptimeSec: 3600 + step,
    cpuMilliC: 48312,
    net: { lo: { rx: 999, tx: 999 }, eth0: { rx: 10_000 + 500 * step, tx: 5_000 + 100 * step } },
    processes: [
      { pid: 1, name: 'systemd', ticks: 50, rssKb: 9000 },
      { pid: 420, name: 'node-red', ticks: 3000 + 20 * step, rssKb: 120_000 },
    ],
  };
}
