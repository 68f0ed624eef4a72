/**
 * Issue 8, libpyiotcloud command round trip: the libpyiotcloud simulator (in the orchestrator, on
 * loopback) makes GPIO requests like the cloud's web server, one at a time, each timed from the
 * publish of the request to the arrival of the reply. Ours: examples/libpyiotcloud-device.json as
 * shipped in a Node-RED child (simulated GPIO, the connection node answers itself). Baseline: a
 * bare mqtt.js client in this process answering every request at once with a constant. The seed
 * reports 1.00 s web server ↔ device and 2.01 s from the HTTP client (mostly the cloud's own 1 s
 * sleep); its own device simulator measured 18–38 ms p50 on loopback (libpyiotcloud.md).
 *
 * Not registered in bench/run.ts by this file (another engineer owns it): add `'8': libpyiotcloud`
 * to its LINES to run it with `npm run bench`.
 */
import * as fs from 'node:fs';
import { Socket } from 'node:net';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { LibpyiotcloudSimulator } from '../../test/sim-libpyiotcloud/simulator';
import { profileArgs, type BenchContext } from '../lib/context';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { percentile, ROOT } from '../lib/util';

const OURS = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';
const RAW = 'bench-raw-device';

async function calls(sim: LibpyiotcloudSimulator, deviceId: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const payload = i % 2 === 0 ? { number: i % 28, value: (i / 2) % 2 } : { number: i % 28 };
    const r = await sim.call(i % 2 === 0 ? 'set_gpio' : 'get_gpio', payload, deviceId);
    ms.push(r.ms);
  }
  return ms;
}

async function ours(sim: LibpyiotcloudSimulator, ctx: BenchContext, n: number): Promise<number[]> {
  const flows = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'libpyiotcloud-device.json'), 'utf8')) as object[];
  const red = await RedChild.start({
    flows,
    withPackage: true,
    env: {
      LIBPYIOTCLOUD_URL: `mqtt://127.0.0.1:${sim.port}`,
      LIBPYIOTCLOUD_DEVICE_ID: OURS,
      LIBPYIOTCLOUD_USER: 'guest',
      LIBPYIOTCLOUD_PASSWORD: 'guest',
    },
    nodeArgs: profileArgs(ctx, 'libpyiotcloud'),
  });
  try {
    await sim.waitFor(() => sim.subscribedCount(OURS) > 0, 60_000, 'the example flow to subscribe');
    await calls(sim, OURS, 20); // warm-up
    return await calls(sim, OURS, n);
  } finally {
    await red.stop();
  }
}

async function raw(sim: LibpyiotcloudSimulator, n: number): Promise<number[]> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${sim.port}`, {
    clientId: RAW,
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  });
  try {
    if (c.stream instanceof Socket) c.stream.setNoDelay(true);
    await c.subscribeAsync(`${RAW}/#`, { qos: 1 });
    c.on('message', (topic) => c.publish(`server/${topic}`, '{"number":1,"value":0}', { qos: 1 }, () => undefined));
    await calls(sim, RAW, 20);
    return await calls(sim, RAW, n);
  } finally {
    await c.endAsync(true);
  }
}

export async function libpyiotcloud(ctx: BenchContext): Promise<Row[]> {
  const n = ctx.quick ? 100 : 1000;
  const sim = await LibpyiotcloudSimulator.start({ devices: [OURS, RAW] });
  try {
    ctx.log(`  libpyiotcloud: ${n} GPIO requests to the example flow, then to a bare mqtt.js device`);
    const o = await ours(sim, ctx, n);
    const b = await raw(sim, n);
    if (sim.errors.length > 0) throw new Error(`protocol errors: ${sim.errors.slice(0, 3).join('; ')}`);
    const note = 'seed: 1.00 s web server ↔ device, 2.01 s from the HTTP client; its device simulator 18–38 ms p50 on loopback';
    return [
      {
        id: '8a',
        what: 'libpyiotcloud GPIO round trip p50 (cloud → Node-RED → cloud)',
        unit: 'ms',
        ours: percentile(o, 50),
        baselineName: 'bare mqtt.js device',
        baseline: percentile(b, 50),
        goal: { kind: 'max', value: 200 },
        note,
        samples: { ours: o, baseline: b },
      },
      {
        id: '8b',
        what: 'libpyiotcloud GPIO round trip p99',
        unit: 'ms',
        ours: percentile(o, 99),
        baselineName: 'bare mqtt.js device',
        baseline: percentile(b, 99),
        goal: { kind: 'max', value: 1000 },
        note: 'the cloud reads its mailbox about 1 s after the request: a later reply is lost',
      },
    ];
  } finally {
    await sim.stop();
  }
}
