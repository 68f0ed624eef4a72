/**
 * The tunnel service (agent/remote-access) against the simulator's remote-access endpoint, without
 * Node-RED or MQTT: the test plays the agent and hands the 530's parameters to the service.
 * Back-pressure, a slow consumer, a hung or refusing platform, drops and timeouts.
 */
import { strict as assert } from 'node:assert';
import type * as net from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RemoteAccess, type RemoteAccessConfig, type TunnelEnded } from '../../agent/remote-access/manager';
import { eventually } from '../sim/clients';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { closedSocket, connect, echoServer, randomData, roundTrip, type EchoServer } from '../support/tunnel';

const DEV = 'tunnel-dev';
const AUTH = `Basic ${Buffer.from(`t12345/device_${DEV}:pw`).toString('base64')}`;

describe('remote-access tunnels against the simulator', { timeout: 120_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let echo: EchoServer;
  let service: RemoteAccess | undefined;
  const users: net.Socket[] = [];

  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    web = await SimPlatformHttp.start(sim);
    echo = await echoServer();
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    for (const u of users.splice(0)) u.destroy();
    await web.stop();
    await echo.close();
    await sim.stop();
  });

  function make(over: Partial<RemoteAccessConfig> = {}): RemoteAccess {
    service = new RemoteAccess(
      {
        allow: [{ host: '127.0.0.1', port: echo.port }],
        maxTunnels: 4,
        connectTimeoutSec: 5,
        idleTimeoutSec: 0,
        pingIntervalMs: 30_000,
        highWaterMark: 1024 * 1024,
        maxMessageBytes: 16 * 1024 * 1024,
        ...over,
      },
      () => ({ baseUrl: web.url(), authorization: AUTH }),
    );
    return service;
  }

  /** A user connects to the passthrough endpoint; returns the user's socket and the 530's parameters. */
  async function request(port = echo.port): Promise<{ user: net.Socket; params: Record<string, unknown> }> {
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', port);
    const before = web.tunnels.length;
    const user = await connect(ep.port);
    users.push(user);
    await web.waitFor(() => web.tunnels.length > before && web.tunnels[before]?.operationId !== '', 3000, '530 created');
    const op = sim.operation(web.tunnels[before]!.operationId)!;
    return { user, params: op.params as Record<string, unknown> };
  }

  const closedOnce = (s: RemoteAccess): Promise<TunnelEnded> => new Promise((resolve) => s.once('closed', resolve));

  it('moves 10 MB each way through a tunnel to an echo server, byte for byte', async () => {
    const s = make();
    const { user, params } = await request();
    const r = await s.connect(params);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(s.count, 1);
    const data = randomData(10 * 1024 * 1024);
    const { received, ms } = await roundTrip(user, data);
    assert.ok(received.equals(data), 'echoed bytes equal');
    assert.equal(web.tunnels[0]?.toDevice, data.length);
    assert.equal(web.tunnels[0]?.fromDevice, data.length);
    console.log(`# tunnel (service level): 10 MiB each way in ${ms} ms, ${((2 * data.length) / 1e6 / (ms / 1000)).toFixed(1)} MB/s total`);
  });

  it('delivers what the user sent before the tunnel was up (data right behind the upgrade answer)', async () => {
    const s = make();
    const { user, params } = await request();
    const early = Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'); // an SSH client talks first
    const back = roundTrip(user, early);
    await new Promise((r) => setTimeout(r, 50)); // the user's bytes wait in the simulator
    assert.ok((await s.connect(params)).ok);
    assert.ok((await back).received.equals(early));
  });

  it('keeps its buffers bounded while the user does not read, and delivers everything once it does', async () => {
    const s = make({ highWaterMark: 256 * 1024 });
    const { user, params } = await request();
    assert.ok((await s.connect(params)).ok);
    user.pause(); // the slow consumer
    const data = randomData(96 * 1024 * 1024);
    const chunks: Buffer[] = [];
    let writable = true;
    let off = 0;
    const pump = (): void => {
      while (off < data.length && writable) {
        writable = user.write(data.subarray(off, off + 65536));
        off += 65536;
      }
    };
    user.on('drain', () => {
      writable = true;
      pump();
    });
    pump();
    // Watch for 2 s while the user reads nothing.
    let peak = 0;
    for (let i = 0; i < 40; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      for (const b of s.buffered()) peak = Math.max(peak, b.up, b.down);
    }
    // Loopback kernel buffers hold some tens of MB (about 40 here); 96 MB cannot all fit.
    assert.ok(off < data.length, `the writer was held back (wrote ${off} bytes)`);
    assert.ok(peak > 0 && peak <= 512 * 1024, `peak buffered in the tunnel ${peak} bytes (high-water mark 256 KiB)`);
    user.on('data', (c: Buffer) => chunks.push(c));
    user.resume();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not all bytes came back')), 60_000);
      const check = (): void => {
        if (chunks.reduce((n, c) => n + c.length, 0) >= data.length) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    assert.ok(Buffer.concat(chunks).equals(data));
  });

  it('closes a tunnel whose platform side stops answering (pings), and the target connection with it', async () => {
    const s = make({ pingIntervalMs: 100 });
    const { params } = await request();
    assert.ok((await s.connect(params)).ok);
    await web.waitFor(() => echo.open.size === 1, 3000, 'target connected');
    const ended = closedOnce(s);
    web.remote.freezeDevices();
    const e = await ended;
    assert.equal(e.cause, 'ping-timeout');
    await eventually(() => echo.open.size === 0, 'target socket closed');
    assert.equal(s.count, 0);
  });

  it('reports a refused WebSocket with the HTTP status and no connection key, and closes the target connection', async () => {
    const s = make();
    web.remote.rejectUpgrades = 401;
    const { params } = await request();
    const r = await s.connect(params);
    assert.ok(!r.ok);
    assert.equal(r.error, 'the platform refused the tunnel (HTTP 401)');
    assert.ok(!r.error.includes(String(params['connectionKey'])));
    await eventually(() => echo.open.size === 0, 'target socket closed');
    assert.equal(s.count, 0);
  });

  it('ends the tunnel when the WebSocket drops, and when the target closes', async () => {
    const s = make();
    const a = await request();
    assert.ok((await s.connect(a.params)).ok);
    await roundTrip(a.user, Buffer.from('ping'));
    let ended = closedOnce(s);
    web.remote.dropDevices();
    assert.equal((await ended).cause, 'platform-closed');
    await eventually(() => echo.open.size === 0, 'target socket closed after the drop');

    const b = await request();
    assert.ok((await s.connect(b.params)).ok);
    await roundTrip(b.user, Buffer.from('ping'));
    ended = closedOnce(s);
    for (const sock of echo.open) sock.end();
    const e = await ended;
    assert.equal(e.cause, 'target-closed');
    assert.equal(e.bytesUp, 4);
    await closedSocket(b.user);
    await web.waitFor(() => web.tunnels[1]?.closeCode === 1000, 3000, 'close frame 1000 from the device');
  });

  it('closes an idle tunnel after the idle timeout', async () => {
    const s = make({ idleTimeoutSec: 1 });
    const { user, params } = await request();
    assert.ok((await s.connect(params)).ok);
    const ended = closedOnce(s);
    const e = await ended;
    assert.equal(e.cause, 'idle');
    await closedSocket(user);
  });

  it('closes every tunnel on stop and refuses new ones', async () => {
    const s = make();
    const a = await request();
    const b = await request();
    assert.ok((await s.connect(a.params)).ok);
    assert.ok((await s.connect(b.params)).ok);
    assert.equal(s.count, 2);
    await s.stop();
    assert.equal(s.count, 0);
    await Promise.all([closedSocket(a.user), closedSocket(b.user)]);
    await eventually(() => echo.open.size === 0, 'targets closed');
    const c = await request();
    const r = await s.connect(c.params);
    assert.ok(!r.ok);
    assert.match(r.error, /stopping/);
  });
});
