/**
 * A pyaiot MQTT node (pyaiot.md §4, §6): announces itself on `node/check` at every connect and
 * every check period (and in answer to `gateway/check`), answers both discovery requests from a
 * registry of resources (name → last value), publishes values, and hands `set` requests to the
 * operation node that names the resource; once the flow reports SUCCESSFUL the new value is
 * published back (`node/<id>/<resource>`), as pyaiot's test node does for `led`.
 *
 * Announcements and discovery answers travel on the session lane (now or never); value
 * publications are telemetry and wait in the outbox while the broker is away.
 */
import * as py from '../dialects/pyaiot';
import type { AlarmChange, DeviceEvent, Measurement, Operation, OperationStatus, Outbound } from '../dialects/types';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import type { MqttSession, SessionSettings, TlsSettings } from '../transport/session';
import { MqttAgent } from './mqtt-agent';
import { OperationTracker, type OperationConsumer } from './operations';
import { DeviceState } from './state-store';

/** Everything a pyaiot agent needs, already validated (nodes/connection-config-pyaiot.ts). */
export interface PyaiotAgentConfig {
  url: string;
  host: string;
  nodeId: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  checkPeriodSec: number;
  valueStyle: py.ValueStyle;
  /** Resources known from the start with their values (`name`, `os`, … and any the user adds). */
  staticResources: ReadonlyArray<readonly [string, py.ResourceValue]>;
  eventResource: string;
  alarmResource: string;
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
  backoff?: BackoffOptions | undefined;
  connectTimeoutMs?: number | undefined;
}

const NO_VALUE = Symbol('no value yet');

export class PyaiotAgent extends MqttAgent {
  readonly tracker: OperationTracker;
  /** Resource name → last value, in the order names became known. */
  private readonly registry = new Map<string, py.ResourceValue | typeof NO_VALUE>();
  private checkTimer: NodeJS.Timeout | undefined;
  /** The first announcement went out: names that become known later are announced unasked. */
  private announced = false;
  /**
   * Names were learned after the first announcement. Then every reconnect lists them again: one
   * sent while the broker was going away may have been lost, and the gateway keeps the old list.
   */
  private grown = false;
  /** Requests refused as bad input (unknown discover payloads, sets nothing handles), since start. */
  badRequests = 0;

  constructor(
    private readonly cfg: PyaiotAgentConfig,
    outbox: Outbox,
  ) {
    super(outbox, py.BATCH_RULE, cfg.badCredentialsRetrySec);
    for (const [name, value] of cfg.staticResources) this.registry.set(name, value);
    const state = new DeviceState(cfg.dataDir, cfg.host, cfg.nodeId);
    this.tracker = new OperationTracker(
      { mode: 'id', markerFile: state.operationsFile, restartTimeoutSec: cfg.restartTimeoutSec, duplicateWindowMs: -1 },
      (op, status, reason, result) => this.onOutcome(op, status, reason, result),
    );
  }

  /** The resource names in announcement order (T3). */
  resourceNames(): string[] {
    return [...this.registry.keys()];
  }

  start(): void {
    this.startSession(this.sessionSettings());
    this.checkTimer = setInterval(() => this.announce(), this.cfg.checkPeriodSec * 1000);
    this.checkTimer.unref?.();
  }

  async sendMeasurement(m: Measurement): Promise<void> {
    if (m.child !== undefined) throw new Error('a pyaiot node has no child devices');
    const values = py.measurementValues(m, this.cfg.valueStyle);
    if (!values.ok) throw new Error(values.error);
    for (const v of values.value) await this.publishValue(v.resource, v.value);
  }

  sendEvent(e: DeviceEvent): Promise<void> {
    if (e.child !== undefined) return Promise.reject(new Error('a pyaiot node has no child devices'));
    return this.publishValue(this.cfg.eventResource, e.text);
  }

  sendAlarm(a: AlarmChange): Promise<void> {
    if (a.child !== undefined) return Promise.reject(new Error('a pyaiot node has no child devices'));
    const text = a.action === 'raise' ? `${a.severity} ${a.type}: ${a.text}` : `cleared ${a.type}`;
    return this.publishValue(this.cfg.alarmResource, text);
  }

  sendConfiguration(): Promise<void> {
    return Promise.reject(new Error('pyaiot has no device configuration upload'));
  }

  addConsumer(c: OperationConsumer): void {
    this.tracker.addConsumer(c);
    // A resource an operation node sets is one the node has, value or not yet.
    for (const f of c.fragments) if (f !== '*' && !py.checkResourceName(f)) this.learn(f);
  }

  removeConsumer(c: OperationConsumer): void {
    this.tracker.removeConsumer(c);
  }

  report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined {
    return this.tracker.report(key, status, reason, result);
  }

  protected beforeStop(): void {
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.tracker.close('Node-RED flow stopped or redeployed while the set request was open');
  }

  /** For the editor's Test connection: the session this agent would open. */
  probeSession(): SessionSettings {
    return this.sessionSettings();
  }

  private sessionSettings(): SessionSettings {
    return {
      url: this.cfg.url,
      clientId: this.cfg.clientId,
      username: this.cfg.username,
      password: this.cfg.password,
      tls: this.cfg.tls,
      keepaliveSec: this.cfg.keepaliveSec,
      connectTimeoutMs: this.cfg.connectTimeoutMs ?? 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
    };
  }

  /** Subscribe the gateway's three topics, then announce at once (on every reconnect too, §6). */
  protected async runStartSequence(session: MqttSession, gen: number): Promise<void> {
    const id = this.cfg.nodeId;
    await this.subscribeWithRetry(session, [py.discoverTopic(id), py.setFilter(id), py.GATEWAY_CHECK_TOPIC], () => this.isLive(gen));
    if (!this.isLive(gen)) return;
    this.tracker.subscribed();
    await this.sendSessionLine({ ok: true, value: py.encodeCheck(id) });
    if (!this.isLive(gen)) return;
    this.announced = true;
    this.markReady();
    if (this.grown) this.sendList();
  }

  private announce(): void {
    if (!this.sessionReady || this.stopped) return;
    this.queueSession(py.encodeCheck(this.cfg.nodeId));
  }

  /** Queues a session-lane record from a handler; a refusal becomes a warning. */
  private queueSession(rec: Outbound): void {
    this.putSession({ ok: true, value: rec }).catch((err: unknown) => this.emit('warning', `could not queue ${rec.topic}: ${String(err)}`));
  }

  /** Adds a name to the registry; once announced, tells the gateway the new list (§6 measurement). */
  private learn(name: string): void {
    if (this.registry.has(name)) return;
    this.registry.set(name, NO_VALUE);
    if (!this.announced) return;
    this.grown = true;
    if (this.sessionReady) this.sendList();
  }

  /** T3, the resource list, asked for or not. */
  private sendList(): void {
    this.queueSession(py.encodeResources(this.cfg.nodeId, this.resourceNames()));
  }

  private async publishValue(resource: string, value: py.ResourceValue, priority: 'control' | 'telemetry' = 'telemetry'): Promise<void> {
    const rec = py.encodeValue(this.cfg.nodeId, resource, value, priority);
    if (!rec.ok) throw new Error(rec.error);
    this.learn(resource);
    this.registry.set(resource, value);
    await this.send(rec);
  }

  // ---- requests from the gateway ----------------------------------------------------------------

  protected onMessage(topic: string, payload: Buffer): void {
    const r = py.decodeNodeRequest(this.cfg.nodeId, topic, payload);
    const id = this.cfg.nodeId;
    switch (r.kind) {
      case 'ignored':
        this.emit('warning', `ignored a message: ${r.reason}`);
        return;
      case 'bad':
        this.badInput(r.reason);
        return;
      case 'check':
        this.announce();
        return;
      case 'resources':
        this.clearAlert();
        this.sendList();
        return;
      case 'values':
        this.clearAlert();
        for (const [name, value] of this.registry) {
          if (value === NO_VALUE) continue;
          const rec = py.encodeValue(id, name, value, 'control');
          if (rec.ok) this.queueSession(rec.value);
        }
        return;
      case 'set':
        this.onSet(r.resource, r.text);
        return;
    }
  }

  private onSet(resource: string, text: string): void {
    const bad = py.checkResourceName(resource);
    if (bad) {
      this.badInput(`set: ${bad}`);
      return;
    }
    if (!this.tracker.hasConsumerFor(resource)) {
      this.badInput(`set ${resource}: no operation node handles this resource`);
      return;
    }
    this.clearAlert();
    const op: Operation = { fragment: resource, deviceId: this.cfg.nodeId, params: text };
    this.tracker.accept(op);
  }

  /** SUCCESSFUL: publish the resource's new value (the flow's result, else the text that was set). */
  private onOutcome(op: Operation, status: OperationStatus, reason?: string, result?: string[]): void {
    if (status === 'EXECUTING') return;
    if (status === 'FAILED') {
      this.emit('warning', `set ${op.fragment} failed: ${reason ?? 'no reason given'}`);
      return;
    }
    const value = result && result.length > 0 ? (result[0] as string) : String(op.params);
    this.publishValue(op.fragment, value, 'control').catch((err: unknown) =>
      this.emit('warning', `could not publish the new value of ${op.fragment}: ${String(err)}`),
    );
  }

  private clearAlert(): void {
    if (this.status.alert) this.setStatus({ alert: undefined });
  }

  private badInput(reason: string): void {
    this.badRequests += 1;
    this.emit('warning', `refused a request (${this.badRequests} so far): ${reason}`);
    this.setStatus({ alert: reason });
  }
}
