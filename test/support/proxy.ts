/**
 * A loopback TCP fault proxy for fault tests (reliability.md §3, R4): listens on 127.0.0.1, forwards
 * every connection to a target port, and misbehaves on command.
 *
 * - `pass`: forward at once.
 * - `blackhole`: accept and keep every socket but forward nothing either way, neither bytes nor
 *   closes — only keep-alive can tell. What was held is released in order when the mode changes,
 *   as TCP retransmission would after a partition heals. A connection opened during the blackhole
 *   reaches the target only then, and not at all if its client gave up before.
 * - `reset`: reset every connection (RST) and every new one until the mode changes.
 * - `delay`: forward each chunk `ms` after it arrived.
 * - `throttle`: forward at most `bytesPerSec` per direction and connection.
 *
 * Events: `change` after every open, close and mode change (for waitForChange).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';

export type ProxyMode =
  { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'reset' } | { kind: 'delay'; ms: number } | { kind: 'throttle'; bytesPerSec: number };

/** One client connection through the proxy; times are `Date.now()`. */
export interface ProxyConnection {
  id: number;
  openedAt: number;
  closedAt?: number;
  /** Bytes forwarded client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
}

/** A held connection gives up beyond this many queued bytes (a runaway test, not a partition). */
const MAX_HELD_BYTES = 64 * 1024 * 1024;

interface Chunk {
  data: Buffer;
  at: number;
}

/** One direction of a connection: what arrived and is not forwarded yet. */
class Pipe {
  readonly queue: Chunk[] = [];
  held = 0;
  ended = false;
  done = false;
  nextFree = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly count: (n: number) => void) {}
}

interface Link {
  record: ProxyConnection;
  client: net.Socket;
  upstream: net.Socket | undefined;
  up: Pipe;
  down: Pipe;
}

export class FaultProxy extends EventEmitter {
  readonly connections: ProxyConnection[] = [];
  private readonly links = new Set<Link>();
  private modeValue: ProxyMode = { kind: 'pass' };
  private nextId = 1;

  private constructor(
    private readonly server: net.Server,
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {
    super();
    this.setMaxListeners(0);
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on a random 127.0.0.1 port and forwards to `targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    const proxy = new FaultProxy(server, targetPort, targetHost);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('proxy is not listening');
    return a.port;
  }

  get mode(): ProxyMode {
    return this.modeValue;
  }

  /** Connections open now. */
  get openCount(): number {
    return this.links.size;
  }

  setMode(mode: ProxyMode): void {
    this.modeValue = mode;
    if (mode.kind === 'reset') for (const l of [...this.links]) this.kill(l);
    else for (const l of [...this.links]) this.pumpBoth(l);
    this.emit('change');
  }

  pass(): void {
    this.setMode({ kind: 'pass' });
  }
  blackhole(): void {
    this.setMode({ kind: 'blackhole' });
  }
  reset(): void {
    this.setMode({ kind: 'reset' });
  }
  delay(ms: number): void {
    this.setMode({ kind: 'delay', ms });
  }
  throttle(bytesPerSec: number): void {
    this.setMode({ kind: 'throttle', bytesPerSec: Math.max(1, bytesPerSec) });
  }

  /** Stops listening and destroys every socket and timer. */
  async close(): Promise<void> {
    for (const l of [...this.links]) this.kill(l);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.modeValue.kind === 'reset') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const record: ProxyConnection = { id: this.nextId++, openedAt: Date.now(), bytesUp: 0, bytesDown: 0 };
    this.connections.push(record);
    const link: Link = {
      record,
      client,
      upstream: undefined,
      up: new Pipe((n) => (record.bytesUp += n)),
      down: new Pipe((n) => (record.bytesDown += n)),
    };
    this.links.add(link);
    client.setNoDelay(true);
    this.feed(link, client, link.up);
    client.on('close', () => this.closed(link));
    if (this.modeValue.kind !== 'blackhole') this.openUpstream(link);
    this.emit('change');
  }

  /** Opens the target side; in blackhole mode this waits until the partition heals. */
  private openUpstream(link: Link): net.Socket {
    if (link.upstream) return link.upstream;
    const up = net.connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    link.upstream = up;
    up.setNoDelay(true);
    this.feed(link, up, link.down);
    up.on('close', () => this.closed(link));
    return up;
  }

  private feed(link: Link, from: net.Socket, pipe: Pipe): void {
    from.on('data', (data: Buffer) => {
      pipe.queue.push({ data, at: Date.now() });
      pipe.held += data.length;
      if (pipe.held > MAX_HELD_BYTES) this.kill(link);
      else this.pump(link, pipe);
    });
    const ended = (): void => {
      pipe.ended = true;
      this.pump(link, pipe);
    };
    from.on('end', ended);
    // A reset, refusal or error on one side reaches the other as an orderly close, after the held bytes.
    from.on('error', ended);
  }

  private pumpBoth(link: Link): void {
    this.pump(link, link.up);
    this.pump(link, link.down);
  }

  /** Forwards what the current mode allows now and schedules the rest. */
  private pump(link: Link, pipe: Pipe): void {
    const mode = this.modeValue;
    if (pipe.done || mode.kind === 'blackhole' || mode.kind === 'reset' || pipe.timer) return;
    if (pipe === link.up && !link.upstream) {
      // Opened during a blackhole: a client that has given up since never reaches the target.
      if (pipe.ended) {
        this.kill(link);
        return;
      }
      this.openUpstream(link);
    }
    const to = pipe === link.up ? link.upstream : link.client;
    if (!to) return;
    const now = Date.now();
    while (pipe.queue.length > 0) {
      const head = pipe.queue[0] as Chunk;
      let wait = 0;
      let data = head.data;
      if (mode.kind === 'delay') wait = head.at + mode.ms - now;
      if (mode.kind === 'throttle') {
        wait = pipe.nextFree - now;
        // Slices of a tenth of a second's worth keep the rate smooth.
        data = data.subarray(0, Math.max(1, Math.floor(mode.bytesPerSec / 10)));
      }
      if (wait > 0) {
        pipe.timer = setTimeout(() => {
          pipe.timer = undefined;
          this.pump(link, pipe);
        }, wait);
        return;
      }
      if (mode.kind === 'throttle') pipe.nextFree = Math.max(now, pipe.nextFree) + (data.length * 1000) / mode.bytesPerSec;
      if (data.length === head.data.length) pipe.queue.shift();
      else head.data = head.data.subarray(data.length);
      pipe.held -= data.length;
      pipe.count(data.length);
      if (!to.destroyed) to.write(data);
    }
    if (pipe.ended) {
      pipe.done = true;
      if (!to.destroyed) to.end();
    }
  }

  /** A socket closed: the connection is over once the client and the target side (if any) are. */
  private closed(link: Link): void {
    if (link.client.destroyed && (!link.upstream || link.upstream.destroyed)) this.forget(link);
  }

  /** Resets both sockets (RST) and forgets the connection. */
  private kill(link: Link): void {
    for (const s of [link.client, link.upstream]) if (s && !s.destroyed) s.resetAndDestroy();
    this.forget(link);
  }

  private forget(link: Link): void {
    for (const p of [link.up, link.down]) {
      if (p.timer) clearTimeout(p.timer);
      p.timer = undefined;
      p.done = true;
      p.queue.length = 0;
    }
    if (!this.links.delete(link)) return;
    link.record.closedAt = Date.now();
    this.emit('change');
  }
}
