/**
 * Issue 7 item 4, Node-RED as a pyaiot gateway for 1 000 devices: simulated pyaiot nodes (a
 * worker with the devices' own broker) announce every 30 s and publish one value a second each;
 * examples/pyaiot-gateway.json as shipped runs in a Node-RED child, discovers them and relays
 * every value into the Cumulocity simulator (in this process) as a child-device measurement.
 * Reported: CPU share of one core and RSS of the Node-RED process over a steady window (goal
 * < 25 %), and devices lost (no value in the window's last 10 s) or falsely reported gone (an
 * event c8y_PyaiotNodeLost) — goal none. Baseline: a bare mqtt.js relay (one `200` line per value,
 * no discovery, no table, no registration, no outbox) on the same traffic, measured the same way.
 *
 * CPU time of all the process's threads from /proc/<pid>/stat; RSS from /proc/<pid>/status. Linux only.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CumulocitySimulator } from '../../test/sim/simulator';
import { profileArgs, type BenchContext } from '../lib/context';
import { Worker } from '../lib/ipc';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { num, ROOT, sleep } from '../lib/util';

const DEV = 'bench-pyaiot-gw';
const RAW = 'bench-pyaiot-raw';
const PW = 'bench-pw';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** CPU time of the whole process (every thread: main, libuv pool, GC helpers), in ms. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime (14) + stime (15)
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface Run {
  cpuShare: number;
  rssMb: number;
  /** Child measurements per second in the window. */
  rate: number;
  lost: number;
  falseOut: number;
}

/** Runs the devices against one relay process until steady, then measures `windowMs`. */
async function measure(
  c8y: CumulocitySimulator,
  ctx: BenchContext,
  n: number,
  windowMs: number,
  root: string,
  startRelay: (brokerUrl: string) => Promise<{ pid: number; stop: () => Promise<void> }>,
): Promise<Run> {
  const devices = Worker.start('pyaiot-devices');
  try {
    const port = num(await devices.request('broker'), 'port');
    const url = `mqtt://127.0.0.1:${port}`;
    const relay = await startRelay(url);
    try {
      await devices.request('start', { url, n });
      const prefix = `${root}-`;
      const seen = (): Set<string> =>
        new Set(c8y.measurements.slice(-3 * n).flatMap((m) => (m.deviceId.startsWith(prefix) ? [m.deviceId] : [])));
      // Steady: every device has had a value relayed.
      await c8y.waitFor(() => seen().size >= n, 180_000, `values of all ${n} devices`);
      ctx.log(`    ${root}: all ${n} devices relayed; measuring ${windowMs / 1000} s`);
      const m0 = c8y.measurements.length;
      const cpu0 = cpuMs(relay.pid);
      const t0 = performance.now();
      await sleep(windowMs);
      const cpu1 = cpuMs(relay.pid);
      const t1 = performance.now();
      const rss = rssMb(relay.pid);
      const windowed = c8y.measurements.slice(m0).filter((m) => m.deviceId.startsWith(prefix));
      const tail = new Set(windowed.slice(-10 * n).map((m) => m.deviceId));
      return {
        cpuShare: ((cpu1 - cpu0) / (t1 - t0)) * 100,
        rssMb: rss,
        rate: windowed.length / ((t1 - t0) / 1000),
        lost: n - tail.size,
        falseOut: c8y.events.filter((e) => e.type === 'c8y_PyaiotNodeLost').length,
      };
    } finally {
      await relay.stop();
    }
  } finally {
    await devices.stop();
  }
}

export async function pyaiot(ctx: BenchContext): Promise<Row[]> {
  const n = 1000;
  const windowMs = ctx.quick ? 30_000 : 150_000;
  const c8y = await CumulocitySimulator.start();
  c8y.addDeviceUser(DEV, PW);
  c8y.addDeviceUser(RAW, PW);
  try {
    ctx.log(`  pyaiot: ${n} devices, check every 30 s, 1 value/s each, through examples/pyaiot-gateway.json into the Cumulocity simulator`);
    const flows = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'pyaiot-gateway.json'), 'utf8')) as object[];
    const ours = await measure(c8y, ctx, n, windowMs, DEV, async (url) => {
      const red = await RedChild.start({
        flows,
        withPackage: true,
        env: {
          PYAIOT_BROKER_URL: url,
          C8Y_HOST: '127.0.0.1',
          C8Y_PORT: String(c8y.port),
          C8Y_PROTOCOL: 'mqtt',
          C8Y_TENANT: c8y.tenant,
          C8Y_DEVICE_ID: DEV,
          C8Y_USER: `device_${DEV}`,
          C8Y_PASSWORD: PW,
        },
        nodeArgs: profileArgs(ctx, 'pyaiot'),
      });
      return { pid: red.pid ?? 0, stop: () => red.stop() };
    });
    const children = c8y.devices.get(DEV)?.children.length ?? 0;
    const base = await measure(c8y, ctx, n, windowMs, RAW, async (url) => {
      const w = Worker.start('pyaiot-relay');
      await w.request('start', {
        url,
        c8yUrl: `mqtt://127.0.0.1:${c8y.port}`,
        deviceId: RAW,
        user: `${c8y.tenant}/device_${RAW}`,
        password: PW,
      });
      return { pid: w.pid ?? 0, stop: () => w.stop() };
    });
    const note =
      `window ${windowMs / 1000} s; relayed ${ours.rate.toFixed(0)} values/s (baseline ${base.rate.toFixed(0)}/s); ` +
      `${children} child devices registered; lost ${ours.lost}, falsely out ${ours.falseOut}`;
    return [
      {
        id: 'Pa',
        what: `pyaiot gateway, ${n} devices at 1 value/s: CPU of Node-RED`,
        unit: '% of one core',
        ours: ours.cpuShare,
        baselineName: 'bare mqtt.js relay',
        baseline: base.cpuShare,
        goal: { kind: 'max', value: 25 },
        note,
      },
      {
        id: 'Pb',
        what: `pyaiot gateway, ${n} devices: RSS of Node-RED`,
        unit: 'MB',
        ours: ours.rssMb,
        baselineName: 'bare mqtt.js relay',
        baseline: base.rssMb,
        goal: { kind: 'none' },
      },
      {
        id: 'Pc',
        what: `pyaiot gateway, ${n} devices: lost or falsely out`,
        unit: 'devices',
        ours: ours.lost + ours.falseOut + (n - children),
        baselineName: 'bare mqtt.js relay (lost)',
        baseline: base.lost,
        goal: { kind: 'max', value: 1 },
      },
    ];
  } finally {
    await c8y.stop();
  }
}
