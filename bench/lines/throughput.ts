/**
 * Line 1, telemetry throughput: records per second counted by one raw subscriber on one broker
 * (aedes, in a child process of its own so that the publishing side has a core to itself, as a
 * device has while its broker runs elsewhere). Variants, each in a fresh child process:
 *
 * - ours, batched: Node-RED (red.js) with generator → measurement node → connection (durable
 *   outbox, QoS 1, records joined by the courier as in production);
 * - ours, unbatched: the same with one record per publish (see probe.ts: bench-only, no switch);
 * - raw mqtt.js QoS 0, one record per publish, pipelined;
 * - Node-RED core: the same generator → function node building the same line → mqtt out (QoS 0).
 *
 * A run starts when the parent presses the inject node (or asks the raw publisher) and ends when
 * the subscriber has counted every record; variants take turns, round after round, and the
 * median round counts.
 */
import { profileArgs, type BenchContext } from '../lib/context';
import { coreThroughput, oursThroughput, RED_ENV } from '../lib/flows';
import { Worker } from '../lib/ipc';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { count, median, now, num, pairedRatio, sleep } from '../lib/util';

interface Variant {
  name: string;
  run(n: number): Promise<void>;
  stop(): Promise<void>;
}

interface Sample {
  rate: number;
  perPublish: number;
  received: number;
}

export async function throughput(ctx: BenchContext): Promise<Row[]> {
  const n = ctx.quick ? 20_000 : 100_000;
  const rounds = ctx.quick ? 2 : 5;
  const broker = Worker.start('broker');
  const variants: Variant[] = [];
  try {
    const port = num(await broker.request('port'), 'port');
    const url = `mqtt://127.0.0.1:${port}`;

    const raw = Worker.start('raw-publisher', profileArgs(ctx, 'throughput-raw'));
    await raw.request('connect', { url, clientId: 'bench-raw' });
    let rawBase = 0;
    variants.push({
      name: 'raw',
      run: async (k) => {
        await raw.request('run', { n: k, base: rawBase, qos: 0, window: 1000 });
        rawBase += k;
      },
      stop: () => raw.stop(),
    });

    const red = async (name: string, flows: object[], clientId: string, startup: boolean, unbatched = false): Promise<void> => {
      const child = await RedChild.start({
        flows,
        withPackage: startup,
        env: RED_ENV,
        unbatched,
        nodeArgs: profileArgs(ctx, `throughput-${name}`),
      });
      await broker.request('awaitClient', { clientId, startup });
      variants.push({ name, run: (k) => child.inject('go', k), stop: () => child.stop() });
    };
    await red('batched', oursThroughput(port, 'bench-batched'), 'bench-batched', true);
    await red('unbatched', oursThroughput(port, 'bench-unbatched'), 'bench-unbatched', true, true);
    await red('core', coreThroughput(port, 'bench-core'), 'bench-core', false);
    await sleep(500); // the agents switch to all lanes once their 500 is acknowledged

    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    const lost: string[] = [];
    const measure = async (v: Variant, k: number): Promise<Sample> => {
      await broker.request('reset');
      const t0 = now();
      const done = broker.request('await', { n: k, idleMs: 5000 }, 600_000);
      await v.run(k);
      const r = await done;
      const received = num(r, 'records');
      const s = { rate: received / ((num(r, 'lastAt') - t0) / 1000), perPublish: received / Math.max(1, num(r, 'publishes')), received };
      if (received < k) {
        lost.push(`${v.name} ${received}/${k}`);
        ctx.log(`  ${v.name}: only ${received} of ${k} records arrived`);
      }
      return s;
    };
    for (const v of variants) await measure(v, n / 4); // warm-up: JIT, sockets, first segment files
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < variants.length; i += 1) {
        const v = variants[(i + round) % variants.length];
        if (!v) continue;
        const s = await measure(v, n);
        samples.get(v.name)?.push(s);
        ctx.log(`  round ${round + 1} ${v.name}: ${Math.round(s.rate)} records/s, ${s.perPublish.toFixed(1)} records/publish`);
      }
    }

    const rates = (name: string): number[] => (samples.get(name) ?? []).map((s) => s.rate);
    const rate = (name: string): number => median(rates(name));
    const perPublish = (name: string): number => median((samples.get(name) ?? []).map((s) => s.perPublish));
    const all = (name: string): number[] => rates(name).map(Math.round);
    const row = (id: string, what: string, ours: string, base: string, baselineName: string, goal: number, note: string): Row => ({
      id,
      what,
      unit: 'rec/s',
      ours: rate(ours),
      baselineName,
      baseline: rate(base),
      pairedRatio: pairedRatio(rates(ours), rates(base)),
      goal: { kind: 'min-ratio', value: goal },
      note,
      samples: { ours: all(ours), baseline: all(base) },
    });
    return [
      row(
        '1a',
        'telemetry, measurement node, batched',
        'batched',
        'raw',
        'raw mqtt.js QoS 0',
        1,
        `${count(n)} records per run after a warm-up run, ${rounds} rounds, variants in rotating order; rates: medians, ratio: median of ` +
          `per-round ratios; ${lost.length === 0 ? 'every record of every run arrived' : `runs short of records: ${lost.join(', ')}`}; ` +
          `${perPublish('batched').toFixed(0)} records per publish`,
      ),
      row(
        '1b',
        'telemetry, measurement node, one record per publish',
        'unbatched',
        'raw',
        'raw mqtt.js QoS 0',
        0.5,
        `${perPublish('unbatched').toFixed(2)} records per publish (the bench sets the batch budget to 0 bytes; the package has no switch)`,
      ),
      row(
        '1c',
        'telemetry, measurement node, batched',
        'batched',
        'core',
        'function + mqtt out QoS 0',
        2,
        `core flow: ${perPublish('core').toFixed(2)} records per publish`,
      ),
    ];
  } finally {
    for (const v of variants) await v.stop().catch((e: unknown) => ctx.log(`  stop ${v.name}: ${String(e)}`));
    await broker.stop();
  }
}
