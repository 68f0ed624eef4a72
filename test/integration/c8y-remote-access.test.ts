/**
 * Remote access end to end (issue 11): a `c8y_RemoteAccessConnect` from the simulated platform
 * over MQTT, the remote-access node in the Node-RED runtime, the simulator's remote-access
 * WebSocket and a local echo server. Real bytes, compared byte for byte.
 */
import { strict as assert } from 'node:assert';
import type * as net from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { eventually } from '../sim/clients';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings, type TestNode } from '../support/red';
import { closedSocket, connect, echoServer, mbps, randomData, refusedPort, roundTrip, type EchoServer } from '../support/tunnel';

const DEV = 'rpi-remote';
const NODES: unknown[] = [...ALL_NODES, require('../../nodes/remote-access')];

interface Opts {
  allow: string;
  maxTunnels?: string;
  mode?: 'id' | 'static';
}

describe('remote access through the flow (Cumulocity simulator)', { timeout: 180_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let echo: EchoServer;
  let cleanup: () => void;
  /** Everything our nodes logged, showed or sent, to check that no connection key leaks. */
  let seen: string[];
  let statuses: Record<string, unknown>[] = [];
  const users: net.Socket[] = [];

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    web = await SimPlatformHttp.start(sim);
    echo = await echoServer();
    cleanup = useSettings().cleanup;
    seen = [];
  });
  afterEach(async () => {
    const logged = (helper as unknown as { log(): { args: unknown[][] } | undefined }).log()?.args ?? [];
    seen.push(...logged.map((a) => JSON.stringify(a)));
    const keys = web.tunnels.map((t) => t.key);
    for (const k of keys) assert.ok(!seen.some((text) => text.includes(k)), 'a connection key appeared in a log, status or message');
    await helper.unload();
    for (const u of users.splice(0)) u.destroy();
    await web.stop();
    await echo.close();
    await sim.stop();
    cleanup();
  });

  async function load(o: Opts): Promise<TestNode> {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, operationMode: o.mode ?? 'id', httpUrl: web.url() });
    const flow = [
      node,
      {
        id: 'ra',
        type: 'device-agent-remote-access',
        connection: 'conn',
        allow: o.allow,
        maxTunnels: o.maxTunnels ?? '4',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(NODES, flow, credentials);
    const ra = helper.getNode('ra')!;
    const ready = statusMatching(ra, (s) => s['fill'] === 'green', 8000);
    statuses = [];
    ra.on('call:status', (c: { args: [Record<string, unknown>] }) => statuses.push(c.args[0]));
    for (const n of [ra, helper.getNode('conn')!]) {
      for (const what of ['log', 'warn', 'error', 'status', 'send']) {
        n.on(`call:${what}`, (c: { args: unknown[] }) => seen.push(JSON.stringify(c.args)));
      }
    }
    await ready;
    await sim.waitFor(
      () => sim.devices.get(DEV)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true,
      8000,
      '114 with remote access',
    );
    return ra;
  }

  /** Green ring: connected, no tunnel open; green dot: tunnels open (the count is in the text). */
  const shape = (): unknown => statuses[statuses.length - 1]?.['shape'];

  /** The operator opens a connection: one 530 per user socket. */
  async function open(port: number): Promise<{ user: net.Socket; opId: string }> {
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', port);
    const n = web.tunnels.length;
    const user = await connect(ep.port);
    users.push(user);
    await web.waitFor(() => (web.tunnels[n]?.operationId ?? '') !== '', 3000, '530 created');
    return { user, opId: web.tunnels[n]!.operationId };
  }

  const finalStatus = (id: string): Promise<void> =>
    sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 10_000, `final status of ${id}`);

  it('moves 10 MB each way to a local echo server, reporting SUCCESSFUL while the tunnel is open', async () => {
    const ra = await load({ allow: `127.0.0.1:${echo.port}` });
    const { user, opId } = await open(echo.port);
    await finalStatus(opId);
    assert.deepEqual(sim.operation(opId)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
    assert.equal(web.tunnels[0]?.state, 'open', 'still open after SUCCESSFUL');
    const data = randomData(10 * 1024 * 1024);
    const { received, ms } = await roundTrip(user, data);
    assert.ok(received.equals(data), 'the echo came back byte for byte');
    assert.equal(web.tunnels[0]?.toDevice, data.length);
    assert.equal(web.tunnels[0]?.fromDevice, data.length);
    console.log(`# remote access through the simulator: 10 MiB each way in ${ms} ms, ${mbps(data.length, ms)} MB/s each way`);
    const closedMsg = new Promise<Record<string, unknown>>((resolve) =>
      helper.getNode('out')!.on('input', (m: Record<string, unknown>) => {
        if (m['topic'] === 'closed') resolve(m);
      }),
    );
    assert.equal(shape(), 'dot');
    const zero = statusMatching(ra, (s) => s['fill'] === 'green' && s['shape'] === 'ring', 5000);
    user.end();
    const m = await closedMsg;
    const p = m['payload'] as Record<string, unknown>;
    assert.equal(p['target'], `127.0.0.1:${echo.port}`);
    assert.equal(p['bytesUp'], data.length);
    await zero;
  });

  it('runs several tunnels at once, each intact', async () => {
    await load({ allow: `127.0.0.1:${echo.port}` });
    const three = await Promise.all([open(echo.port), open(echo.port), open(echo.port)]);
    await Promise.all(three.map((t) => finalStatus(t.opId)));
    assert.ok(three.every((t) => sim.operation(t.opId)?.status === 'SUCCESSFUL'));
    await eventually(() => echo.open.size === 3, 'three target connections');
    const data = three.map(() => randomData(2 * 1024 * 1024));
    const results = await Promise.all(three.map((t, i) => roundTrip(t.user, data[i]!)));
    results.forEach((r, i) => assert.ok(r.received.equals(data[i]!), `tunnel ${i} intact`));
    assert.equal(shape(), 'dot');
    assert.equal(statuses.filter((st) => st['shape'] === 'dot').length, 3, 'one status per opened tunnel');
  });

  it('refuses a target that is not on the allow-list, without opening anything', async () => {
    const other = await echoServer();
    try {
      await load({ allow: `127.0.0.1:${echo.port}` });
      const { user, opId } = await open(other.port);
      await finalStatus(opId);
      assert.equal(sim.operation(opId)?.status, 'FAILED');
      assert.equal(sim.operation(opId)?.failureReason, `127.0.0.1:${other.port} is not on this device's remote-access allow-list`);
      await closedSocket(user);
      assert.equal(other.open.size, 0);
      assert.ok(!web.requests.some((r) => r.path.startsWith('/service/remoteaccess')), 'no WebSocket was opened');
    } finally {
      await other.close();
    }
  });

  it('fails with the reason when the allowed local port refuses the connection', async () => {
    const port = await refusedPort();
    await load({ allow: `127.0.0.1:${port}` });
    const { user, opId } = await open(port);
    await finalStatus(opId);
    assert.equal(sim.operation(opId)?.status, 'FAILED');
    assert.equal(sim.operation(opId)?.failureReason, `cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    await closedSocket(user);
  });

  it('refuses a tunnel over the limit and keeps the open one working', async () => {
    await load({ allow: `127.0.0.1:${echo.port}`, maxTunnels: '1' });
    const a = await open(echo.port);
    await finalStatus(a.opId);
    const b = await open(echo.port);
    await finalStatus(b.opId);
    assert.equal(sim.operation(b.opId)?.failureReason, 'tunnel limit reached (1 open)');
    const data = randomData(64 * 1024);
    assert.ok((await roundTrip(a.user, data)).received.equals(data));
  });

  it('closes the tunnel and the local connection when the WebSocket drops', async () => {
    await load({ allow: `127.0.0.1:${echo.port}` });
    const { user, opId } = await open(echo.port);
    await finalStatus(opId);
    await roundTrip(user, Buffer.from('hello'));
    const closedMsg = new Promise<Record<string, unknown>>((resolve) =>
      helper.getNode('out')!.on('input', (m: Record<string, unknown>) => {
        if (m['topic'] === 'closed') resolve(m);
      }),
    );
    web.remote.dropDevices();
    const m = await closedMsg;
    assert.equal((m['payload'] as Record<string, unknown>)['cause'], 'platform-closed');
    await eventually(() => echo.open.size === 0, 'target connection closed');
    await eventually(() => shape() === 'ring', 'status back to no tunnels');
    await closedSocket(user);
  });

  it('closes every tunnel on redeploy', async () => {
    await load({ allow: `127.0.0.1:${echo.port}` });
    const a = await open(echo.port);
    const b = await open(echo.port);
    await Promise.all([finalStatus(a.opId), finalStatus(b.opId)]);
    await helper.unload();
    await Promise.all([closedSocket(a.user), closedSocket(b.user)]);
    assert.ok(web.tunnels.every((t) => t.state === 'closed'));
    assert.ok(
      web.tunnels.every((t) => t.closeCode === 1001),
      web.tunnels.map((t) => t.closeCode).join(),
    );
  });

  it('works with static templates: 530 on s/ds, 501 and 503 by fragment', async () => {
    await load({ allow: `127.0.0.1:${echo.port}`, mode: 'static' });
    const { user, opId } = await open(echo.port);
    await finalStatus(opId);
    const lines = sim.received.filter((r) => r.clientId === DEV).flatMap((r) => r.payload.toString().split('\n'));
    assert.ok(lines.includes('501,c8y_RemoteAccessConnect') && lines.includes('503,c8y_RemoteAccessConnect'), lines.join(' | '));
    const data = randomData(256 * 1024);
    assert.ok((await roundTrip(user, data)).received.equals(data));
  });
});
