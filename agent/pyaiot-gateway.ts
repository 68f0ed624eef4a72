/**
 * The MQTT side of a pyaiot gateway (pyaiot.md §5) on one session to the local broker the nodes
 * use: subscribes `node/check`, `node/+/resources`, `node/+/+` (and a generic announce filter when
 * configured), feeds the pure table (dialects/pyaiot/gateway.ts), publishes what it asks for,
 * sweeps silent nodes every second and publishes `gateway/check` every period.
 *
 * The clock and the timers are injected, so liveness can be tested without waiting 120 s.
 * Our own outage must not look like every node's: while the session is down nothing is swept,
 * and on reconnect every node gets a fresh `last seen` and `gateway/check` goes out at once, so
 * nodes that answer it (ours, Pycom) are confirmed at once and silent ones expire after max time.
 *
 * Events: `message` (Emitted), `status` (GatewayStatus), `warning` (string), `alive` (NodeInfo:
 * a known node's `node/check`, for relays that keep availability current).
 */
import { EventEmitter } from 'node:events';
import * as py from '../dialects/pyaiot';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import { MqttSession, type TlsSettings } from '../transport/session';

export interface GatewayConfig {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  maxTimeSec: number;
  checkPeriodSec: number;
  maxNodes: number;
  maxResources: number;
  /** A filter with one `+` marking the node id (e.g. `devices/+/announce`); undefined = none. */
  announceFilter?: string | undefined;
  backoff?: BackoffOptions | undefined;
}

export interface GatewayStatus {
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped';
  nodes: number;
  full: boolean;
  malformed: number;
  refused: number;
}

export interface GatewayDeps {
  now?: () => number;
  /** Runs `fn` every `ms`; returns a stop function. Default: setInterval. */
  every?: (ms: number, fn: () => void) => () => void;
  newUid?: () => string;
}

const realEvery = (ms: number, fn: () => void): (() => void) => {
  const t = setInterval(fn, ms);
  return () => clearInterval(t);
};

/** The index of the `+` level of a generic announce filter, or why the filter is unusable. */
export function announceLevel(filter: string): { ok: true; index: number } | { ok: false; error: string } {
  const levels = filter.split('/');
  const plus = levels.flatMap((l, i) => (l === '+' ? [i] : []));
  if (plus.length !== 1 || levels.some((l) => l.includes('#') || (l !== '+' && l.includes('+'))))
    return { ok: false, error: `announce topic "${filter}" must have exactly one "+" level (the node id) and no "#"` };
  if (levels[0] === 'node' || levels[0] === 'gateway')
    return { ok: false, error: "announce topic must not be under node/ or gateway/ (pyaiot's own)" };
  return { ok: true, index: plus[0] ?? 0 };
}

export class PyaiotGateway extends EventEmitter {
  readonly table: py.GatewayTable;
  private session: MqttSession | undefined;
  private readonly now: () => number;
  private readonly every: (ms: number, fn: () => void) => () => void;
  private stops: Array<() => void> = [];
  private state: GatewayStatus['state'] = 'connecting';
  private readonly announceIndex: number | undefined;
  private lastStatus = '';

  constructor(
    private readonly cfg: GatewayConfig,
    deps: GatewayDeps = {},
  ) {
    super();
    this.now = deps.now ?? Date.now;
    this.every = deps.every ?? realEvery;
    const newUid = deps.newUid ?? ((): string => globalThis.crypto.randomUUID());
    this.table = new py.GatewayTable({ maxTimeSec: cfg.maxTimeSec, maxNodes: cfg.maxNodes, maxResources: cfg.maxResources, newUid });
    if (cfg.announceFilter) {
      const a = announceLevel(cfg.announceFilter);
      if (!a.ok) throw new Error(a.error);
      this.announceIndex = a.index;
    }
  }

  get status(): GatewayStatus {
    return {
      state: this.state,
      nodes: this.table.size,
      full: this.table.full,
      malformed: this.table.malformed,
      refused: this.table.refused,
    };
  }

  start(): void {
    const s = new MqttSession({
      url: this.cfg.url,
      clientId: this.cfg.clientId,
      username: this.cfg.username,
      password: this.cfg.password,
      tls: this.cfg.tls,
      keepaliveSec: this.cfg.keepaliveSec,
      connectTimeoutMs: 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
    });
    this.session = s;
    s.on('up', () => this.onUp(s));
    s.on('down', () => {
      if (this.state !== 'stopped') this.setState('disconnected');
    });
    s.on('message', (topic: string, payload: Buffer) => this.onMessage(topic, payload));
    s.start();
    this.stops.push(this.every(1000, () => this.sweep()));
    this.stops.push(this.every(this.cfg.checkPeriodSec * 1000, () => this.publish(py.GATEWAY_CHECK)));
    this.pushStatus();
  }

  async stop(): Promise<void> {
    for (const f of this.stops) f();
    this.stops = [];
    this.setState('stopped');
    await this.session?.stop();
  }

  /** The dead-node sweep (also run by the 1 s timer); skipped while our own session is down. */
  sweep(): void {
    if (this.state !== 'connected') return;
    this.apply(this.table.sweep(this.now()));
  }

  /** A set request from the flow (G9); returns an error text when it cannot be sent. */
  set(request: unknown): string | undefined {
    const r = this.table.set(request);
    if (!r.ok) return r.error;
    if (!this.session?.isUp) return 'not connected to the broker';
    this.publish(r.publish);
    return undefined;
  }

  /** §5.7: every node and cached value again, as messages. */
  replay(): void {
    for (const e of this.table.replay()) this.emit('message', e);
  }

  private onUp(s: MqttSession): void {
    if (s !== this.session) return;
    // node/+/+ covers node/<id>/resources too: one filter each, so no broker delivers a publish twice.
    const filters = ['node/check', 'node/+/+'];
    if (this.cfg.announceFilter) filters.push(this.cfg.announceFilter);
    s.subscribe(filters).then(
      (granted) => {
        const refused = filters.filter((_, i) => granted[i] === 128);
        if (refused.length > 0) this.emit('warning', `broker refused the subscription of ${refused.join(', ')}`);
        // Our outage is not the nodes': everyone starts a fresh max time, and is asked to check in.
        this.table.touchAll(this.now());
        this.setState('connected');
        this.publish(py.GATEWAY_CHECK);
      },
      (err: unknown) => this.emit('warning', `subscribe failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private onMessage(topic: string, payload: Buffer): void {
    try {
      const t = py.parseGatewayTopic(topic);
      if (t.kind === 'check') {
        const before = this.table.size;
        const fx = this.table.check(payload, this.now());
        this.apply(fx);
        if (fx.emit.length === 0 && this.table.size === before && fx.warnings.length === 0) {
          const id = this.idOf(payload);
          const info = id === undefined ? undefined : this.table.get(id);
          if (info) this.emit('alive', info);
        }
      } else if (t.kind === 'resources') this.apply(this.table.resources(t.id, payload));
      else if (t.kind === 'value') this.apply(this.table.value(t.id, t.resource, payload));
      else if (this.announceIndex !== undefined) this.onAnnounce(topic, payload);
    } catch (err) {
      // The table never throws by design; this is the last guard of a broker callback.
      this.emit('warning', `message on ${topic.slice(0, 60)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onAnnounce(topic: string, payload: Buffer): void {
    const id = topic.split('/')[this.announceIndex ?? 0] ?? '';
    if (py.checkNodeId(id)) return;
    const known = this.table.get(id) !== undefined;
    this.apply(this.table.announce(id, 'generic', this.now()));
    if (known) {
      const info = this.table.get(id);
      if (info) this.emit('alive', info);
    }
    let v: unknown;
    try {
      v = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // a bare announcement: liveness only
    }
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) this.apply(this.table.genericValues(id, v as Record<string, unknown>));
  }

  private idOf(payload: Buffer): string | undefined {
    try {
      const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  }

  private apply(fx: py.Effects): void {
    for (const p of fx.publish) this.publish(p);
    for (const w of fx.warnings) this.emit('warning', w);
    for (const e of fx.emit) this.emit('message', e);
    if (fx.emit.length > 0 || fx.warnings.length > 0) this.pushStatus();
  }

  private publish(p: py.Publish): void {
    if (!this.session?.isUp) return;
    this.session.publish(p.topic, p.payload).catch((err: unknown) => {
      if (this.state === 'connected')
        this.emit('warning', `publish on ${p.topic} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private setState(s: GatewayStatus['state']): void {
    this.state = s;
    this.pushStatus();
  }

  private pushStatus(): void {
    const st = this.status;
    const key = JSON.stringify(st);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.emit('status', st);
  }
}
