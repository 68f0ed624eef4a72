import { EventEmitter } from 'node:events';
import * as c8y from '../dialects/cumulocity';
import type { AlarmChange, DeviceEvent, Inbound, Measurement, Operation, OperationStatus, Outbound, Result } from '../dialects/types';
import { DEFAULT_BACKOFF, TakeoverDetector, type BackoffOptions } from '../transport/backoff';
import { Courier } from '../transport/courier';
import { LANES, type Lane, type Outbox } from '../transport/outbox';
import { MqttSession, type RefusalDecision, type SessionEnd, type SessionSettings, type TlsSettings } from '../transport/session';
import { OperationTracker, type OperationConsumer } from './operations';
import type { AgentState, AgentStatus, PlatformAgent } from './platform';
import { DeviceState } from './state-store';

export type AuthConfig =
  { mode: 'basic'; user: string; password: string } | { mode: 'bootstrap'; user: string; password: string } | { mode: 'cert' };

/** Everything a Cumulocity agent needs, already validated (see nodes/connection-config.ts). */
export interface AgentConfig {
  url: string;
  host: string;
  tenant: string;
  deviceId: string;
  auth: AuthConfig;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  will: boolean;
  operationMode: 'id' | 'static';
  deviceName: string;
  deviceType: string;
  requiredIntervalMin?: number | undefined;
  hardware?: { serial?: string | undefined; model?: string | undefined; revision?: string | undefined } | undefined;
  agentVersion: string;
  dataDir: string;
  restartTimeoutSec: number;
  bootstrapPollSec: number;
  bootstrapTimeoutSec: number;
  /** After CONNACK 4: wait this long before trying again; 0 = not until redeploy. */
  badCredentialsRetrySec: number;
  backoff?: BackoffOptions | undefined;
  connectTimeoutMs?: number | undefined;
  /** Base URL of the platform's HTTP side; default `https://<host>`. */
  httpUrl?: string | undefined;
}

const ALL_LANES: readonly Lane[] = LANES;
const SESSION_ONLY: readonly Lane[] = ['session'];
/** Devices whose stale EXECUTING operations were already failed in this process (cumulocity.md §5 step 6). */
const cleanedUp = new Set<string>();

/**
 * A Cumulocity device agent over one MQTT session: bootstrap, the session start sequence of
 * cumulocity.md §5, operation dispatch and status reporting, all publishes through the outbox.
 *
 * Events: `status` (AgentStatus), `platform-error` ({code, template, text}), `warning` (string).
 */
export class CumulocityAgent extends EventEmitter implements PlatformAgent {
  private session: MqttSession | undefined;
  private readonly courier: Courier;
  readonly tracker: OperationTracker;
  private readonly state: DeviceState;
  private readonly takeover = new TakeoverDetector();
  private status: AgentStatus = { state: 'connecting', queued: 0, dropped: 0 };
  private generation = 0;
  private refused5 = 0;
  private bootstrapTimer: NodeJS.Timeout | undefined;
  private bootstrapDeadline = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sessionReady = false;
  private unreportedDrops = 0;
  readonly platformErrors: string[] = [];

  constructor(
    private readonly cfg: AgentConfig,
    private readonly outbox: Outbox,
  ) {
    super();
    this.state = new DeviceState(cfg.dataDir, cfg.host, cfg.deviceId);
    this.courier = new Courier(outbox, c8y.BATCH_RULE);
    this.courier.on('rejected', (records: { payload: string }[], err: Error) =>
      this.emit('warning', `broker refused ${records.length} record(s): ${err.message}`),
    );
    this.tracker = new OperationTracker(
      {
        mode: cfg.operationMode,
        markerFile: this.state.operationsFile,
        restartTimeoutSec: cfg.restartTimeoutSec,
        duplicateWindowMs: 30_000,
      },
      (op, status, reason, result) => this.sendStatus(op, status, reason, result),
    );
    outbox.on('change', this.onOutboxChange);
    outbox.on('warning', this.onOutboxWarning);
    outbox.on('dropped', this.onOutboxDropped);
  }

  /** Current status, for nodes that register late. */
  get currentStatus(): AgentStatus {
    return this.status;
  }

  start(): void {
    const stored = this.cfg.auth.mode === 'bootstrap' ? this.state.loadCredentials() : undefined;
    if (this.cfg.auth.mode === 'bootstrap' && !stored) {
      this.startBootstrap();
      return;
    }
    this.startSession(this.sessionSettings(stored));
  }

  /** Queues an encoded record. Resolves once it is in the outbox; rejects with the encoder's reason. */
  async send(rec: Result<Outbound>): Promise<void> {
    if (!rec.ok) throw new Error(rec.error);
    await this.outbox.put(rec.value, rec.value.priority === 'control' ? 'control' : 'telemetry');
  }

  sendMeasurement(m: Measurement): Promise<void> {
    return this.send(c8y.encodeMeasurement(m));
  }

  sendEvent(e: DeviceEvent): Promise<void> {
    return this.send(c8y.encodeEvent(e));
  }

  sendAlarm(a: AlarmChange): Promise<void> {
    return this.send(c8y.encodeAlarm(a));
  }

  addConsumer(c: OperationConsumer): void {
    this.tracker.addConsumer(c);
    this.resendSupportedOperations();
  }

  removeConsumer(c: OperationConsumer): void {
    this.tracker.removeConsumer(c);
    if (!this.stopped) this.resendSupportedOperations();
  }

  /**
   * The device's current text configuration (`c8y_Configuration`, `113`): sent when the flow
   * applied a configuration operation (before its SUCCESSFUL) or whenever it changes.
   */
  sendConfiguration(text: string): Promise<void> {
    return this.send(c8y.encodeLine(['113', text], 'control'));
  }

  /** The flow's outcome for an operation it was given. Returns an error text if it cannot be applied. */
  report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined {
    return this.tracker.report(key, status, reason, result);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearBootstrap();
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.tracker.close('Node-RED flow stopped or redeployed while the operation was running');
    this.outbox.off('change', this.onOutboxChange);
    this.outbox.off('warning', this.onOutboxWarning);
    this.outbox.off('dropped', this.onOutboxDropped);
    const s = this.session;
    this.session = undefined;
    // Give statuses queued just now (and any backlog) a moment to leave while still connected.
    if (s?.isUp && this.sessionReady) await this.waitIdle(1000);
    this.courier.dispose();
    this.outbox.clearLane('session');
    if (s) await s.stop();
    this.setStatus({ state: 'stopped' });
  }

  // ---- sessions -------------------------------------------------------------------------------

  private sessionSettings(stored?: { tenant: string; username: string; password: string }): SessionSettings {
    const a = this.cfg.auth;
    const s: SessionSettings = {
      url: this.cfg.url,
      clientId: this.cfg.deviceId,
      tls: this.cfg.tls,
      keepaliveSec: this.cfg.keepaliveSec,
      connectTimeoutMs: this.cfg.connectTimeoutMs ?? 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
      will: this.cfg.will ? c8y.defaultWill() : undefined,
    };
    if (stored) {
      s.username = c8y.username(stored.tenant, stored.username);
      s.password = stored.password;
    } else if (a.mode === 'basic') {
      s.username = c8y.username(this.cfg.tenant, a.user);
      s.password = a.password;
    }
    return s;
  }

  private startSession(settings: SessionSettings): void {
    this.setStatus({ state: 'connecting' });
    const session = new MqttSession(settings, (code) => this.onRefused(code));
    this.session = session;
    session.on('up', () => this.onUp(session));
    session.on('down', (end: SessionEnd) => this.onDown(session, end));
    session.on('message', (topic: string, payload: Buffer) => this.onMessage(topic, payload));
    session.on('state', (st: string) => {
      if (st === 'connecting' && this.status.state === 'disconnected') this.setStatus({ state: 'connecting' });
    });
    session.start();
  }

  private onRefused(code: number): RefusalDecision {
    if (code === 1 || code === 2) {
      const detail = code === 1 ? 'protocol version refused' : 'client id refused';
      this.setStatus({ state: 'config-error', detail });
      return { kind: 'stop' };
    }
    if (code === 4) {
      this.setStatus({ state: 'bad-credentials' });
      const s = this.cfg.badCredentialsRetrySec;
      return s > 0 ? { kind: 'wait', ms: s * 1000 } : { kind: 'stop' };
    }
    if (code === 5) {
      this.refused5 += 1;
      if (this.refused5 >= 5) this.setStatus({ state: 'not-authorized' });
      // Cumulocity also answers 5 when overloaded: never retry faster than half the ceiling.
      return { kind: 'backoff', floor: 0.5 };
    }
    return { kind: 'backoff' };
  }

  private onUp(session: MqttSession): void {
    if (session !== this.session) return;
    this.generation += 1;
    const gen = this.generation;
    this.refused5 = 0;
    this.courier.attach((topic, payload) => session.publish(topic, payload), SESSION_ONLY);
    this.runStartSequence(session, gen).catch((err: unknown) => {
      if (gen !== this.generation || this.stopped) return;
      this.emit('warning', `session start failed: ${err instanceof Error ? err.message : String(err)}`);
      session.drop();
    });
  }

  private onDown(session: MqttSession, end: SessionEnd): void {
    if (session !== this.session && !this.stopped) return;
    this.generation += 1;
    this.sessionReady = false;
    this.courier.detach();
    this.outbox.clearLane('session');
    if (this.stopped) return;
    if (end.wasUp && this.takeover.sessionEnded(Date.now(), end.upForMs, end.localCause)) {
      session.delayNext(300_000);
      this.setStatus({ state: 'takeover' });
      return;
    }
    const keep: AgentState[] = ['bad-credentials', 'not-authorized', 'config-error', 'takeover'];
    if (!keep.includes(this.status.state)) this.setStatus({ state: 'disconnected' });
  }

  /** cumulocity.md §5: the order of subscriptions and start-up lines after every CONNACK 0. */
  private async runStartSequence(session: MqttSession, gen: number): Promise<void> {
    const live = (): boolean => gen === this.generation && !this.stopped;
    await session.subscribe([c8y.ERRORS]);
    await this.sendSessionLine(c8y.encodeDeviceCreate(this.cfg.deviceName, this.cfg.deviceType));
    if (!live()) return;
    const subs = c8y.sessionSubscriptions(this.cfg.operationMode, this.cfg.auth.mode === 'cert').filter((t) => t !== c8y.ERRORS);
    await this.subscribeWithRetry(session, subs, live);
    if (!live()) return;
    this.tracker.subscribed();
    const hw = this.cfg.hardware;
    const lines: Result<Outbound>[] = [];
    if (hw && (hw.serial || hw.model || hw.revision)) lines.push(c8y.encodeHardware(hw.serial ?? '', hw.model ?? '', hw.revision ?? ''));
    lines.push(c8y.encodeAgentInfo('node-red-contrib-device-agent', this.cfg.agentVersion, '', 'node-red-contrib-device-agent'));
    if (this.cfg.requiredIntervalMin) lines.push(c8y.encodeRequiredInterval(this.cfg.requiredIntervalMin));
    lines.push(c8y.encodeSupportedOperations(this.tracker.supportedFragments()));
    const logTypes = this.tracker.supportedLogTypes();
    if (logTypes.length > 0) lines.push(c8y.encodeLine(['118', ...logTypes], 'control'));
    for (const l of lines) await this.putSession(l);
    // Step 6: outcomes of operations interrupted by a restart, then fail stale EXECUTING ones once per process.
    const withMarkers = this.tracker.recoverMarkers();
    const key = `${this.cfg.host}/${this.cfg.deviceId}`;
    if (!cleanedUp.has(key)) {
      cleanedUp.add(key);
      for (const f of this.tracker.supportedFragments()) {
        if (!withMarkers.includes(f)) await this.putSession(c8y.encodeBulkFail(f, 'Agent restarted'));
      }
    }
    await this.sendSessionLine(c8y.encodeGetPending());
    if (!live()) return;
    this.sessionReady = true;
    this.courier.setLanes(ALL_LANES);
    this.setStatus({ state: 'connected' });
    if (this.unreportedDrops > 0) {
      const text = `${this.unreportedDrops} telemetry records were dropped while offline: the outbox was full`;
      const ev = c8y.encodeEvent({ type: 'c8y_OutboxOverflow', text, time: new Date() });
      if (ev.ok) this.putControl({ ...ev.value, priority: 'control' });
      this.unreportedDrops = 0;
    }
  }

  private async subscribeWithRetry(session: MqttSession, topics: string[], live: () => boolean): Promise<void> {
    let delay = 2000;
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const granted = await session.subscribe(topics);
      const refused = topics.filter((_, i) => granted[i] === 128);
      if (refused.length === 0) return;
      if (attempt === 6 || !live()) throw new Error(`subscription refused: ${refused.join(', ')}`);
      this.emit('warning', `subscription refused, retrying in ${delay / 1000} s: ${refused.join(', ')}`);
      await new Promise((r) => setTimeout(r, delay));
      if (!live()) return;
      topics = refused;
      delay *= 2;
    }
  }

  private async putSession(rec: Result<Outbound>): Promise<number> {
    if (!rec.ok) throw new Error(rec.error);
    return this.outbox.put(rec.value, 'session');
  }

  /** Queues a start-up line and waits for its PUBACK. */
  private async sendSessionLine(rec: Result<Outbound>): Promise<void> {
    const seq = await this.putSession(rec);
    await new Promise<void>((resolve, reject) => {
      const onAck = (): void => {
        if (!this.outbox.isPending(seq)) {
          cleanup();
          resolve();
        }
      };
      const onDown = (): void => {
        cleanup();
        reject(new Error('session ended during start-up'));
      };
      const cleanup = (): void => {
        this.outbox.off('change', onAck);
        this.session?.off('down', onDown);
      };
      this.outbox.on('change', onAck);
      this.session?.once('down', onDown);
      onAck();
    });
  }

  private resendSupportedOperations(): void {
    if (!this.sessionReady) return; // the start sequence sends it
    const rec = c8y.encodeSupportedOperations(this.tracker.supportedFragments());
    if (rec.ok) this.putControl(rec.value);
    const logTypes = this.tracker.supportedLogTypes();
    if (logTypes.length > 0) {
      const lt = c8y.encodeLine(['118', ...logTypes], 'control');
      if (lt.ok) this.putControl(lt.value);
    }
  }

  /**
   * How to reach the platform's REST and WebSocket side (binary uploads, remote access): the base
   * URL and the device's Authorization header. Undefined until credentials are known, and in
   * certificate mode (which needs a JWT from s/uat — not implemented yet).
   */
  platformHttp(): { baseUrl: string; authorization: string } | undefined {
    const creds =
      this.cfg.auth.mode === 'basic'
        ? { tenant: this.cfg.tenant, username: this.cfg.auth.user, password: this.cfg.auth.password }
        : this.cfg.auth.mode === 'bootstrap'
          ? this.state.loadCredentials()
          : undefined;
    if (!creds) return undefined;
    const token = Buffer.from(`${creds.tenant}/${creds.username}:${creds.password}`, 'utf8').toString('base64');
    return { baseUrl: this.cfg.httpUrl ?? `https://${this.cfg.host}`, authorization: `Basic ${token}` };
  }

  // ---- inbound --------------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    let inbound: Inbound[];
    try {
      inbound = c8y.decodeDownstream(topic, payload.toString('utf8'));
    } catch (err) {
      this.emit('warning', `could not decode a message on ${topic}: ${String(err)}`);
      return;
    }
    for (const i of inbound) this.handle(topic, i);
  }

  private handle(topic: string, i: Inbound): void {
    switch (i.kind) {
      case 'operation':
        this.tracker.accept(i.operation);
        return;
      case 'bad-operation': {
        const op: Operation = { id: i.id, fragment: i.fragment, deviceId: i.deviceId, params: {} };
        this.sendStatus(op, 'EXECUTING');
        this.sendStatus(op, 'FAILED', i.reason);
        return;
      }
      case 'credentials':
        this.onCredentials(i.tenant, i.username, i.password);
        return;
      case 'platform-error': {
        const line = `${i.code},${i.template},${i.text}`;
        this.platformErrors.push(line);
        if (this.platformErrors.length > 20) this.platformErrors.shift();
        if (!(i.code === '41' && i.template === '100')) this.emit('platform-error', i);
        return;
      }
      case 'reply':
        return;
      case 'ignored':
        this.emit('warning', `ignored a message on ${topic}: ${i.reason}`);
        return;
    }
  }

  private sendStatus(op: Operation, status: OperationStatus, reason?: string, result?: string[]): void {
    const rec = c8y.encodeStatus({ operation: op, status, reason, result }, op.id !== undefined ? 'id' : 'static', this.cfg.deviceId);
    if (!rec.ok) {
      this.emit('warning', `cannot report ${status} for ${op.fragment}: ${rec.error}`);
      return;
    }
    this.putControl(rec.value);
  }

  /** Queues a control record from an event handler: a refusal of the store becomes a warning. */
  private putControl(rec: Outbound): void {
    this.outbox
      .put(rec, 'control')
      .catch((err: unknown) => this.emit('warning', `could not queue ${rec.payload.slice(0, 40)}: ${String(err)}`));
  }

  // ---- bootstrap (cumulocity.md §4.1) -----------------------------------------------------------

  private startBootstrap(): void {
    if (this.cfg.auth.mode !== 'bootstrap') return;
    this.setStatus({ state: 'bootstrapping' });
    this.bootstrapDeadline = Date.now() + this.cfg.bootstrapTimeoutSec * 1000;
    const settings = this.sessionSettings();
    settings.username = c8y.BOOTSTRAP_USER;
    settings.password = this.cfg.auth.password;
    settings.will = undefined;
    const session = new MqttSession(settings, (code) => this.onRefused(code));
    this.session = session;
    session.on('up', () => {
      if (session !== this.session) return;
      this.generation += 1;
      this.courier.attach((topic, payload) => session.publish(topic, payload), SESSION_ONLY);
      session.subscribe([c8y.BOOTSTRAP_DOWN]).then(
        () => this.poll(session),
        () => session.drop(),
      );
    });
    session.on('down', () => {
      this.courier.detach();
      this.outbox.clearLane('session');
      this.clearBootstrap();
    });
    session.on('message', (topic: string, payload: Buffer) => this.onMessage(topic, payload));
    session.start();
  }

  private poll(session: MqttSession): void {
    this.clearBootstrap();
    if (session !== this.session || this.stopped) return;
    if (Date.now() > this.bootstrapDeadline) {
      this.setStatus({ state: 'registration-timeout' });
      void session.stop();
      return;
    }
    void this.outbox.put({ topic: c8y.BOOTSTRAP_UP, payload: '', priority: 'control', batchable: false }, 'session');
    this.bootstrapTimer = setTimeout(() => this.poll(session), this.cfg.bootstrapPollSec * 1000);
  }

  private clearBootstrap(): void {
    if (this.bootstrapTimer) clearTimeout(this.bootstrapTimer);
    this.bootstrapTimer = undefined;
  }

  private onCredentials(tenant: string, user: string, password: string): void {
    if (this.cfg.auth.mode !== 'bootstrap' || this.stopped) return;
    const creds = { tenant, username: user, password, obtainedAt: new Date().toISOString() };
    try {
      this.state.saveCredentials(creds);
    } catch (err) {
      this.emit('warning', `could not store the device credentials: ${String(err)}`);
    }
    this.clearBootstrap();
    const old = this.session;
    this.session = undefined;
    const next = (): void => {
      if (!this.stopped) this.startSession(this.sessionSettings(creds));
    };
    if (old) old.stop().then(next, next);
    else next();
  }

  // ---- status ---------------------------------------------------------------------------------

  private readonly onOutboxWarning = (err: Error): void => {
    this.emit('warning', `outbox: ${err.message}`);
  };

  /** Telemetry dropped because the store was full: say so now, and tell the platform once connected. */
  private readonly onOutboxDropped = (n: number): void => {
    this.unreportedDrops += n;
    this.emit('dropped', n, this.outbox.stats().dropped);
    this.setStatus({});
  };

  private readonly onOutboxChange = (): void => {
    if (this.status.state === 'connected' || this.queueTimer) return;
    this.queueTimer = setTimeout(() => {
      this.queueTimer = undefined;
      this.setStatus({});
    }, 1000);
  };

  private setStatus(change: Partial<AgentStatus>): void {
    const st = this.outbox.stats();
    const next: AgentStatus = {
      ...this.status,
      detail: undefined,
      ...change,
      queued: st.pending + st.inFlight,
      dropped: st.dropped,
    };
    const same =
      next.state === this.status.state &&
      next.detail === this.status.detail &&
      next.queued === this.status.queued &&
      next.dropped === this.status.dropped;
    this.status = next;
    if (!same) this.emit('status', next);
  }

  private waitIdle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const st = this.outbox.stats();
        if (st.inFlight === 0 && st.pending === 0) done();
      };
      const done = (): void => {
        clearTimeout(t);
        this.outbox.off('change', check);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.outbox.on('change', check);
      check();
    });
  }
}
