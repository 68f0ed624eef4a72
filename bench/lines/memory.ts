/**
 * Line 4, memory, each figure from Node-RED child processes (red.js), after a full GC once RSS
 * has settled:
 * - bare Node-RED (no package, no flows) against Node-RED with the package loaded, one connection
 *   (connected to the simulator) and ten nodes of the package; alternated, median of the rounds;
 * - RSS growth of one Node-RED while 100 000 records from a measurement node wait in the outbox
 *   (simulator paused), against the same process connected and idle just before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CumulocitySimulator } from '../../test/sim/simulator';
import { decodeFrames } from '../../transport/frame';
import type { BenchContext } from '../lib/context';
import { BENCH_PASSWORD, generator, RED_ENV, tenNodes } from '../lib/flows';
import { RedChild, type Mem } from '../lib/red';
import type { Row } from '../lib/table';
import { count, MB, median, settledMemory, sleep } from '../lib/util';
import { simSocketsNoDelay, startedUp } from './roundtrip';

function settled(red: RedChild): Promise<Mem> {
  return settledMemory(() => red.mem());
}

/** Telemetry records written to the outbox segment files under a Node-RED user directory. */
function recordsOnDisk(userDir: string): number {
  const root = path.join(userDir, 'device-agent', 'outbox');
  if (!fs.existsSync(root)) return 0;
  let n = 0;
  for (const store of fs.readdirSync(root)) {
    for (const f of fs.readdirSync(path.join(root, store))) {
      if (f.startsWith('telemetry-')) n += decodeFrames(fs.readFileSync(path.join(root, store, f))).records.length;
    }
  }
  return n;
}

export async function memory(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 1 : 3;
  const queued = ctx.quick ? 20_000 : 100_000;
  simSocketsNoDelay();
  const sim = await CumulocitySimulator.start();
  sim.addDeviceUser('bench', BENCH_PASSWORD);
  try {
    const bare: number[] = [];
    const ours: number[] = [];
    const withFlows = async (device: string): Promise<number> => {
      const o = await RedChild.start({ flows: tenNodes(sim.port, device), withPackage: true, env: RED_ENV });
      try {
        await startedUp(sim, device);
        return (await settled(o)).rss;
      } finally {
        await o.stop();
      }
    };
    for (let r = 0; r < rounds; r += 1) {
      const b = await RedChild.start({ flows: [], withPackage: false });
      try {
        bare.push((await settled(b)).rss);
      } finally {
        await b.stop();
      }
      ours.push(await withFlows(`bench-mem-${r}`));
      const mb = (xs: number[]): string => ((xs.at(-1) ?? 0) / MB).toFixed(1);
      ctx.log(`  round ${r + 1}: bare ${mb(bare)} MB, with package ${mb(ours)} MB`);
    }

    const device = 'bench-mem-queue';
    const q = await RedChild.start({ flows: [...tenNodes(sim.port, device), ...generator('m0')], withPackage: true, env: RED_ENV });
    let before: Mem;
    let after: Mem;
    try {
      await startedUp(sim, device);
      before = await settled(q);
      await sim.pause();
      await q.inject('go', queued);
      // Bounded: gives up when the count stops growing for 10 s.
      let onDisk = 0;
      for (let still = 0; still < 20 && onDisk < queued;) {
        await sleep(500);
        const n = recordsOnDisk(q.dir);
        still = n === onDisk ? still + 1 : 0;
        onDisk = n;
      }
      if (onDisk < queued) throw new Error(`only ${onDisk} of ${queued} records queued`);
      after = await settled(q);
      ctx.log(`  ${queued} queued: RSS ${(before.rss / MB).toFixed(1)} → ${(after.rss / MB).toFixed(1)} MB`);
    } finally {
      await q.stop();
      await sim.resume();
    }
    return [
      {
        id: '4a',
        what: 'Node-RED + package, 1 connection, 10 nodes (RSS)',
        unit: 'MB',
        ours: median(ours) / MB,
        baselineName: 'bare Node-RED',
        baseline: median(bare) / MB,
        goal: { kind: 'none' },
        samples: { ours: ours.map((x) => Math.round(x / 1024)), baseline: bare.map((x) => Math.round(x / 1024)) },
        note: `child processes, RSS in KiB in the JSON; median of ${rounds} alternating rounds, after a full GC once RSS settled`,
      },
      {
        id: '4b',
        what: 'RSS added by the package, connection and 10 nodes',
        unit: 'MB',
        ours: (median(ours) - median(bare)) / MB,
        baselineName: '',
        baseline: undefined,
        goal: { kind: 'max', value: 15 },
      },
      {
        id: '4d',
        what: `RSS growth with ${count(queued)} records queued (Node-RED)`,
        unit: 'MB',
        ours: (after.rss - before.rss) / MB,
        baselineName: 'same process, idle, before',
        baseline: undefined,
        goal: { kind: 'none' },
        note: `${(before.rss / MB).toFixed(1)} → ${(after.rss / MB).toFixed(1)} MB RSS, heap ${(before.heapUsed / MB).toFixed(1)} → ${(after.heapUsed / MB).toFixed(1)} MB; simulator paused, records from a measurement node`,
      },
    ];
  } finally {
    await sim.stop();
  }
}
