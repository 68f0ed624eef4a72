/**
 * Line 2, QoS 1 through the durable outbox (issue 4 "Benchmark"): the transport alone — default
 * store (fsync every 100 ms), courier, MQTT session — in a child process, against raw mqtt.js
 * QoS 1 pipelined (up to 1 000 publishes awaiting PUBACK) in another, on the same broker child,
 * counted by the same subscriber. The goal line sends one record per publish like the baseline, so
 * the ratio is the cost of the store; the batched figure shows what production does with it.
 * Then 100 000 records are queued offline in a fresh process: RSS and heap growth, bytes on disk
 * against the bytes of the payloads, and the time to deliver that backlog once connected.
 */
import { profileArgs, type BenchContext } from '../lib/context';
import { Worker } from '../lib/ipc';
import type { Row } from '../lib/table';
import { count, MB, median, now, num, pairedRatio } from '../lib/util';

/** Records the producer may have stored and not yet acknowledged: the outbox's in-memory window. */
const LEAD = 2000;
const RAW_WINDOW = 1000;

export async function outbox(ctx: BenchContext): Promise<Row[]> {
  const n = ctx.quick ? 20_000 : 100_000;
  const queued = ctx.quick ? 20_000 : 100_000;
  const rounds = ctx.quick ? 2 : 5;
  const broker = Worker.start('broker');
  const raw = Worker.start('raw-publisher', profileArgs(ctx, 'outbox-raw'));
  const ours = Worker.start('outbox', profileArgs(ctx, 'outbox-live'));
  const filler = Worker.start('outbox', profileArgs(ctx, 'outbox-backlog'));
  try {
    const url = `mqtt://127.0.0.1:${num(await broker.request('port'), 'port')}`;
    await raw.request('connect', { url, clientId: 'bench-raw-qos1' });
    let base = 0;
    const lost: string[] = [];
    const timed = async (k: number, start: () => Promise<unknown>): Promise<number> => {
      await broker.request('reset');
      const t0 = now();
      const done = broker.request('await', { n: k, idleMs: 5000 }, 600_000);
      await start();
      const r = await done;
      const received = num(r, 'records');
      if (received < k) {
        lost.push(`${received}/${k}`);
        ctx.log(`  only ${received} of ${k} records arrived`);
      }
      base += k;
      return received / ((num(r, 'lastAt') - t0) / 1000);
    };
    const variants: Record<string, (k: number) => Promise<number>> = {
      raw: (k) => timed(k, () => raw.request('run', { n: k, base, qos: 1, window: RAW_WINDOW })),
      unbatched: async (k) => {
        await ours.request('prepare', { url, clientId: 'bench-outbox-u', batched: false });
        const rate = await timed(k, () => ours.request('go', { n: k, base, lead: LEAD }, 600_000));
        await ours.request('close');
        return rate;
      },
      batched: async (k) => {
        await ours.request('prepare', { url, clientId: 'bench-outbox-b', batched: true });
        const rate = await timed(k, () => ours.request('go', { n: k, base, lead: LEAD }, 600_000));
        await ours.request('close');
        return rate;
      },
    };
    const names = Object.keys(variants);
    const samples = new Map<string, number[]>(names.map((v) => [v, []]));
    for (const name of names) await variants[name]?.(n / 4); // warm-up
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < names.length; i += 1) {
        const name = names[(i + round) % names.length] ?? 'raw';
        const rate = (await variants[name]?.(n)) ?? 0;
        samples.get(name)?.push(rate);
        ctx.log(`  round ${round + 1} ${name}: ${Math.round(rate)} records/s`);
      }
    }

    const fill = await filler.request('fill', { n: queued }, 600_000);
    ctx.log(`  ${num(fill, 'queued')} queued: RSS +${(num(fill, 'rss') / MB).toFixed(1)} MB, disk ${num(fill, 'diskBytes')} B`);
    const drainRate = await timed(queued, () => filler.request('drain', { url, clientId: 'bench-outbox-backlog' }, 600_000));
    ctx.log(`  backlog drained at ${Math.round(drainRate)} records/s`);

    const rate = (v: string): number => median(samples.get(v) ?? []);
    const paired = (v: string): number => pairedRatio(samples.get(v) ?? [], samples.get('raw') ?? []);
    const all = (v: string): number[] => (samples.get(v) ?? []).map(Math.round);
    const common =
      `${count(n)} records per run, producer at most ${count(LEAD)} ahead of PUBACK, ${rounds} rounds in rotating order; ` +
      'rates: medians, ratio: median of per-round ratios; ' +
      (lost.length === 0 ? 'every record of every run arrived' : `runs short of records: ${lost.join(', ')}`);
    const diskRatio = num(fill, 'diskBytes') / num(fill, 'payloadBytes');
    return [
      {
        id: '2a',
        what: 'QoS 1 via durable outbox, one record per publish',
        unit: 'rec/s',
        ours: rate('unbatched'),
        baselineName: `raw mqtt.js QoS 1, ${count(RAW_WINDOW)} in flight`,
        baseline: rate('raw'),
        pairedRatio: paired('unbatched'),
        goal: { kind: 'min-ratio', value: 0.5 },
        note: common,
        samples: { ours: all('unbatched'), baseline: all('raw') },
      },
      {
        id: '2b',
        what: 'QoS 1 via durable outbox, batched (production)',
        unit: 'rec/s',
        ours: rate('batched'),
        baselineName: `raw mqtt.js QoS 1, ${count(RAW_WINDOW)} in flight`,
        baseline: rate('raw'),
        pairedRatio: paired('batched'),
        goal: { kind: 'none' },
        samples: { ours: all('batched'), baseline: all('raw') },
      },
      {
        id: '2c',
        what: `drain of ${count(queued)} records queued offline, batched`,
        unit: 'rec/s',
        ours: drainRate,
        baselineName: `raw mqtt.js QoS 1, ${count(RAW_WINDOW)} in flight`,
        baseline: rate('raw'),
        goal: { kind: 'none' },
        note: 'read back from the segment files, as after an outage',
      },
      {
        id: '2d',
        what: `RAM for ${count(queued)} queued records (RSS growth, settled)`,
        unit: 'MB',
        ours: num(fill, 'rss') / MB,
        baselineName: '',
        baseline: undefined,
        goal: { kind: 'max', value: 20 },
        note:
          `transport alone in a process of its own, settled (idle, full GC) with the records waiting; ` +
          `heap growth ${(num(fill, 'heapUsed') / MB).toFixed(1)} MB; RSS growth right after the burst ${(num(fill, 'rssPeak') / MB).toFixed(1)} MB ` +
          `(V8's young generation at its largest, returned within seconds)`,
      },
      {
        id: '2e',
        what: `disk for ${count(queued)} queued records`,
        unit: '× payload',
        ours: diskRatio,
        baselineName: '',
        baseline: undefined,
        goal: { kind: 'max', value: 2 },
        note: `${count(num(fill, 'diskBytes'))} bytes of segment files and checkpoint for ${count(num(fill, 'payloadBytes'))} bytes of SmartREST payload`,
      },
    ];
  } finally {
    for (const w of [ours, filler, raw]) await w.stop();
    await broker.stop();
  }
}
