/**
 * Devices found by a gateway, kept in Cumulocity as child devices of this agent (cumulocity.md
 * §5 step 5, §6): `101,<child>,<name>,<type>` on `s/us` once, `117,<minutes>` on `s/us/<child>`
 * (the required interval that turns the child unavailable when it stays silent), numeric values
 * as measurements on `s/us/<child>`, and a `125` heartbeat there when a node checks in but
 * nothing else was sent for it for a while, so its availability follows its pyaiot liveness.
 * When a node disappears, an event on the agent itself says so; nothing is sent for the child
 * (anything sent for it would count as a sign of life), and the platform marks it unavailable
 * once its required interval has passed.
 *
 * Additive on purpose: it uses the agent's public `send` and `sendMeasurement`, nothing inside
 * cumulocity-agent.ts changes. Child ids are `<root id>-<node id>` (cumulocity.md §13 rule).
 */
import * as c8y from '../dialects/cumulocity';
import type { NodeInfo } from '../dialects/pyaiot';
import type { Outbound, Result } from '../dialects/types';
import type { PlatformAgent } from './platform';

/** What the relay needs of an agent: the Cumulocity agent has both. */
export interface ChildSink extends Pick<PlatformAgent, 'sendMeasurement' | 'sendEvent'> {
  send(rec: Result<Outbound>): Promise<void>;
}

export interface ChildRelayOptions {
  /** The agent's own external id; children are `<rootId>-<node id>`. */
  rootId: string;
  /** Managed object type of the children (`101` field 3). */
  type: string;
  /** `117` for each child, minutes. */
  requiredIntervalMin: number;
  /** A `125` at most this often per child, and only when nothing else was sent for it meanwhile. */
  heartbeatSec: number;
  now?: () => number;
}

/** Endpoints that are the node's identity, not values. */
const NOT_VALUES = new Set(['id', 'protocol']);

/** A number from a pyaiot value: `21.5`, `"21.5°C"` → 21.5 °C, `true` → 1; undefined for text. */
export function numericValue(data: unknown): { value: number; unit?: string } | undefined {
  if (typeof data === 'number') return Number.isFinite(data) ? { value: data } : undefined;
  if (typeof data === 'boolean') return { value: data ? 1 : 0 };
  if (typeof data !== 'string') return undefined;
  const m = /^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([^\d\s,".+-][^,"]{0,15})?\s*$/.exec(data);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  return m[2] ? { value, unit: m[2].trim() } : { value };
}

/** Registered children per agent: a redeploy of the gateway node does not register them again. */
const registered = new WeakMap<object, Set<string>>();

export class CumulocityChildRelay {
  private readonly now: () => number;
  private readonly lastSent = new Map<string, number>();
  /** Values that were not numbers (names, texts): not relayed, counted. */
  skipped = 0;

  constructor(
    private readonly agent: ChildSink,
    private readonly opts: ChildRelayOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  childId(nodeId: string): string {
    return `${this.opts.rootId}-${nodeId}`;
  }

  /** A new node: the child device is created (once per agent) and given its required interval. */
  async appear(info: NodeInfo): Promise<void> {
    const child = this.childId(info.id);
    const id = c8y.validateDeviceId(child);
    if (!id.ok) throw new Error(`node ${info.id} cannot be a child device: ${id.error}`);
    let set = registered.get(this.agent);
    if (!set) {
      set = new Set();
      registered.set(this.agent, set);
    }
    this.lastSent.set(child, this.now());
    if (set.has(child)) return;
    set.add(child);
    const name = typeof info.values['name'] === 'string' && info.values['name'] ? info.values['name'] : `pyaiot ${info.id}`;
    await this.agent.send(c8y.encodeLine(['101', child, name, this.opts.type], 'control'));
    await this.agent.send(c8y.encodeLine(['117', String(this.opts.requiredIntervalMin)], 'control', child));
  }

  /** A value: a measurement `pyaiot.<endpoint>` of the child when it is a number; texts are skipped. */
  async value(info: NodeInfo, endpoint: string, data: unknown, at: Date = new Date(this.now())): Promise<boolean> {
    if (NOT_VALUES.has(endpoint)) return false;
    const n = numericValue(data);
    if (!n) {
      this.skipped += 1;
      return false;
    }
    const child = this.childId(info.id);
    this.lastSent.set(child, this.now());
    await this.agent.sendMeasurement({
      type: 'pyaiot',
      time: at,
      series: [{ fragment: 'pyaiot', series: endpoint, value: n.value, unit: n.unit }],
      child,
    });
    return true;
  }

  /** A node checked in: a heartbeat unless something was sent for it within the heartbeat period. */
  async alive(info: NodeInfo): Promise<void> {
    const child = this.childId(info.id);
    const last = this.lastSent.get(child) ?? 0;
    if (this.now() - last < this.opts.heartbeatSec * 1000) return;
    this.lastSent.set(child, this.now());
    await this.agent.send(c8y.encodeLine(['125'], 'telemetry', child));
  }

  /** The node went silent: an event on the agent; the child turns unavailable by its required interval. */
  async out(info: NodeInfo, maxTimeSec: number): Promise<void> {
    const child = this.childId(info.id);
    this.lastSent.delete(child);
    await this.agent.sendEvent({
      type: 'c8y_PyaiotNodeLost',
      text: `pyaiot node ${info.id} (child ${child}) sent no node/check for ${maxTimeSec} s`,
      time: new Date(this.now()),
    });
  }
}
