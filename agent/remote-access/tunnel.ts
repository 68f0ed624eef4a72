/**
 * One remote-access tunnel: a TCP connection to a local target and a WebSocket to the platform's
 * device endpoint, bytes pumped both ways with back-pressure (issue 11). The order follows
 * Cumulocity's device-integration guide for `c8y_RemoteAccessConnect`: TCP to the target first,
 * then the WebSocket; the tunnel is up once both are. Nothing the target sends is read before
 * the WebSocket is open (the socket stays paused), so a server that talks first (SSH) loses
 * nothing. Either side closing closes the other, after what it sent has been passed on.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import WebSocket from 'ws';
import { formatTarget, redact, type Target } from './targets';

export interface TunnelOptions {
  target: Target;
  /** The device endpoint; it holds the connection key, so it is never logged or shown. */
  url: string;
  /** Authorization header for the WebSocket upgrade (the device's own credentials); none for a relay URL that carries its own session. */
  authorization?: string | undefined;
  /** WebSocket subprotocols to ask for (Cumulocity's service answers `binary`). */
  protocols: readonly string[];
  /** TLS trust for wss (the connection's CA and verification). */
  tls?: { ca?: string; rejectUnauthorized: boolean } | undefined;
  /** Secrets to scrub from reasons built from library errors (the connection key). */
  secrets: readonly string[];
  connectTimeoutMs: number;
  /** Close after this long without a byte in either direction; 0 = never. */
  idleTimeoutMs: number;
  /** WebSocket ping interval; two intervals without any sign of life close the tunnel. 0 = no pings. */
  pingIntervalMs: number;
  /** Bytes queued towards the platform before the target's socket is paused. */
  highWaterMark: number;
  /** Largest WebSocket message accepted from the platform. */
  maxMessageBytes: number;
}

export type CloseCause = 'target-closed' | 'platform-closed' | 'idle' | 'ping-timeout' | 'error' | 'stopped';

export interface TunnelClosed {
  cause: CloseCause;
  detail: string | undefined;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
}

/** After a side was asked to close, how long it may take before it is cut. */
const GRACE_MS = 3000;

const CLOSE_CODES: Record<CloseCause, number> = {
  'target-closed': 1000,
  'platform-closed': 1000,
  idle: 1000,
  'ping-timeout': 1001,
  error: 1011,
  stopped: 1001,
};

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Events: `closed` (TunnelClosed), once, and only for a tunnel whose `open()` resolved. */
export class Tunnel extends EventEmitter {
  bytesUp = 0;
  bytesDown = 0;
  private openedAt = 0;
  private socket: net.Socket | undefined;
  private ws: WebSocket | undefined;
  private state: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private cause: CloseCause = 'stopped';
  private detail: string | undefined;
  private socketClosed = false;
  private wsClosed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private lifeSigns = 0;
  private missedPings = 0;
  private stopRequested = false;
  /** Messages that arrived with the upgrade answer, before the tunnel was wired up. */
  private early: Buffer[] = [];

  constructor(private readonly opts: TunnelOptions) {
    super();
  }

  get label(): string {
    return formatTarget(this.opts.target);
  }

  /** Bytes waiting in our buffers in either direction (for tests of back-pressure). */
  get buffered(): { up: number; down: number } {
    return { up: this.ws?.bufferedAmount ?? 0, down: this.socket?.writableLength ?? 0 };
  }

  /** Resolves once the target and the platform are both connected; rejects with the reason otherwise. */
  async open(): Promise<void> {
    if (this.state !== 'new') throw new Error('tunnel already used');
    this.state = 'opening';
    try {
      await this.connectTarget();
      if (this.stopRequested) throw new Error('stopped while connecting');
      await this.connectPlatform();
      if (this.stopRequested) throw new Error('stopped while connecting');
      if (this.socketClosed || this.socket?.destroyed) throw new Error(`${this.label} closed the connection before the tunnel was up`);
    } catch (err) {
      this.state = 'closed';
      this.socket?.destroy();
      this.ws?.terminate();
      throw err;
    }
    this.start();
  }

  /** Closes both sides (redeploy, shutdown); resolves once both are closed. */
  close(): Promise<void> {
    this.stopRequested = true;
    if (this.state === 'closed' || this.state === 'new') return Promise.resolve();
    if (this.state === 'opening') {
      // With an error, so that a pending connect rejects at once instead of at its timeout.
      this.socket?.destroy(new Error('stopped while connecting'));
      this.ws?.terminate();
      return Promise.resolve();
    }
    const closed = new Promise<void>((resolve) => this.once('closed', () => resolve()));
    this.finish('stopped');
    return closed;
  }

  private connectTarget(): Promise<void> {
    const { host, port } = this.opts.target;
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      this.socket = s;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection to ${this.label} within ${Math.round(this.opts.connectTimeoutMs / 1000)} s`));
      }, this.opts.connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${this.label}: ${err.code ?? err.message}`));
      };
      s.once('error', onError);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        // From here on errors end the tunnel; until `start` they only mark the socket closed.
        s.on('error', (err: NodeJS.ErrnoException) => this.finish('error', `${this.label}: ${err.code ?? err.message}`));
        s.on('close', () => {
          this.socketClosed = true;
          if (this.state === 'open') this.finish('target-closed');
          else this.checkClosed();
        });
        resolve();
      });
    });
  }

  private connectPlatform(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.url, [...this.opts.protocols], {
        headers: this.opts.authorization === undefined ? {} : { Authorization: this.opts.authorization },
        handshakeTimeout: this.opts.connectTimeoutMs,
        perMessageDeflate: false,
        followRedirects: false,
        maxPayload: this.opts.maxMessageBytes,
        ...this.opts.tls,
      });
      this.ws = ws;
      let settled = false;
      ws.on('error', (err: Error) => {
        const text = redact(err.message, this.opts.secrets);
        if (!settled) {
          settled = true;
          const http = /Unexpected server response: (\d+)/.exec(text);
          reject(new Error(http ? `the platform refused the tunnel (HTTP ${http[1]})` : `no WebSocket to the platform: ${text}`));
          return;
        }
        this.finish('error', `platform: ${text}`);
      });
      // Listening from the start: the platform may send data in the same read as the upgrade
      // answer, before `start` runs (a client that talks first, like SSH).
      ws.on('message', (data: WebSocket.RawData) => this.fromPlatform(asBuffer(data)));
      ws.once('open', () => {
        settled = true;
        // Held until the target's socket is wired up in `start`.
        ws.pause();
        resolve();
      });
      ws.on('close', (code: number) => {
        this.wsClosed = true;
        if (!settled) {
          settled = true;
          reject(new Error(`the platform closed the WebSocket before the tunnel was up (${code})`));
        } else if (this.state === 'open') this.finish('platform-closed', `code ${code}`);
        else this.checkClosed();
      });
    });
  }

  private start(): void {
    const s = this.socket;
    const ws = this.ws;
    if (!s || !ws) return;
    this.state = 'open';
    this.openedAt = Date.now();
    s.setNoDelay(true);
    const afterSend = (err?: Error): void => {
      if (err) return; // the 'error' or 'close' event ends the tunnel
      this.lifeSigns += 1;
      // Resume the target once the platform side has taken most of what was queued.
      if (this.state === 'open' && s.isPaused() && ws.bufferedAmount <= this.opts.highWaterMark / 2) s.resume();
    };
    s.on('data', (chunk: Buffer) => {
      if (this.state !== 'open') return;
      this.bytesUp += chunk.length;
      this.activity();
      ws.send(chunk, { binary: true }, afterSend);
      if (ws.bufferedAmount > this.opts.highWaterMark) s.pause();
    });
    s.on('drain', () => {
      if (this.state === 'open') ws.resume();
    });
    // The target's FIN: what it sent is already queued for the platform; WebSocket has no half close.
    s.on('end', () => this.finish('target-closed'));
    ws.on('pong', () => {
      this.lifeSigns += 1;
    });
    if (this.opts.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(
        () => this.finish('idle', `no data for ${Math.round(this.opts.idleTimeoutMs / 1000)} s`),
        this.opts.idleTimeoutMs,
      );
      this.idleTimer.unref();
    }
    if (this.opts.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.ping(), this.opts.pingIntervalMs);
      this.pingTimer.unref();
    }
    for (const buf of this.early.splice(0)) this.fromPlatform(buf);
    s.resume();
    if (!s.writableNeedDrain) ws.resume();
  }

  /** Data from the platform: to the target, pausing the WebSocket while the target is slower. */
  private fromPlatform(buf: Buffer): void {
    const s = this.socket;
    if (this.state === 'opening' || this.state === 'new') {
      this.early.push(buf);
      return;
    }
    if (this.state !== 'open' || !s || s.writableEnded) return;
    this.bytesDown += buf.length;
    this.lifeSigns += 1;
    this.activity();
    if (!s.write(buf)) this.ws?.pause();
  }

  private activity(): void {
    this.idleTimer?.refresh();
  }

  /**
   * A pong, a message or a flushed send since the last tick counts as alive: under back-pressure
   * a pong can queue behind megabytes of data, but then the sends keep completing.
   */
  private ping(): void {
    if (this.state !== 'open' || !this.ws) return;
    if (this.lifeSigns > 0) this.missedPings = 0;
    else this.missedPings += 1;
    this.lifeSigns = 0;
    if (this.missedPings >= 2) {
      this.finish('ping-timeout', `no answer from the platform for ${Math.round((2 * this.opts.pingIntervalMs) / 1000)} s`);
      this.ws.terminate();
      return;
    }
    this.ws.ping();
  }

  private finish(cause: CloseCause, detail?: string): void {
    if (this.state !== 'open') {
      this.checkClosed();
      return;
    }
    this.state = 'closing';
    this.cause = cause;
    this.detail = detail;
    clearTimeout(this.idleTimer);
    clearInterval(this.pingTimer);
    const s = this.socket;
    const ws = this.ws;
    // Graceful first: what one side sent before it closed still reaches the other.
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.close(CLOSE_CODES[cause], cause);
      ws.resume(); // the close handshake needs reading
    } else ws?.terminate();
    if (s && !s.destroyed) {
      if (cause === 'error') s.destroy();
      else s.end();
      s.resume(); // read (and drop) until the target's FIN arrives
    }
    this.killTimer = setTimeout(() => {
      this.ws?.terminate();
      this.socket?.destroy();
    }, GRACE_MS);
    this.killTimer.unref();
    this.checkClosed();
  }

  private checkClosed(): void {
    if (this.state !== 'closing' || !this.socketClosed || !this.wsClosed) return;
    this.state = 'closed';
    clearTimeout(this.killTimer);
    const info: TunnelClosed = {
      cause: this.cause,
      detail: this.detail,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: Date.now() - this.openedAt,
    };
    this.emit('closed', info);
  }
}
