// A protocol-faithful pyaiot MQTT gateway (pyaiot.md §5, §8 "gateway simulator"), written from the
// protocol file with its own parsing (it never imports dialects/pyaiot): client id `client-id`,
// QoS 1, subscribe-then-publish discovery, silent drops of non-JSON and non-object values (kept in
// `dropped` for tests), `gateway/check` every period, expiry after `maxTimeSec` without a
// `node/check` (values do not refresh it), and a timeline of new/update/out in the §5 JSON shapes.
// The clock is injectable: `now` and the sweep/check timers can be driven by the test.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

export interface SimNode {
  id: string;
  uid: string;
  lastSeen: number;
  resources: string[];
  values: Record<string, unknown>;
}

export type TimelineEntry =
  | { at: number; type: 'new'; uid: string; dst: 'all' }
  | { at: number; type: 'update'; uid: string; endpoint: string; data: unknown; dst: 'all' }
  | { at: number; type: 'out'; uid: string };

export interface GatewaySimOptions {
  url: string;
  clientId?: string;
  maxTimeSec?: number;
  checkPeriodMs?: number;
  now?: () => number;
  /** Run the 1 s sweep and the check timer (false: the test calls sweep() and gatewayCheck()). */
  timers?: boolean;
}

export class PyaiotGatewaySim {
  readonly nodes = new Map<string, SimNode>();
  readonly timeline: TimelineEntry[] = [];
  /** Publishes the gateway dropped: [topic, payload, why]. */
  readonly dropped: Array<[string, string, string]> = [];
  private client!: MqttClient;
  private readonly now: () => number;
  private readonly maxTimeSec: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private waiters: Array<() => void> = [];

  private constructor(opts: GatewaySimOptions) {
    this.now = opts.now ?? Date.now;
    this.maxTimeSec = opts.maxTimeSec ?? 120;
  }

  static async start(opts: GatewaySimOptions): Promise<PyaiotGatewaySim> {
    const g = new PyaiotGatewaySim(opts);
    g.client = mqtt.connect(opts.url, { clientId: opts.clientId ?? 'client-id', reconnectPeriod: 200, protocolVersion: 4 });
    g.client.on('message', (topic, payload) => g.onMessage(topic, payload.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      g.client.once('connect', () => resolve());
      g.client.once('error', reject);
    });
    await g.client.subscribeAsync('node/check', { qos: 1 });
    if (opts.timers !== false) {
      g.timers.push(setInterval(() => g.sweep(), 1000));
      g.timers.push(setInterval(() => g.gatewayCheck(), opts.checkPeriodMs ?? 30_000));
    }
    return g;
  }

  /** T7: the dashboard's raw text on `gateway/<id>/<resource>/set`. */
  async set(id: string, resource: string, text: string): Promise<void> {
    await this.client.publishAsync(`gateway/${id}/${resource}/set`, text, { qos: 1 });
  }

  /** Anything the gateway could publish, e.g. a discover request with a bad payload. */
  async raw(topic: string, payload: string): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** T6, empty. */
  gatewayCheck(): void {
    this.client.publish('gateway/check', '', { qos: 1 });
  }

  /** Removes nodes whose last `node/check` is more than max time ago (upstream: int(now) > last_seen + max_time). */
  sweep(): void {
    const now = this.now();
    for (const n of [...this.nodes.values()]) {
      if (Math.floor(now / 1000) > n.lastSeen / 1000 + this.maxTimeSec) {
        this.nodes.delete(n.id);
        void this.client
          .unsubscribeAsync([`node/${n.id}/resources`, ...n.resources.map((r) => `node/${n.id}/${r}`)])
          .catch(() => undefined);
        this.record({ at: now, type: 'out', uid: n.uid });
      }
    }
  }

  /** Resolves when `cond` holds (checked after every message), or rejects after `ms`. */
  waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  updates(id: string, endpoint: string): unknown[] {
    const uid = this.nodes.get(id)?.uid;
    return this.timeline
      .filter((e) => e.type === 'update' && e.uid === uid && e.endpoint === endpoint)
      .map((e) => (e as { data: unknown }).data);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.client.endAsync(true);
  }

  private record(e: TimelineEntry): void {
    this.timeline.push(e);
    for (const w of [...this.waiters]) w();
  }

  private onMessage(topic: string, text: string): void {
    if (topic === 'node/check') {
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        this.dropped.push([topic, text, 'not JSON']);
        return this.poke();
      }
      if (typeof id !== 'string') {
        this.dropped.push([topic, text, 'no id']);
        return this.poke();
      }
      const known = this.nodes.get(id);
      if (known) {
        known.lastSeen = this.now();
        return this.poke();
      }
      const n: SimNode = { id, uid: randomUUID(), lastSeen: this.now(), resources: [], values: {} };
      this.nodes.set(id, n);
      this.record({ at: this.now(), type: 'new', uid: n.uid, dst: 'all' });
      this.record({ at: this.now(), type: 'update', uid: n.uid, endpoint: 'id', data: id, dst: 'all' });
      this.record({ at: this.now(), type: 'update', uid: n.uid, endpoint: 'protocol', data: 'MQTT', dst: 'all' });
      // Subscribe first, then ask: the answer must not overtake the subscription.
      void this.client
        .subscribeAsync(`node/${id}/resources`, { qos: 1 })
        .then(() => this.client.publishAsync(`gateway/${id}/discover`, 'resources', { qos: 1 }))
        .catch(() => undefined);
      return;
    }
    const parts = topic.split('/');
    if (parts.length !== 3 || parts[0] !== 'node') return;
    const n = this.nodes.get(parts[1] ?? '');
    if (!n) return;
    const leaf = parts[2] ?? '';
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.dropped.push([topic, text, 'not JSON']);
      return this.poke();
    }
    if (leaf === 'resources') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        this.dropped.push([topic, text, 'not a list of names']);
        return this.poke();
      }
      const names = v;
      const fresh = names.filter((r) => !n.resources.includes(r));
      n.resources = names;
      const sub =
        fresh.length > 0
          ? this.client.subscribeAsync(
              fresh.map((r) => `node/${n.id}/${r}`),
              { qos: 1 },
            )
          : Promise.resolve();
      void sub.then(() => this.client.publishAsync(`gateway/${n.id}/discover`, 'values', { qos: 1 })).catch(() => undefined);
      return this.poke();
    }
    if (!n.resources.includes(leaf)) return;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !('value' in v)) {
      this.dropped.push([topic, text, 'not {"value": …}']);
      return this.poke();
    }
    const data = v.value;
    n.values[leaf] = data;
    this.record({ at: this.now(), type: 'update', uid: n.uid, endpoint: leaf, data, dst: 'all' });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }
}
