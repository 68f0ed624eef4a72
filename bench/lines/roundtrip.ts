/**
 * Line 3, operation round trip: the Cumulocity simulator (in the orchestrator, on loopback)
 * creates a c8y_Command operation and delivers it; the time runs until the simulator has the
 * operation SUCCESSFUL. Ours: Node-RED child with operation node → change node (sets a result) →
 * operation status node. Baseline: a bare mqtt.js client in a child that answers `504` + `506` on
 * receipt. Operations are sent one at a time; blocks of ours and the baseline alternate.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { CumulocitySimulator } from '../../test/sim/simulator';
import { profileArgs, type BenchContext } from '../lib/context';
import { BENCH_PASSWORD, BENCH_USER, RED_ENV, roundTrip } from '../lib/flows';
import { Worker } from '../lib/ipc';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { now, percentile } from '../lib/util';

const OURS = 'bench-op';
const RAW = 'bench-op-raw';

/**
 * The simulator's broker leaves Nagle's algorithm on for the sockets it accepts. On loopback
 * that adds about 40 ms to every request/response exchange (a small write waits for the ACK
 * that the peer's delayed-ACK timer holds back), for any client alike: it measured 44 ms p50 for
 * the bare mqtt.js device. Brokers meant for request/response set TCP_NODELAY; so does the bench,
 * for the sockets accepted in this process (only the simulator's), through Node's
 * `net.server.socket` diagnostics channel — nothing of the simulator or of the clients changes.
 */
let noDelayHooked = false;
export function simSocketsNoDelay(): void {
  if (noDelayHooked) return;
  noDelayHooked = true;
  diagnostics.subscribe('net.server.socket', (message: unknown) => {
    const socket = (message as { socket?: Socket }).socket; // the channel's documented message shape
    socket?.setNoDelay(true);
  });
}

/** Resolves when `clientId` has sent the last line of its start-up sequence (`500`). */
export function startedUp(sim: CumulocitySimulator, clientId: string, timeoutMs = 30_000): Promise<void> {
  return sim.waitFor(
    () => sim.received.some((r) => r.clientId === clientId && r.topic === 's/us' && r.payload.toString().startsWith('500')),
    timeoutMs,
    `start-up of ${clientId}`,
  );
}

/** Creates one operation and resolves with the ms until the simulator has it SUCCESSFUL. */
function once(sim: CumulocitySimulator, deviceId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    sim.createOperation(deviceId, 'c8y_Command', { text: 'bench' });
    const op = sim.operations[sim.operations.length - 1];
    if (!op) {
      reject(new Error('operation not created'));
      return;
    }
    const t = setTimeout(() => {
      sim.off('change', check);
      reject(new Error(`operation ${op.id} still ${op.status} after 10 s`));
    }, 10_000);
    function check(): void {
      if (op?.status !== 'SUCCESSFUL') return;
      const ms = now() - t0;
      clearTimeout(t);
      sim.off('change', check);
      resolve(ms);
    }
    sim.on('change', check);
    check();
  });
}

export async function roundtrip(ctx: BenchContext): Promise<Row[]> {
  const blocks = ctx.quick ? 2 : 4;
  const perBlock = ctx.quick ? 100 : 300;
  simSocketsNoDelay();
  const sim = await CumulocitySimulator.start();
  sim.addDeviceUser('bench', BENCH_PASSWORD);
  const reds: RedChild[] = [];
  const raw = Worker.start('raw-device', profileArgs(ctx, 'roundtrip-raw'));
  try {
    const start = async (deviceId: string): Promise<void> => {
      const flows = roundTrip(sim.port, deviceId);
      reds.push(await RedChild.start({ flows, withPackage: true, env: RED_ENV, nodeArgs: profileArgs(ctx, `roundtrip-${deviceId}`) }));
      await startedUp(sim, deviceId);
    };
    await start(OURS);
    await raw.request('responder', { url: sim.url(), clientId: RAW, username: `${sim.tenant}/${BENCH_USER}`, password: BENCH_PASSWORD });
    await startedUp(sim, RAW);

    const devices = [OURS, RAW];
    const samples = new Map<string, number[]>(devices.map((d) => [d, []]));
    const run = async (device: string, count: number, into: number[] | undefined): Promise<void> => {
      for (let i = 0; i < count; i += 1) {
        const ms = await once(sim, device);
        into?.push(ms);
      }
    };
    for (const d of devices) await run(d, 50, undefined); // warm-up
    for (let b = 0; b < blocks; b += 1) {
      for (let i = 0; i < devices.length; i += 1) {
        const d = devices[(i + b) % devices.length] ?? RAW;
        await run(d, perBlock, samples.get(d));
      }
    }
    const ours = samples.get(OURS) ?? [];
    const base = samples.get(RAW) ?? [];
    const p = (xs: number[], q: number): string => percentile(xs, q).toFixed(2);
    ctx.log(`  ours p50 ${p(ours, 50)} p99 ${p(ours, 99)} ms; raw p50 ${p(base, 50)} p99 ${p(base, 99)} ms`);
    const note =
      `${ours.length} operations each, one at a time, ${blocks} rotating blocks; timed at the simulator (create → SUCCESSFUL); ` +
      'simulator sockets with TCP_NODELAY (see roundtrip.ts)';
    const round = (xs: number[]): number[] => xs.map((x) => Math.round(x * 1000) / 1000);
    return [
      {
        id: '3a',
        what: 'operation round trip, p50',
        unit: 'ms',
        ours: percentile(ours, 50),
        baselineName: 'raw mqtt.js device',
        baseline: percentile(base, 50),
        goal: { kind: 'max', value: 2 },
        note,
        samples: { ours: round(ours), baseline: round(base) },
      },
      {
        id: '3b',
        what: 'operation round trip, p99',
        unit: 'ms',
        ours: percentile(ours, 99),
        baselineName: 'raw mqtt.js device',
        baseline: percentile(base, 99),
        goal: { kind: 'max', value: 10 },
      },
    ];
  } finally {
    await raw.stop();
    for (const r of reds) await r.stop();
    await sim.stop();
  }
}
