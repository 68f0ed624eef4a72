// The loopback fault proxy of the fault tests (test/support/proxy.ts; reliability.md §3) driven
// with raw sockets: pass, blackhole, reset, delay, throttle, connection records and close().
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { FaultProxy } from '../support/proxy';
import { waitForChange } from '../sim/wait';

/** A target server that records what each connection sent and echoes it back. */
class Target extends EventEmitter {
  readonly received: Buffer[] = [];
  readonly sockets = new Set<net.Socket>();
  accepted = 0;
  ended = 0;
  private constructor(readonly server: net.Server) {
    super();
    this.setMaxListeners(0);
    server.on('connection', (s) => {
      this.accepted += 1;
      this.sockets.add(s);
      s.on('data', (d: Buffer) => {
        this.received.push(d);
        s.write(d);
        this.emit('change');
      });
      s.on('end', () => {
        this.ended += 1;
        this.emit('change');
      });
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
      this.emit('change');
    });
  }
  static async start(): Promise<Target> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new Target(server);
  }
  get port(): number {
    const a = this.server.address();
    assert.ok(a !== null && typeof a === 'object');
    return a.port;
  }
  text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }
  bytes(): number {
    return this.received.reduce((n, b) => n + b.length, 0);
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw client socket that collects what it receives and whether it closed. */
class Client extends EventEmitter {
  readonly chunks: Buffer[] = [];
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  readonly socket: net.Socket;
  constructor(port: number) {
    super();
    this.setMaxListeners(0);
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.emit('change');
    });
    this.socket.on('error', (e) => (this.error = e));
    this.socket.on('close', () => {
      this.closed = true;
      this.emit('change');
    });
  }
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === 'open') resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('close', () => reject(new Error('closed before connecting')));
    });
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fault proxy (loopback TCP)', { timeout: 30_000 }, () => {
  let target: Target;
  let proxy: FaultProxy;
  const clients: Client[] = [];
  const client = async (): Promise<Client> => {
    const c = new Client(proxy.port);
    clients.push(c);
    await c.connected();
    return c;
  };
  const until = (e: EventEmitter, pred: () => boolean, what: string, ms = 5000): Promise<void> => waitForChange(e, pred, ms, what);

  beforeEach(async () => {
    target = await Target.start();
    proxy = await FaultProxy.start(target.port);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await target.close();
  });

  it('passes bytes both ways and records when each connection opened and closed', async () => {
    const before = Date.now();
    const c = await client();
    c.socket.write('hello');
    await until(c, () => c.text() === 'hello', 'echo');
    assert.equal(target.text(), 'hello');
    assert.equal(proxy.openCount, 1);
    const rec = proxy.connections[0];
    assert.ok(rec !== undefined && rec.openedAt >= before && rec.closedAt === undefined);
    c.socket.end();
    await until(proxy, () => proxy.openCount === 0, 'connection closed');
    assert.ok(rec.closedAt !== undefined && rec.closedAt >= rec.openedAt);
    assert.equal(rec.bytesUp, 5);
    assert.equal(rec.bytesDown, 5);
    assert.equal(target.ended, 1, 'the client FIN reached the target');
  });

  it('blackhole keeps sockets open but forwards nothing, then releases held bytes in order', async () => {
    const c = await client();
    c.socket.write('a');
    await until(c, () => c.text() === 'a', 'echo before the partition');
    proxy.blackhole();
    c.socket.write('b');
    c.socket.write('c');
    // A new connection during the partition is accepted by the proxy but does not reach the target.
    const late = await client();
    late.socket.write('late');
    await sleep(300);
    assert.equal(target.text(), 'a', 'nothing reaches the target');
    assert.equal(c.text(), 'a', 'nothing comes back');
    assert.equal(target.accepted, 1, 'the new connection is held');
    assert.ok(!c.closed && !late.closed, 'no side sees a close');
    proxy.pass();
    await until(c, () => c.text() === 'abc', 'held bytes after healing');
    await until(late, () => late.text() === 'late', 'held connection after healing');
    assert.equal(target.accepted, 2);
  });

  it('blackhole holds a close too, and a client that gave up never reaches the target', async () => {
    const c = await client();
    c.socket.write('x');
    await until(c, () => c.text() === 'x', 'echo');
    proxy.blackhole();
    const gaveUp = await client();
    gaveUp.socket.write('never');
    c.socket.end();
    gaveUp.socket.destroy();
    await sleep(300);
    assert.equal(target.ended, 0, 'the FIN is held');
    proxy.pass();
    await until(target, () => target.ended === 1, 'FIN after healing');
    await sleep(100);
    assert.equal(target.accepted, 1);
    assert.ok(!target.text().includes('never'));
  });

  it('reset destroys every connection and refuses new ones until the mode changes', async () => {
    const c = await client();
    proxy.reset();
    await until(c, () => c.closed, 'reset of the open connection');
    const refused = new Client(proxy.port);
    clients.push(refused);
    await until(refused, () => refused.closed, 'new connection reset');
    assert.ok(refused.error !== undefined || refused.chunks.length === 0);
    assert.equal(proxy.openCount, 0);
    proxy.pass();
    const ok = await client();
    ok.socket.write('back');
    await until(ok, () => ok.text() === 'back', 'echo after reset ended');
  });

  it('delay holds each chunk for the given time, both ways, keeping order', async () => {
    const c = await client();
    proxy.delay(200);
    const t0 = Date.now();
    c.socket.write('1');
    c.socket.write('2');
    await until(c, () => c.text() === '12', 'delayed echo');
    const rtt = Date.now() - t0;
    assert.ok(rtt >= 390, `round trip ${rtt} ms should be ≥ 2 × 200 ms`);
  });

  it('throttle forwards no faster than the given rate', async () => {
    const c = await client();
    proxy.throttle(10_000);
    const payload = Buffer.alloc(6_000, 0x61);
    const t0 = Date.now();
    c.socket.write(payload);
    await until(target, () => target.bytes() === payload.length, 'throttled bytes', 10_000);
    const elapsed = Date.now() - t0;
    // 6 000 B at 10 000 B/s: the first slice goes at once, the rest takes ≥ 0.5 s.
    assert.ok(elapsed >= 450, `6 kB took ${elapsed} ms at 10 kB/s`);
    assert.equal(target.text(), payload.toString('utf8'));
  });

  it('close() frees every socket and stops listening', async () => {
    const c = await client();
    c.socket.write('x');
    await until(c, () => c.text() === 'x', 'echo');
    proxy.blackhole();
    const port = proxy.port;
    await proxy.close();
    await until(c, () => c.closed, 'client socket closed');
    assert.equal(proxy.openCount, 0);
    await until(target, () => target.sockets.size === 0, 'target side closed');
    const refused = new Client(port);
    await until(refused, () => refused.closed, 'connection to the closed proxy');
    assert.equal(refused.error?.code, 'ECONNREFUSED');
  });
});
