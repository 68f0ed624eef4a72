/**
 * A Helix Device Cloud agent (helix-device-cloud.md): TR50 commands on `api/<NNNN>` numbered per
 * connection, replies on `reply/<NNNN>` that arrive without any subscription, methods fetched
 * from the mailbox after every `notify/mailbox_activity` and after every connect (§14), and
 * answered with `mailbox.ack`. Records go through the outbox as single commands and are numbered
 * into one request when the courier publishes them, so a restart or reconnect never reuses a
 * number of an earlier connection. Session life cycle and status: MqttAgent.
 */
import * as hdc from '../dialects/hdc';
import {
  ok,
  type AlarmChange,
  type DeviceEvent,
  type Measurement,
  type Operation,
  type OperationStatus,
  type Outbound,
} from '../dialects/types';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import type { MqttSession, SessionEnd, SessionSettings, TlsSettings } from '../transport/session';
import { MqttAgent } from './mqtt-agent';
import { OperationTracker, type OperationConsumer } from './operations';
import type { ExtendedAgent, FileStore, FileStoreTarget, GeoLocation } from './platform';
import { DeviceState } from './state-store';

/** Everything an HDC agent needs, already validated (nodes/connection-config-hdc.ts). */
export interface HdcAgentConfig {
  /** `mqtt://h:1883`, `mqtts://h:8883` or `wss://h:443/mqtt`. */
  url: string;
  host: string;
  thingKey: string;
  token: string;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  /** Base of the HTTPS file service, `https://host:port`. */
  fileBase: string;
  /** Methods that must be switched on to reach the flow (§5, §12: shutdown and decommission off by default). */
  allow: { reboot_device: boolean; shutdown_device: boolean; decommission_device: boolean };
  /** Answer `ping` in the agent unless an operation node names it. */
  builtinPing: boolean;
  /** How long a request waits for its reply. */
  replyTimeoutMs: number;
  /** Pause between publishes (the cloud's API rate limit, §3: 100 ms). */
  publishGapMs: number;
  /** HTTP(S) proxy for the MQTT WebSocket and file transfers. */
  proxy?: string | undefined;
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
  backoff?: BackoffOptions | undefined;
  connectTimeoutMs?: number | undefined;
  /** Extra options for mqtt.js's WebSocket (the proxy agent), set by the dialect entry. */
  wsOptions?: Record<string, unknown> | undefined;
  now?: (() => number) | undefined;
}

/** Methods the flow may only take by naming them in an operation node ("*" does not take them). */
const GUARDED = ['reboot_device', 'shutdown_device', 'decommission_device'] as const;

/** Methods that report `Invoked` first and their outcome later (§5, §7). */
const LONG_RUNNING = ['software_update', 'file_download', 'file_upload'];

/** Severity as the HDC alarm state (clear = 0); the cloud defines what each state means. */
const ALARM_STATE: Record<string, number> = { WARNING: 1, MINOR: 2, MAJOR: 3, CRITICAL: 4 };

interface Waiting {
  /** Results by command number; undefined when the session ended first. */
  settle(results: Map<number, hdc.CommandResult> | undefined, error?: string): void;
  timer?: NodeJS.Timeout | undefined;
}

/** A cloud refusal of a request (`success:false`). */
class CloudError extends Error {
  constructor(
    message: string,
    readonly codes: number[],
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.codes.includes(hdc.CLOUD_FILE_NOT_FOUND);
  }
}

export class HdcAgent extends MqttAgent implements ExtendedAgent {
  readonly tracker: OperationTracker;
  private readonly now: () => number;
  private readonly waiting = new Map<number, Waiting>();
  private counter = 0;
  private gap: Promise<void> = Promise.resolve();
  private mailboxBusy = false;
  private mailboxAgain = false;
  /** Inbound messages refused as bad input since start. */
  badMessages = 0;
  /** Replies for numbers nobody waits for (unknown or duplicate). */
  strayReplies = 0;

  constructor(
    private readonly cfg: HdcAgentConfig,
    outbox: Outbox,
  ) {
    super(outbox, hdc.BATCH_RULE, cfg.badCredentialsRetrySec);
    this.noDelay = true; // request/reply: answers must not wait for delayed ACKs
    this.now = cfg.now ?? Date.now;
    const state = new DeviceState(cfg.dataDir, cfg.host, cfg.thingKey);
    this.tracker = new OperationTracker(
      // Mailbox ids are unique: a method still in the mailbox at the next check is a duplicate.
      { mode: 'id', markerFile: state.operationsFile, restartTimeoutSec: cfg.restartTimeoutSec, duplicateWindowMs: -1 },
      (op, status, reason, result) => this.onOutcome(op, status, reason, result),
      this.now,
    );
  }

  start(): void {
    this.startSession(this.sessionSettings());
  }

  private at(): Date {
    return new Date(this.now());
  }

  private record(c: hdc.Command, priority: Outbound['priority']): Outbound {
    return { topic: 'api', payload: hdc.encodeCommand(c), priority, batchable: true };
  }

  /** Stores one command (MqttAgent.send: control records on the control lane, the rest as telemetry). */
  private put(c: hdc.Command, priority: Outbound['priority']): Promise<void> {
    return this.send(ok(this.record(c, priority)));
  }

  sendMeasurement(m: Measurement): Promise<void> {
    if (m.child) return Promise.reject(new Error('Helix Device Cloud has no child devices in this agent'));
    const items = m.series.map((s) => ({ key: s.series, value: s.value, time: m.time }));
    for (const i of items) if (!Number.isFinite(i.value)) return Promise.reject(new Error(`value of ${i.key} is not a finite number`));
    return this.put(hdc.propertyBatch(this.cfg.thingKey, items, this.at()), 'telemetry');
  }

  sendEvent(e: DeviceEvent): Promise<void> {
    if (e.child) return Promise.reject(new Error('Helix Device Cloud has no child devices in this agent'));
    return this.put(hdc.logPublish(this.cfg.thingKey, e.text, e.time), 'telemetry');
  }

  sendAlarm(a: AlarmChange): Promise<void> {
    if (a.child) return Promise.reject(new Error('Helix Device Cloud has no child devices in this agent'));
    const item =
      a.action === 'raise'
        ? { key: a.type, state: ALARM_STATE[a.severity] ?? 1, msg: a.text, time: a.time }
        : { key: a.type, state: 0, msg: 'cleared', time: this.at() };
    // Alarms are control records: the original flushes them at once and never drops them.
    return this.put(hdc.alarmBatch(this.cfg.thingKey, [item], this.at()), 'control');
  }

  sendAttributes(attrs: Readonly<Record<string, string>>, time: Date): Promise<void> {
    const items = Object.entries(attrs).map(([key, value]) => ({ key, value, time }));
    if (items.length === 0) return Promise.reject(new Error('no attributes to send'));
    return this.put(hdc.attributeBatch(this.cfg.thingKey, items, this.at()), 'telemetry');
  }

  sendLocation(fix: GeoLocation): Promise<void> {
    return this.put(hdc.locationBatch(this.cfg.thingKey, [fix], this.at()), 'telemetry');
  }

  sendConfiguration(): Promise<void> {
    return Promise.reject(new Error('Helix Device Cloud has no device configuration upload'));
  }

  addConsumer(c: OperationConsumer): void {
    this.tracker.addConsumer(c);
  }

  removeConsumer(c: OperationConsumer): void {
    this.tracker.removeConsumer(c);
  }

  report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined {
    return this.tracker.report(key, status, reason, result);
  }

  deferOperation(key: string, timeoutSec: number): string | undefined {
    return this.tracker.defer(key, timeoutSec);
  }

  fileStore(): FileStore {
    return {
      tls: { ca: this.cfg.tls?.ca, verifyServer: this.cfg.tls?.verifyServer ?? true },
      proxy: this.cfg.proxy,
      prepareDownload: async (name: string, global: boolean): Promise<FileStoreTarget> => {
        const r = await this.requestOne(hdc.fileGet(this.cfg.thingKey, name, global));
        const info = hdc.decodeFileGet(r);
        if (!info.ok) throw new Error(info.error);
        return { url: `${this.cfg.fileBase}/file/${info.value.fileId}`, size: info.value.fileSize, crc32: info.value.crc32 };
      },
      prepareUpload: async (name: string, crc32: number, global: boolean): Promise<FileStoreTarget> => {
        const r = await this.requestOne(hdc.filePut(this.cfg.thingKey, name, crc32, global));
        const id = hdc.decodeFilePut(r);
        if (!id.ok) throw new Error(id.error);
        return { url: `${this.cfg.fileBase}/file/${id.value}` };
      },
    };
  }

  protected beforeStop(): void {
    this.tracker.close('Node-RED flow stopped or redeployed while the method was running');
    this.failWaiting('the connection was closed');
  }

  /** HDC asks for a tunnel with its `remote-access` method (relay form: `url`, `host`, `protocol`). */
  readonly remoteAccessOperation = 'remote-access';

  /**
   * For the editor's Test connection: the session this agent would open. Not with a proxy: the
   * test connects directly and would tell about another path than the agent takes.
   */
  probeSession(): SessionSettings | undefined {
    return this.cfg.proxy ? undefined : this.sessionSettings();
  }

  private sessionSettings(): SessionSettings {
    const s: SessionSettings = {
      url: this.cfg.url,
      clientId: this.cfg.thingKey,
      username: this.cfg.thingKey,
      password: this.cfg.token,
      tls: this.cfg.tls,
      keepaliveSec: this.cfg.keepaliveSec,
      connectTimeoutMs: this.cfg.connectTimeoutMs ?? 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
      // No will, no subscription (§2): the cloud pushes reply/ and notify/ by itself.
    };
    if (this.cfg.wsOptions) s.wsOptions = this.cfg.wsOptions;
    return s;
  }

  protected runStartSequence(_session: MqttSession, gen: number): Promise<void> {
    this.counter = 0;
    this.tracker.subscribed();
    this.markReady();
    // §14: also check once after every (re)connect, so methods queued while offline are found —
    // after the stored acks went out, so a method answered just before a restart is not run twice.
    this.waitIdle(5000)
      .then(() => {
        if (this.isLive(gen)) this.checkMailbox();
      })
      .catch(() => undefined);
    return Promise.resolve();
  }

  protected override onDown(session: MqttSession, end: SessionEnd): void {
    this.failWaiting('the session ended before the reply');
    super.onDown(session, end);
  }

  // ---- requests and replies -------------------------------------------------------------------

  /** The next free request number of this connection (§3: skipping numbers still waiting). */
  private nextNumber(): number {
    do this.counter += 1;
    while (this.waiting.has(this.counter));
    return this.counter;
  }

  /** Keeps publishes `publishGapMs` apart (the cloud's rate limit). */
  private spaced(): Promise<void> {
    const ms = this.cfg.publishGapMs;
    if (ms <= 0) return Promise.resolve();
    const turn = this.gap.then(() => new Promise<void>((r) => setTimeout(r, ms)));
    this.gap = turn;
    return turn;
  }

  /** Stored commands: numbered into one request; a cloud refusal is logged (telemetry has no one to tell). */
  protected override publishRecord(session: MqttSession, _topic: string, joined: string): Promise<void> {
    return this.spaced().then(() => {
      const n = this.nextNumber();
      const w: Waiting = {
        settle: (results) => {
          if (w.timer) clearTimeout(w.timer);
          for (const [i, r] of results ?? []) {
            if (!r.success) this.emit('warning', `the cloud refused command ${n}-${i}: ${hdc.describeFailure(r)}`);
          }
        },
      };
      // The records are delivered (PUBACK); a reply that never comes is only worth a warning.
      w.timer = setTimeout(() => {
        if (this.waiting.get(n) !== w) return;
        this.waiting.delete(n);
        this.emit('warning', `no reply to request ${n} within ${this.cfg.replyTimeoutMs} ms`);
      }, this.cfg.replyTimeoutMs);
      w.timer.unref();
      this.waiting.set(n, w);
      return session.publish(hdc.requestTopic(n), hdc.requestFromJoined(joined));
    });
  }

  /** One command sent now (not stored) and its result. Rejects when offline, on timeout or on a refusal. */
  async requestOne(c: hdc.Command): Promise<hdc.CommandResult> {
    const session = this.session;
    if (!session?.isUp || !this.sessionReady) throw new Error('not connected to Helix Device Cloud');
    await this.spaced();
    const n = this.nextNumber();
    const result = new Promise<hdc.CommandResult>((resolve, reject) => {
      const w: Waiting = {
        settle: (results, error) => {
          if (w.timer) clearTimeout(w.timer);
          const r = results?.get(1);
          if (!r) reject(new Error(error ?? `no result for ${c.command}`));
          else if (!r.success) reject(new CloudError(`${c.command} refused by the cloud: ${hdc.describeFailure(r)}`, r.errorCodes));
          else resolve(r);
        },
      };
      w.timer = setTimeout(() => {
        this.waiting.delete(n);
        w.settle(undefined, `no reply to ${c.command} within ${this.cfg.replyTimeoutMs} ms`);
      }, this.cfg.replyTimeoutMs);
      this.waiting.set(n, w);
    });
    session.publish(hdc.requestTopic(n), hdc.encodeRequest([hdc.encodeCommand(c)])).catch((err: unknown) => {
      const w = this.waiting.get(n);
      this.waiting.delete(n);
      w?.settle(undefined, `could not send ${c.command}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return result;
  }

  private failWaiting(why: string): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      if (w.timer) clearTimeout(w.timer);
      w.settle(undefined, why);
    }
  }

  protected onMessage(topic: string, payload: Buffer): void {
    try {
      this.inbound(topic, payload.toString('utf8'));
    } catch (err) {
      this.badInput(`message on ${topic.slice(0, 40)} could not be handled: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private inbound(topic: string, text: string): void {
    const n = hdc.replyNumber(topic);
    if (n !== undefined) {
      const w = this.waiting.get(n);
      if (!w) {
        this.strayReplies += 1;
        this.emit('warning', `ignored a reply for ${topic}: no request of that number is waiting (unknown or duplicate)`);
        return;
      }
      const r = hdc.decodeReply(text);
      if (!r.ok) {
        // Left waiting: a good reply may still come; the timeout ends it otherwise.
        this.badInput(`${topic}: ${r.error}`);
        return;
      }
      this.waiting.delete(n);
      if (w.timer) clearTimeout(w.timer);
      w.settle(r.value);
      return;
    }
    if (topic === hdc.NOTIFY_MAILBOX) {
      const v = hdc.decodeNotify(text, this.cfg.thingKey);
      if (!v.ok) {
        this.badInput(v.error);
        return;
      }
      this.checkMailbox();
      return;
    }
    this.emit('warning', `ignored a message on ${topic.slice(0, 64)}`);
  }

  private badInput(reason: string): void {
    this.badMessages += 1;
    this.emit('warning', `refused a message (${this.badMessages} so far): ${reason}`);
    this.setStatus({ alert: reason });
  }

  // ---- methods --------------------------------------------------------------------------------

  /** One `mailbox.check` at a time; a notice during one makes one more check afterwards. */
  private checkMailbox(): void {
    if (this.mailboxBusy) {
      this.mailboxAgain = true;
      return;
    }
    this.mailboxBusy = true;
    this.requestOne(hdc.mailboxCheck())
      .then((r) => {
        for (const item of hdc.decodeMailboxCheck(r, this.cfg.thingKey)) this.onMailboxItem(item);
      })
      .catch((err: unknown) => this.emit('warning', `mailbox check failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.mailboxBusy = false;
        if (this.mailboxAgain && !this.stopped) {
          this.mailboxAgain = false;
          this.checkMailbox();
        }
      });
  }

  private onMailboxItem(item: hdc.MailboxItem): void {
    switch (item.kind) {
      case 'other':
        this.emit('warning', `ignored mailbox command ${item.command}`);
        return;
      case 'bad':
        this.badInput(item.message);
        if (item.id !== undefined) this.ack(item.id, item.code, item.message);
        return;
      case 'method':
        if (this.status.alert) this.setStatus({ alert: undefined });
        this.dispatch(item.request);
        return;
    }
  }

  private dispatch(req: hdc.MethodRequest): void {
    const { id, method } = req;
    if ((GUARDED as readonly string[]).includes(method)) {
      if (!this.cfg.allow[method as (typeof GUARDED)[number]]) {
        this.ack(id, hdc.STATUS.NOT_SUPPORTED, hdc.DISABLED_MESSAGE);
        return;
      }
      if (!this.tracker.supportedFragments().includes(method)) {
        this.ack(id, hdc.STATUS.NOT_FOUND, hdc.unknownMethodMessage(method));
        return;
      }
    }
    if (method === 'ping' && this.cfg.builtinPing && !this.tracker.supportedFragments().includes('ping')) {
      this.ack(id, hdc.STATUS.SUCCESS, '', hdc.pingResult(hdc.pingTime(this.at())));
      return;
    }
    if (!this.tracker.hasConsumerFor(method)) {
      this.badInput(`method ${method} has no handler on this device`);
      this.ack(id, hdc.STATUS.NOT_FOUND, hdc.unknownMethodMessage(method));
      return;
    }
    const op: Operation = { id, fragment: method, deviceId: this.cfg.thingKey, params: req.params };
    this.tracker.accept(op);
  }

  /** The flow's outcome (or the tracker's timeout) becomes the `mailbox.ack`. */
  private onOutcome(op: Operation, status: OperationStatus, reason?: string, result?: string[]): void {
    const id = op.id; // set from the mailbox item in dispatch(), and kept in restart markers
    if (id === undefined) {
      this.emit('warning', `no mailbox id to answer ${op.fragment} with (${status})`);
      return;
    }
    if (op.fragment === 'software_update') this.otaAlarm(op, status);
    if (status === 'EXECUTING') {
      if (LONG_RUNNING.includes(op.fragment)) this.putControl(this.record(hdc.mailboxUpdate(id, 'Invoked'), 'control'));
      return;
    }
    if (status === 'SUCCESSFUL') this.ack(id, hdc.STATUS.SUCCESS, '', hdc.outParams(result));
    else {
      const f = hdc.failureOf(reason);
      this.ack(id, f.code, f.message);
    }
  }

  /**
   * The `software_update` alarm of §7: state 0 started, 5 complete, 6 failed (msg `package: <name>`),
   * and an `OTA: ` log line, so the cloud's OTA view follows the update.
   */
  private otaAlarm(op: Operation, status: OperationStatus): void {
    const params = op.params as Record<string, unknown> | null;
    const pkg = typeof params?.['package'] === 'string' ? params['package'] : '?';
    const state = status === 'EXECUTING' ? 0 : status === 'SUCCESSFUL' ? 5 : 6;
    const at = this.at();
    this.putControl(
      this.record(hdc.alarmBatch(this.cfg.thingKey, [{ key: 'software_update', state, msg: `package: ${pkg}`, time: at }], at), 'control'),
    );
    const text = status === 'EXECUTING' ? 'started' : status === 'SUCCESSFUL' ? 'complete' : 'failed';
    this.putControl(this.record(hdc.logPublish(this.cfg.thingKey, `OTA: ${pkg} ${text}`, at), 'control'));
  }

  /** A stored, numbered-when-sent `mailbox.ack` (control lane: kept across restarts, never dropped). */
  private ack(id: string, code: number, message?: string, out?: hdc.JsonObject): void {
    this.putControl(this.record(hdc.mailboxAck(id, code, message, out), 'control'));
  }
}
