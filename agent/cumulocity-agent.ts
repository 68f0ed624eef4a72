import * as c8y from '../dialects/cumulocity';
import type { AlarmChange, DeviceEvent, Inbound, Measurement, Operation, OperationStatus, Outbound, Result } from '../dialects/types';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import { MqttSession, type SessionEnd, type SessionSettings, type TlsSettings } from '../transport/session';
import { DeviceTokenKeeper } from './cumulocity-token';
import { MqttAgent } from './mqtt-agent';
import { OperationTracker, type OperationConsumer } from './operations';
import { DeviceState } from './state-store';
import type { PlatformHttpAccess, SoftwareItem } from './platform';

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
  /** Publishes per second while a backlog drains after a reconnect (cumulocity.md §5 step 8); 0 = no limit. */
  drainRatePerSec?: number | undefined;
  /** Trust for the HTTPS side (the connection's CA file and server verification). */
  httpTls?: { ca?: string | undefined; verifyServer: boolean } | undefined;
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

/** Devices whose stale EXECUTING operations were already failed in this process (cumulocity.md §5 step 6). */
const cleanedUp = new Set<string>();

/**
 * A Cumulocity device agent over one MQTT session: bootstrap, the session start sequence of
 * cumulocity.md §5, operation dispatch and status reporting, all publishes through the outbox.
 * The session life cycle and status are MqttAgent's.
 *
 * Events: `status` (AgentStatus), `platform-error` ({code, template, text}), `warning` (string).
 */
export class CumulocityAgent extends MqttAgent {
  readonly tracker: OperationTracker;
  private readonly state: DeviceState;
  /** The device JWT of certificate sessions (REST side calls). */
  private readonly token: DeviceTokenKeeper;
  private bootstrapTimer: NodeJS.Timeout | undefined;
  private bootstrapDeadline = 0;
  readonly platformErrors: string[] = [];

  constructor(
    private readonly cfg: AgentConfig,
    outbox: Outbox,
  ) {
    super(outbox, c8y.BATCH_RULE, cfg.badCredentialsRetrySec);
    this.drainRate = cfg.drainRatePerSec ?? 10;
    this.state = new DeviceState(cfg.dataDir, cfg.host, cfg.deviceId);
    this.tracker = new OperationTracker(
      {
        mode: cfg.operationMode,
        markerFile: this.state.operationsFile,
        restartTimeoutSec: cfg.restartTimeoutSec,
        duplicateWindowMs: 30_000,
      },
      (op, status, reason, result) => this.sendStatus(op, status, reason, result),
    );
    this.token = new DeviceTokenKeeper(
      () => {
        const t = c8y.encodeTokenRequest();
        if (this.session?.isUp) this.session.publish(t.topic, t.payload).catch(() => undefined);
      },
      (text) => this.emit('warning', text),
    );
  }

  start(): void {
    const stored = this.cfg.auth.mode === 'bootstrap' ? this.state.loadCredentials() : undefined;
    if (this.cfg.auth.mode === 'bootstrap' && !stored) {
      this.startBootstrap();
      return;
    }
    this.startSession(this.sessionSettings(stored));
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

  /** See PlatformAgent.deferOperation: the software-update node reports after its journal settles. */
  deferOperation(key: string, timeoutSec: number): string | undefined {
    return this.tracker.defer(key, timeoutSec);
  }

  /** `116`, or `140` + `141` batches (cumulocity.md §9), queued in order before the caller's SUCCESSFUL. */
  async sendSoftwareList(items: readonly SoftwareItem[], mode: 'legacy' | 'advanced'): Promise<void> {
    const lines = c8y.softwareListLines(items, mode);
    if (!lines.ok) throw new Error(lines.error);
    for (const l of lines.value) await this.outbox.put(l, 'control');
  }

  sendSoftwareTypes(types: readonly string[]): Promise<void> {
    return this.send(c8y.encodeSoftwareTypes(types));
  }

  sendFirmware(fw: SoftwareItem): Promise<void> {
    return this.send(c8y.encodeFirmware(fw));
  }

  protected override onDown(session: MqttSession, end: SessionEnd): void {
    if (session === this.session) this.token.sessionDown();
    super.onDown(session, end);
  }

  protected beforeStop(): void {
    this.token.stop();
    this.clearBootstrap();
    this.tracker.close('Node-RED flow stopped or redeployed while the operation was running');
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

  /** cumulocity.md §5: the order of subscriptions and start-up lines after every CONNACK 0. */
  protected async runStartSequence(session: MqttSession, gen: number): Promise<void> {
    const live = (): boolean => this.isLive(gen);
    await session.subscribe([c8y.ERRORS]);
    await this.sendSessionLine(c8y.encodeDeviceCreate(this.cfg.deviceName, this.cfg.deviceType));
    if (!live()) return;
    const subs = c8y.sessionSubscriptions(this.cfg.operationMode, this.cfg.auth.mode === 'cert').filter((t) => t !== c8y.ERRORS);
    await this.subscribeWithRetry(session, subs, live);
    if (!live()) return;
    if (this.cfg.auth.mode === 'cert') this.token.sessionUp();
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
    this.markReady();
    if (this.unreportedDrops > 0) {
      const text = `${this.unreportedDrops} telemetry records were dropped while offline: the outbox was full`;
      const ev = c8y.encodeEvent({ type: 'c8y_OutboxOverflow', text, time: new Date() });
      if (ev.ok) this.putControl({ ...ev.value, priority: 'control' });
      this.unreportedDrops = 0;
    }
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
   * How to reach the platform's REST and WebSocket side (downloads, binary uploads, remote
   * access): the base URL, the device's Authorization header (Basic with the device user, Bearer
   * with the session's JWT in certificate mode) and the connection's TLS trust. Undefined until
   * credentials or a valid token are known.
   */
  platformHttp(): PlatformHttpAccess | undefined {
    const a = this.cfg.auth;
    // The settings parser always sets httpTls; an agent configured in code falls back to the MQTT side's trust.
    const trust = this.cfg.httpTls ?? { ca: this.cfg.tls?.ca, verifyServer: this.cfg.tls?.verifyServer ?? true };
    const baseUrl = this.cfg.httpUrl ?? `https://${this.cfg.host}`;
    if (a.mode === 'cert') {
      const jwt = this.token.current();
      return jwt === undefined ? undefined : { baseUrl, authorization: `Bearer ${jwt}`, ...trust };
    }
    const creds =
      a.mode === 'basic'
        ? { tenant: this.cfg.tenant, username: a.user, password: a.password }
        : a.mode === 'bootstrap'
          ? this.state.loadCredentials()
          : undefined;
    if (!creds) return undefined;
    const token = Buffer.from(`${creds.tenant}/${creds.username}:${creds.password}`, 'utf8').toString('base64');
    return { baseUrl, authorization: `Basic ${token}`, ...trust };
  }

  // ---- inbound --------------------------------------------------------------------------------

  protected onMessage(topic: string, payload: Buffer): void {
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
        // 41 on 100/101 (device or child already existing) is the create-if-absent succeeding.
        if (!(i.code === '41' && (i.template === '100' || i.template === '101'))) this.emit('platform-error', i);
        return;
      }
      case 'reply':
        if (topic === c8y.TOKEN_DOWN && i.template === '71') this.token.accept(i.fields[0]);
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
      this.courier.attach((topic, payload) => session.publish(topic, payload), ['session']);
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
}
