/**
 * Issue 11, remote-access tunnel throughput: a user's socket → the simulator's remote-access
 * endpoint → the device's WebSocket → a local echo server and back, 10 MiB each way per round
 * (both directions at once), compared byte for byte. Ours: examples/cumulocity-remote-access.json
 * with the echo server allowed, in a Node-RED child (the 530 travels over MQTT, SUCCESSFUL comes
 * back before the bytes flow). Baseline: a bare `ws` device in this process that pipes the
 * WebSocket to the echo server with stream.pipeline as soon as the simulator offers a key — the
 * simulator's own cost, without MQTT, checks or back-pressure code of ours.
 *
 * Not registered in bench/run.ts by this file (another engineer owns it): add
 * `'11': remoteAccess` to its LINES to run it with `npm run bench`.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { SimPlatformHttp } from '../../test/sim/platform-http';
import { CumulocitySimulator } from '../../test/sim/simulator';
import { connect, echoServer, randomData, roundTrip, type EchoServer } from '../../test/support/tunnel';
import { profileArgs, type BenchContext } from '../lib/context';
import { RedChild } from '../lib/red';
import type { Row } from '../lib/table';
import { median, MB, ROOT } from '../lib/util';

const DEV = 'bench-remote';
const PASSWORD = 'bench-pw';

interface Round {
  /** MB/s (10^6 bytes) in each direction. */
  rate: number;
  /** User connected → tunnel usable (ours: operation SUCCESSFUL; baseline: WebSocket paired). */
  openMs: number;
}

async function rounds(
  sim: CumulocitySimulator,
  web: SimPlatformHttp,
  echo: EchoServer,
  n: number,
  bytes: number,
  ours: boolean,
): Promise<Round[]> {
  const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', echo.port);
  const out: Round[] = [];
  try {
    for (let i = 0; i < n; i += 1) {
      const index = web.tunnels.length;
      const t0 = Date.now();
      const user = await connect(ep.port);
      await web.waitFor(() => (web.tunnels[index]?.operationId ?? '') !== '', 10_000, '530');
      const t = web.tunnels[index]!;
      if (ours) await sim.waitFor(() => sim.operation(t.operationId)?.status === 'SUCCESSFUL', 30_000, 'SUCCESSFUL');
      else await web.waitFor(() => t.state === 'open', 10_000, 'paired');
      const openMs = Date.now() - t0;
      const data = randomData(bytes);
      const { received, ms } = await roundTrip(user, data);
      if (!received.equals(data)) throw new Error('the echo differs from what was sent');
      out.push({ rate: bytes / 1e6 / (ms / 1000), openMs });
      user.destroy();
      await web.waitFor(() => t.state === 'closed', 10_000, 'tunnel closed');
    }
  } finally {
    await ep.close();
  }
  return out;
}

async function ours(
  sim: CumulocitySimulator,
  web: SimPlatformHttp,
  echo: EchoServer,
  ctx: BenchContext,
  n: number,
  bytes: number,
): Promise<Round[]> {
  const flows = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'cumulocity-remote-access.json'), 'utf8')) as Record<
    string,
    unknown
  >[];
  for (const f of flows) if (f['type'] === 'device-agent-remote-access') f['allow'] = `127.0.0.1:${echo.port}`;
  const red = await RedChild.start({
    flows,
    withPackage: true,
    env: {
      C8Y_HOST: '127.0.0.1',
      C8Y_PORT: String(sim.port),
      C8Y_PROTOCOL: 'mqtt',
      C8Y_TENANT: sim.tenant,
      C8Y_DEVICE_ID: DEV,
      C8Y_USER: `device_${DEV}`,
      C8Y_PASSWORD: PASSWORD,
      C8Y_HTTP_URL: web.url(),
    },
    nodeArgs: profileArgs(ctx, 'remote-access'),
  });
  try {
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true, 60_000, '114');
    await rounds(sim, web, echo, 1, MB, true); // warm-up
    return await rounds(sim, web, echo, n, bytes, true);
  } finally {
    await red.stop();
  }
}

/** A device without our code: every offered key gets a WebSocket piped to the echo server. */
async function bare(sim: CumulocitySimulator, web: SimPlatformHttp, echo: EchoServer, n: number, bytes: number): Promise<Round[]> {
  const handled = new Set<string>();
  const sockets: WebSocket[] = [];
  const auth = `Basic ${Buffer.from(`${sim.tenant}/device_${DEV}:${PASSWORD}`).toString('base64')}`;
  const onChange = (): void => {
    for (const t of web.tunnels) {
      if (t.state !== 'waiting' || handled.has(t.key)) continue;
      handled.add(t.key);
      const ws = new WebSocket(`ws://127.0.0.1:${web.port}/service/remoteaccess/device/${t.key}`, ['binary'], {
        headers: { Authorization: auth },
        perMessageDeflate: false,
      });
      sockets.push(ws);
      ws.on('error', () => undefined);
      ws.once('open', () => {
        const tcp = net.connect(echo.port, '127.0.0.1');
        const stream = createWebSocketStream(ws);
        pipeline(stream, tcp, () => undefined);
        pipeline(tcp, stream, () => undefined);
      });
    }
  };
  web.on('change', onChange);
  try {
    await rounds(sim, web, echo, 1, MB, false);
    return await rounds(sim, web, echo, n, bytes, false);
  } finally {
    web.off('change', onChange);
    for (const ws of sockets) ws.terminate();
  }
}

export async function remoteAccess(ctx: BenchContext): Promise<Row[]> {
  const n = ctx.quick ? 2 : 5;
  const bytes = 10 * MB;
  const sim = await CumulocitySimulator.start();
  sim.addDeviceUser(DEV, PASSWORD);
  const web = await SimPlatformHttp.start(sim);
  const echo = await echoServer();
  try {
    ctx.log(`  remote access: ${n} rounds of 10 MiB each way through the example flow, then through a bare ws device`);
    const o = await ours(sim, web, echo, ctx, n, bytes);
    const b = await bare(sim, web, echo, n, bytes);
    const rate = (rs: Round[]): number[] => rs.map((r) => r.rate);
    const open = (rs: Round[]): number[] => rs.map((r) => r.openMs);
    return [
      {
        id: '11a',
        what: 'remote-access tunnel throughput, each way (10 MiB echo, byte for byte)',
        unit: 'MB/s',
        ours: median(rate(o)),
        baselineName: 'bare ws device (pipeline)',
        baseline: median(rate(b)),
        goal: { kind: 'min-ratio', value: 0.5 },
        note: 'both directions at once, through the simulator on loopback; the platform and the link limit real tunnels',
        samples: { ours: rate(o), baseline: rate(b) },
      },
      {
        id: '11b',
        what: 'remote-access tunnel open (user connects → SUCCESSFUL)',
        unit: 'ms',
        ours: median(open(o)),
        baselineName: 'bare ws device (no MQTT, no status)',
        baseline: median(open(b)),
        goal: { kind: 'max', value: 1000 },
        samples: { ours: open(o), baseline: open(b) },
      },
    ];
  } finally {
    await echo.close();
    await web.stop();
    await sim.stop();
  }
}
