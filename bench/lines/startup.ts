/**
 * Line 5, start-up: a running Node-RED child with no flows gets a full deploy (admin API, as the
 * editor's Deploy button) of a connection, an operation node and an operation status node for a
 * new device; the time runs until the simulator has received the `500` that ends the start-up
 * sequence (device created, subscriptions made, supported operations sent). Baseline: a bare
 * mqtt.js client in a child process doing the minimal sequence from scratch (connect, s/e, `100`,
 * operation topic, `114`, `500`). Between rounds the flows are removed again (the new connection
 * node gets a fresh outbox store).
 */
import { CumulocitySimulator } from '../../test/sim/simulator';
import { profileArgs, type BenchContext } from '../lib/context';
import { BENCH_PASSWORD, BENCH_USER, RED_ENV, roundTrip } from '../lib/flows';
import { Worker } from '../lib/ipc';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { median, now, sleep } from '../lib/util';
import { simSocketsNoDelay, startedUp } from './roundtrip';

export async function startup(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 7;
  simSocketsNoDelay();
  const sim = await CumulocitySimulator.start();
  sim.addDeviceUser('bench', BENCH_PASSWORD);
  const raw = Worker.start('raw-device', profileArgs(ctx, 'startup-raw'));
  let red: RedChild | undefined;
  try {
    red = await RedChild.start({ flows: [], withPackage: true, env: RED_ENV, nodeArgs: profileArgs(ctx, 'startup-ours') });
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < rounds; r += 1) {
      const device = `bench-start-${r}`;
      let t0 = now();
      await red.deploy(roundTrip(sim.port, device));
      await startedUp(sim, device);
      ours.push(now() - t0);
      await red.deploy([]);

      const rawId = `bench-start-raw-${r}`;
      t0 = now();
      await raw.request('startup', { url: sim.url(), clientId: rawId, username: `${sim.tenant}/${BENCH_USER}`, password: BENCH_PASSWORD });
      await startedUp(sim, rawId);
      base.push(now() - t0);
      await sleep(300);
      ctx.log(`  round ${r + 1}: deploy → 500 ${(ours.at(-1) ?? 0).toFixed(1)} ms, raw ${(base.at(-1) ?? 0).toFixed(1)} ms`);
    }
    return [
      {
        id: '5',
        what: 'start-up: deploy → connected and registered',
        unit: 'ms',
        ours: median(ours),
        baselineName: 'raw mqtt.js start-up',
        baseline: median(base),
        goal: { kind: 'none' },
        note: `median of ${rounds} rounds (first deploy ${(ours[0] ?? 0).toFixed(0)} ms); timed at the simulator until the start-up's last line (500)`,
        samples: { ours: ours.map((x) => Math.round(x * 10) / 10), baseline: base.map((x) => Math.round(x * 10) / 10) },
      },
    ];
  } finally {
    await raw.stop();
    await red?.stop();
    await sim.stop();
  }
}
