/**
 * The MQTT side of a pyaiot gateway (pyaiot.md §5, §7 G1–G10) as a pure state machine: publishes
 * go in with the time they arrived, effects come out (messages for the flow, publishes for the
 * broker, warnings). No clock and no randomness of its own: time is an argument and uids come
 * from the function given, so liveness can be tested at any speed.
 *
 * Unlike upstream (§9): a node or resource named `id`, `protocol`, `check` or `resources` cannot
 * overwrite the node's own keys; values of removed or unknown nodes are dropped without an error;
 * the table is bounded (nodes, resources per node), so a flood of fake ids cannot grow it.
 */
import { checkNodeId, checkResourceName, discoverTopic, GATEWAY_CHECK_TOPIC, setTopic } from './topics';

/** The JSON shapes the pyaiot gateway sends its broker (§5), used as `msg.payload`. */
export type Upstream =
  | { type: 'new'; uid: string; dst: 'all' }
  | { type: 'update'; uid: string; endpoint: string; data: unknown; dst: 'all' }
  | { type: 'out'; uid: string };

export interface Publish {
  topic: string;
  payload: string;
}

/** What the flow learns about a node with each message. */
export interface NodeInfo {
  id: string;
  uid: string;
  protocol: 'MQTT' | 'generic';
  firstSeen: number;
  lastSeen: number;
  resources: string[];
  values: Record<string, unknown>;
}

export interface Emitted {
  payload: Upstream;
  node: NodeInfo;
}

export interface Effects {
  emit: Emitted[];
  publish: Publish[];
  warnings: string[];
}

export interface TableOptions {
  /** Seconds without `node/check` after which a node is removed (upstream `--max-time`, 120). */
  maxTimeSec: number;
  /** Most nodes kept; announcements of further ids are refused (and counted) while full. */
  maxNodes: number;
  /** Most resources one node may list; longer lists are cut (and a warning given). */
  maxResources: number;
  newUid: () => string;
}

interface Entry {
  id: string;
  uid: string;
  protocol: 'MQTT' | 'generic';
  firstSeen: number;
  lastSeen: number;
  /** Listed resources (ordered), with their cached values. */
  listed: string[];
  values: Map<string, unknown>;
}

const none = (): Effects => ({ emit: [], publish: [], warnings: [] });

function parseJson(payload: Buffer | string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const short = (b: Buffer | string): string => JSON.stringify((typeof b === 'string' ? b : b.toString('utf8')).slice(0, 40));

export class GatewayTable {
  private readonly nodes = new Map<string, Entry>();
  private readonly byUid = new Map<string, Entry>();
  /** Announcements refused because the table was full, since start. */
  refused = 0;
  /** Publishes ignored as malformed (bad JSON, wrong shape, bad names), since start. */
  malformed = 0;

  constructor(private readonly opts: TableOptions) {}

  get size(): number {
    return this.nodes.size;
  }

  get full(): boolean {
    return this.nodes.size >= this.opts.maxNodes;
  }

  /** A snapshot of every node, for the status and for tests. */
  list(): NodeInfo[] {
    return [...this.nodes.values()].map((e) => this.info(e));
  }

  get(id: string): NodeInfo | undefined {
    const e = this.nodes.get(id);
    return e ? this.info(e) : undefined;
  }

  /** T1 `node/check` (G1, G8): a new node is announced and asked for its resources; a known one lives on. */
  check(payload: Buffer | string, now: number): Effects {
    const j = parseJson(payload);
    const id = j.ok && isObject(j.value) ? j.value['id'] : undefined;
    if (typeof id !== 'string') return this.bad(`node/check ${short(payload)} is not {"id": "<node id>"}`);
    const badId = checkNodeId(id);
    if (badId) return this.bad(`node/check: ${badId}`);
    return this.announce(id, 'MQTT', now);
  }

  /**
   * A node is alive at `now`: refreshes a known one, adds a new one (unless the table is full).
   * `MQTT` nodes are asked for their resources; `generic` ones (a configured announce pattern) are not.
   */
  announce(id: string, protocol: 'MQTT' | 'generic', now: number): Effects {
    const known = this.nodes.get(id);
    if (known) {
      known.lastSeen = now;
      return none();
    }
    const fx = none();
    if (this.full) {
      this.refused += 1;
      fx.warnings.push(
        `table full (${this.opts.maxNodes} nodes): ignored the announcement of ${id.slice(0, 40)} (${this.refused} refused so far)`,
      );
      return fx;
    }
    const e: Entry = { id, uid: this.opts.newUid(), protocol, firstSeen: now, lastSeen: now, listed: [], values: new Map() };
    this.nodes.set(id, e);
    this.byUid.set(e.uid, e);
    fx.emit.push({ payload: { type: 'new', uid: e.uid, dst: 'all' }, node: this.info(e) });
    fx.emit.push({ payload: { type: 'update', uid: e.uid, endpoint: 'id', data: id, dst: 'all' }, node: this.info(e) });
    fx.emit.push({ payload: { type: 'update', uid: e.uid, endpoint: 'protocol', data: protocol, dst: 'all' }, node: this.info(e) });
    if (protocol === 'MQTT') fx.publish.push({ topic: discoverTopic(id), payload: 'resources' });
    return fx;
  }

  /** T3 `node/<id>/resources` (G2, G5): the listed names become forwardable; the values are asked for. */
  resources(id: string, payload: Buffer | string): Effects {
    const e = this.nodes.get(id);
    if (!e) return none(); // G5: unknown node, as upstream
    const j = parseJson(payload);
    if (!j.ok || !Array.isArray(j.value) || !j.value.every((r) => typeof r === 'string'))
      return this.bad(`node/${id}/resources ${short(payload)} is not a JSON list of names`);
    const fx = none();
    const names: string[] = [];
    for (const r of j.value) {
      const bad = checkResourceName(r);
      if (bad) {
        this.malformed += 1;
        fx.warnings.push(`node ${id}: ${bad}; not forwarded`);
      } else if (!names.includes(r)) names.push(r);
    }
    if (names.length > this.opts.maxResources) {
      this.malformed += 1;
      fx.warnings.push(`node ${id} lists ${names.length} resources: kept the first ${this.opts.maxResources}`);
      names.length = this.opts.maxResources;
    }
    e.listed = names;
    for (const k of [...e.values.keys()]) if (!names.includes(k)) e.values.delete(k);
    fx.publish.push({ topic: discoverTopic(id), payload: 'values' });
    return fx;
  }

  /** T5 `node/<id>/<resource>` (G3, G4, G6): a listed resource's value is cached and forwarded. */
  value(id: string, resource: string, payload: Buffer | string): Effects {
    const e = this.nodes.get(id);
    if (!e || !e.listed.includes(resource)) return none(); // G6, and values of nodes removed a moment ago
    const j = parseJson(payload);
    if (!j.ok || !isObject(j.value) || !Object.hasOwn(j.value, 'value'))
      return this.bad(`node/${id}/${resource} ${short(payload)} is not {"value": …}`);
    const data = j.value['value'];
    e.values.set(resource, data);
    return {
      emit: [{ payload: { type: 'update', uid: e.uid, endpoint: resource, data, dst: 'all' }, node: this.info(e) }],
      publish: [],
      warnings: [],
    };
  }

  /** A generic announcement's own values (no discovery): every key but `id` is a resource. */
  genericValues(id: string, values: Record<string, unknown>): Effects {
    const e = this.nodes.get(id);
    if (!e) return none();
    const fx = none();
    for (const [k, v] of Object.entries(values)) {
      if (k === 'id' || checkResourceName(k)) continue;
      if (!e.listed.includes(k)) {
        if (e.listed.length >= this.opts.maxResources) continue;
        e.listed.push(k);
      }
      e.values.set(k, v);
      fx.emit.push({ payload: { type: 'update', uid: e.uid, endpoint: k, data: v, dst: 'all' }, node: this.info(e) });
    }
    return fx;
  }

  /** Every node counts as seen at `now` (after the gateway's own outage, when no check could arrive). */
  touchAll(now: number): void {
    for (const e of this.nodes.values()) e.lastSeen = Math.max(e.lastSeen, now);
  }

  /** The dead-node sweep (G7): nodes silent for more than max time are removed. */
  sweep(now: number): Effects {
    const fx = none();
    const limit = this.opts.maxTimeSec * 1000;
    for (const e of [...this.nodes.values()]) {
      if (now - e.lastSeen > limit) {
        this.nodes.delete(e.id);
        this.byUid.delete(e.uid);
        fx.emit.push({ payload: { type: 'out', uid: e.uid }, node: this.info(e) });
      }
    }
    return fx;
  }

  /**
   * A `set` from the flow (G9): `{uid | id, endpoint, payload}` or the pyaiot client shape
   * `{type: "update", data: {uid, endpoint, payload}}`. Returns the publish, or why not.
   */
  set(request: unknown): { ok: true; publish: Publish } | { ok: false; error: string } {
    const r = isObject(request) && request['type'] === 'update' && isObject(request['data']) ? request['data'] : request;
    if (!isObject(r)) return { ok: false, error: 'set request must be an object {uid or id, endpoint, payload}' };
    const e = typeof r['uid'] === 'string' ? this.byUid.get(r['uid']) : typeof r['id'] === 'string' ? this.nodes.get(r['id']) : undefined;
    if (!e) return { ok: false, error: `no live node ${JSON.stringify(r['uid'] ?? r['id'] ?? null).slice(0, 60)}` };
    const endpoint = r['endpoint'];
    if (typeof endpoint !== 'string' || checkResourceName(endpoint))
      return { ok: false, error: `endpoint ${JSON.stringify(endpoint ?? null).slice(0, 40)} is not a resource name` };
    const p = r['payload'];
    const text = typeof p === 'string' ? p : typeof p === 'number' || typeof p === 'boolean' ? String(p) : undefined;
    if (text === undefined) return { ok: false, error: 'payload must be a text (or a number or boolean)' };
    return { ok: true, publish: { topic: setTopic(e.id, endpoint), payload: text } };
  }

  /** §5.7: `new` plus one `update` per cached value of every node, for a flow (re)starting to listen. */
  replay(): Emitted[] {
    const out: Emitted[] = [];
    for (const e of this.nodes.values()) {
      const info = this.info(e);
      out.push({ payload: { type: 'new', uid: e.uid, dst: 'all' }, node: info });
      out.push({ payload: { type: 'update', uid: e.uid, endpoint: 'id', data: e.id, dst: 'all' }, node: info });
      out.push({ payload: { type: 'update', uid: e.uid, endpoint: 'protocol', data: e.protocol, dst: 'all' }, node: info });
      for (const [k, v] of e.values) out.push({ payload: { type: 'update', uid: e.uid, endpoint: k, data: v, dst: 'all' }, node: info });
    }
    return out;
  }

  private bad(reason: string): Effects {
    this.malformed += 1;
    return { emit: [], publish: [], warnings: [`ignored: ${reason} (${this.malformed} malformed so far)`] };
  }

  private info(e: Entry): NodeInfo {
    return {
      id: e.id,
      uid: e.uid,
      protocol: e.protocol,
      firstSeen: e.firstSeen,
      lastSeen: e.lastSeen,
      resources: [...e.listed],
      values: Object.fromEntries(e.values),
    };
  }
}

/** `gateway/check`, empty (G10, T6). */
export const GATEWAY_CHECK: Publish = { topic: GATEWAY_CHECK_TOPIC, payload: '' };
