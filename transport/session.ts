import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff, type BackoffOptions } from './backoff';

/** TLS material and checks for mqtts/wss. Verification of the server is on unless turned off. */
export interface TlsSettings {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Verify the server certificate chain and host name (default true). */
  verifyServer: boolean;
  servername?: string | undefined;
}

export interface SessionSettings {
  /** `mqtt://host:port`, `mqtts://…`, `ws://host:port/path`, `wss://…`. */
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  will?: { topic: string; payload: string } | undefined;
  connectTimeoutMs: number;
  backoff: BackoffOptions;
  /** Options for mqtt.js's WebSocket on ws/wss URLs (e.g. an `agent` that tunnels through a proxy). */
  wsOptions?: Record<string, unknown> | undefined;
}

/** What to do after the broker refused a CONNECT: back off, wait a fixed time, or give up. */
/** `floor` > 0 keeps every delay at least that fraction of the backoff ceiling (see backoffDelay). */
export type RefusalDecision = { kind: 'backoff'; floor?: number } | { kind: 'wait'; ms: number } | { kind: 'stop' };

export interface SessionEnd {
  /** The session had reached CONNACK 0 (false for a failed connection attempt). */
  wasUp: boolean;
  upForMs: number;
  /** The session was ended by us (stop or restart), not by the network or the broker. */
  localCause: boolean;
  /** CONNACK return code when the broker refused the connection. */
  refusedCode?: number | undefined;
  error?: Error | undefined;
}

export type SessionState = 'idle' | 'connecting' | 'up' | 'waiting' | 'stopped';

/**
 * One MQTT session at a time for one connection config node, over mqtt.js. A fresh mqtt.js client
 * is made for every attempt (its own reconnect is off) so that nothing is replayed behind the
 * outbox's back; the delay between attempts comes from {@link Backoff}.
 *
 * Events: `up` (client), `down` (SessionEnd), `message` (topic, payload Buffer), `state` (SessionState).
 * Never throws from an event handler.
 */
export class MqttSession extends EventEmitter {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private upAt = 0;
  private stopped = false;
  private lastEnd: SessionEnd | undefined;
  private minDelay = 0;
  private lastRefusal: number | undefined;
  private lastError: Error | undefined;
  private stateValue: SessionState = 'idle';

  constructor(
    private settings: SessionSettings,
    private readonly decideRefusal: (code: number) => RefusalDecision = () => ({ kind: 'backoff' }),
  ) {
    super();
    this.backoff = new Backoff(settings.backoff);
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get isUp(): boolean {
    return this.stateValue === 'up';
  }

  /** Starts connecting (no-op when already started). */
  start(): void {
    if (this.client || this.timer) return;
    this.stopped = false;
    this.connect();
  }

  /** Replaces the settings (e.g. new credentials) and reconnects at once. */
  restart(settings: SessionSettings): void {
    this.settings = settings;
    this.backoff.reset();
    this.clearTimer();
    this.stopped = false;
    const old = this.retire(true);
    old?.end(true);
    this.connect();
  }

  /** Ends the session for good; resolves once the socket is closed (bounded by a timeout). */
  stop(timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    const c = this.retire(true);
    this.setState('stopped');
    if (!c) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        c.end(true);
        resolve();
      }, timeoutMs);
      c.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Publishes at QoS 1 (QoS 0 when asked); resolves on PUBACK, rejects when the session drops first. */
  publish(topic: string, payload: string, qos: 0 | 1 = 1): Promise<void> {
    const c = this.client;
    if (!c || !this.isUp) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      c.publish(topic, payload, { qos, retain: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Subscribes at QoS 1; resolves with the granted QoS per filter (128 = refused). */
  subscribe(filters: readonly string[]): Promise<number[]> {
    const c = this.client;
    if (!c || !this.isUp) return Promise.reject(new Error('not connected'));
    if (filters.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      c.subscribe([...filters], { qos: 1 }, (err, granted) => {
        if (err) reject(err);
        else resolve((granted ?? []).map((g) => g.qos));
      });
    });
  }

  /** The next reconnect waits at least this long (e.g. when another client takes our id over). */
  delayNext(ms: number): void {
    this.minDelay = ms;
  }

  /** Drops the current connection as if the network had failed, then reconnects with backoff. */
  drop(): void {
    this.client?.stream.destroy();
  }

  private connect(): void {
    this.clearTimer();
    if (this.stopped) return;
    this.setState('connecting');
    this.lastRefusal = undefined;
    this.lastError = undefined;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.settings.url, this.clientOptions());
    } catch (err) {
      // mqtt.js (or the WebSocket under it) can throw on bad options: try again later, never throw out.
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.setState('waiting');
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.connect();
      }, this.backoff.next());
      return;
    }
    this.client = client;
    // Operation statuses are small writes that follow a PUBACK: with Nagle's algorithm on they
    // wait ~40 ms for the broker's delayed ACK (measured by npm run bench, line 3).
    const stream = client.stream as unknown as { setNoDelay?: (on: boolean) => void } | undefined;
    stream?.setNoDelay?.(true);
    client.on('connect', () => {
      if (this.client !== client) return;
      this.upAt = Date.now();
      this.setState('up');
      this.emit('up', client);
    });
    client.on('message', (topic, payload) => {
      if (this.client === client) this.emit('message', topic, payload);
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      if (typeof err.code === 'number') this.lastRefusal = err.code;
      this.lastError = err;
    });
    client.on('close', () => this.onClose(client));
  }

  /**
   * Detaches the current client and reports the end of its session; returns it so the caller
   * decides how to close it. Later events of that client are ignored.
   */
  private retire(localCause: boolean): MqttClient | undefined {
    const client = this.client;
    if (!client) return undefined;
    this.client = undefined;
    const wasUp = this.stateValue === 'up';
    const end: SessionEnd = {
      wasUp,
      upForMs: wasUp ? Date.now() - this.upAt : 0,
      localCause,
      refusedCode: this.lastRefusal,
      error: this.lastError,
    };
    if (wasUp) this.backoff.sessionEnded(end.upForMs);
    this.lastEnd = end;
    this.emit('down', end);
    return client;
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client) return;
    this.retire(false);
    // Make sure mqtt.js fails every pending publish callback now, so the outbox can release them.
    client.end(true);
    const end = this.lastEnd;
    if (this.stopped || !end) return;
    let delay: number;
    if (end.refusedCode !== undefined && end.refusedCode !== 0) {
      const d = this.decideRefusal(end.refusedCode);
      if (d.kind === 'stop') {
        this.setState('stopped');
        return;
      }
      delay = d.kind === 'wait' ? d.ms : this.backoff.next(d.floor ?? 0);
    } else {
      delay = this.backoff.next();
    }
    delay = Math.max(delay, this.minDelay);
    this.minDelay = 0;
    this.setState('waiting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  private clientOptions(): IClientOptions {
    const s = this.settings;
    const opts: IClientOptions = {
      clientId: s.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: s.keepaliveSec,
      reconnectPeriod: 0,
      connectTimeout: s.connectTimeoutMs,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet's cache of 65 536 small number buffers costs ~6 MB of RSS for no gain here.
      writeCache: false,
    };
    if (s.username !== undefined) opts.username = s.username;
    if (s.password !== undefined) opts.password = s.password;
    if (s.wsOptions) opts.wsOptions = s.wsOptions;
    if (s.will) opts.will = { topic: s.will.topic, payload: Buffer.from(s.will.payload), qos: 1, retain: false };
    if (s.tls) {
      opts.rejectUnauthorized = s.tls.verifyServer;
      if (s.tls.ca) opts.ca = s.tls.ca;
      if (s.tls.cert) opts.cert = s.tls.cert;
      if (s.tls.key) opts.key = s.tls.key;
      if (s.tls.servername) opts.servername = s.tls.servername;
    }
    return opts;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private setState(s: SessionState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.emit('state', s);
  }
}
