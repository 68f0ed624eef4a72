/**
 * A Trinity Smart-MQTT device agent (trinity.md): a fresh hashed password for every connect
 * attempt, the connect event and the health dump after every CONNACK 0, the periodic health
 * report, the system RPCs of PID 0, and application commands handed to the flow's operation
 * nodes (command name = operation type, PID = target device, arguments = parameters) with the
 * flow's outcome sent back as the `x` reply. Session life cycle and status: MqttAgent.
 */
import * as trinity from '../dialects/trinity';
import type { AlarmChange, DeviceEvent, Measurement, Operation, OperationStatus, Outbound, Result } from '../dialects/types';
import type { Network } from '../devices/network/interface';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import type { MqttSession, SessionSettings, TlsSettings } from '../transport/session';
import { MqttAgent } from './mqtt-agent';
import { OperationTracker, type OperationConsumer } from './operations';
import { DeviceState } from './state-store';
import type { HealthSource } from './trinity-health';
import { TrinitySettingsStore } from './trinity-settings';

/** Everything a Trinity agent needs, already validated (nodes/connection-config-trinity.ts). */
export interface TrinityAgentConfig {
  protocol: 'mqtt' | 'mqtts';
  port: number;
  tls?: TlsSettings | undefined;
  cid: string;
  hid: string;
  secret: Buffer;
  /** Application PIDs (assets) this device answers for; the first is where records without a child go. */
  pids: string[];
  /** The node's settings; Smart may change them (persisted, see TrinitySettingsStore). */
  settings: trinity.TrinitySettings;
  /** Hosts `set_host` may move the device to. */
  hostAllowList: string[];
  alarmRaiseCode: number;
  alarmClearCode: number;
  agentVersion: string;
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
  backoff?: BackoffOptions | undefined;
  connectTimeoutMs?: number | undefined;
  health: HealthSource;
  network: Network;
  /** The clock (tests pass a fake one): milliseconds since 1970. */
  now?: (() => number) | undefined;
}

interface ReplyTo {
  tct: string;
  name: string;
}

/** The flow's result as a reply value: JSON texts parsed, one value as itself, several as a list. */
export function resultValue(result: readonly string[] | undefined): unknown {
  if (!result || result.length === 0) return undefined;
  const values = result.map((r) => {
    try {
      return JSON.parse(r) as unknown;
    } catch {
      return r;
    }
  });
  return values.length === 1 ? values[0] : values;
}

export class TrinityAgent extends MqttAgent {
  readonly tracker: OperationTracker;
  private readonly store: TrinitySettingsStore;
  private readonly ids: trinity.TrinityIds;
  private readonly replies = new WeakMap<Operation, ReplyTo>();
  private readonly now: () => number;
  private pdrTimer: NodeJS.Timeout | undefined;
  private breakTimer: NodeJS.Timeout | undefined;
  private lastTs = 0;
  private cached: { password: string; will: { topic: string; payload: string } } | undefined;
  /** System RPCs run one after the other, so their publishes and replies keep arrival order. */
  private systemQueue: Promise<void> = Promise.resolve();
  /** Commands refused or ignored as bad input since start. */
  badCommands = 0;

  constructor(
    private readonly cfg: TrinityAgentConfig,
    outbox: Outbox,
  ) {
    super(outbox, trinity.BATCH_RULE, cfg.badCredentialsRetrySec);
    this.noDelay = true; // request/reply: answers must not wait for delayed ACKs
    this.now = cfg.now ?? Date.now;
    this.ids = { cid: cfg.cid, hid: cfg.hid };
    const state = new DeviceState(cfg.dataDir, cfg.settings.host, `${cfg.cid}-${cfg.hid}`);
    this.store = new TrinitySettingsStore(state.dir, cfg.settings);
    this.tracker = new OperationTracker(
      // No operation ids on the wire: every command is new (TCTs may repeat), no duplicate window.
      { mode: 'id', markerFile: state.operationsFile, restartTimeoutSec: cfg.restartTimeoutSec, duplicateWindowMs: -1 },
      (op, status, reason, result) => this.onOutcome(op, status, reason, result),
      this.now,
    );
  }

  /** The settings in force (node settings, changed by Smart). */
  get settings(): trinity.TrinitySettings {
    return this.store.settings;
  }

  start(): void {
    this.startSession(this.sessionSettings());
    this.schedulePdr();
  }

  private get mapping(): trinity.MappingOptions {
    return {
      useRtc: this.settings.use_rtc,
      defaultPid: this.cfg.pids[0] ?? trinity.SYSTEM_PID,
      alarmRaiseCode: this.cfg.alarmRaiseCode,
      alarmClearCode: this.cfg.alarmClearCode,
    };
  }

  private ts(): number {
    return trinity.timestamp(new Date(this.now()), { useRtc: this.settings.use_rtc });
  }

  sendMeasurement(m: Measurement): Promise<void> {
    return this.send(trinity.encodeMeasurement(this.ids, m, this.mapping));
  }

  sendEvent(e: DeviceEvent): Promise<void> {
    return this.send(trinity.encodeEvent(this.ids, e, new Date(this.now()), this.mapping));
  }

  sendAlarm(a: AlarmChange): Promise<void> {
    return this.send(trinity.encodeAlarm(this.ids, a, new Date(this.now()), this.mapping));
  }

  sendConfiguration(): Promise<void> {
    return Promise.reject(new Error('Trinity Smart has no device configuration upload'));
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

  protected beforeStop(): void {
    if (this.pdrTimer) clearTimeout(this.pdrTimer);
    if (this.breakTimer) clearTimeout(this.breakTimer);
    this.pdrTimer = undefined;
    this.breakTimer = undefined;
    this.tracker.close('Node-RED flow stopped or redeployed while the command was running');
  }

  // ---- session --------------------------------------------------------------------------------

  /**
   * The password is made when mqtt.js reads it for a CONNECT, so every attempt has its own
   * (Smart refuses a replayed one, trinity.md §2). mqtt.js reads each setting more than once in
   * one synchronous call: the value is kept until the next tick. The time stamp never repeats,
   * even for two attempts within one second.
   */
  private credentialsNow(): { password: string; will: { topic: string; payload: string } } {
    if (!this.cached) {
      const ts = Math.max(Math.floor(this.now() / 1000), this.lastTs + 1);
      this.lastTs = ts;
      this.cached = {
        password: trinity.trinityPassword(this.cfg.secret, ts),
        will: trinity.encodeWill(this.ids, this.settings.use_rtc ? ts : 0),
      };
      process.nextTick(() => {
        this.cached = undefined;
      });
    }
    return this.cached;
  }

  /** The session settings with this moment's password (a plain copy: no getters). */
  probeSession(): SessionSettings {
    return { ...this.sessionSettings(), password: this.credentialsNow().password, will: undefined };
  }

  private sessionSettings(): SessionSettings {
    const s = this.settings;
    const settings: SessionSettings = {
      url: `${this.cfg.protocol}://${s.host}:${this.cfg.port}`,
      clientId: this.cfg.hid,
      username: trinity.trinityUsername(this.ids),
      tls: this.cfg.tls,
      keepaliveSec: s.keep_alive,
      connectTimeoutMs: this.cfg.connectTimeoutMs ?? 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
    };
    // Read by MqttSession at every connect attempt (see credentialsNow).
    Object.defineProperties(settings, {
      password: { enumerable: true, get: () => this.credentialsNow().password },
      will: { enumerable: true, get: () => this.credentialsNow().will },
    });
    return settings;
  }

  /** trinity.md §8: subscribe, the connect event, the dump — in this order after every CONNACK 0. */
  protected async runStartSequence(session: MqttSession, gen: number): Promise<void> {
    const live = (): boolean => this.isLive(gen);
    await this.subscribeWithRetry(session, [trinity.downlinkFilter(this.ids)], live);
    if (!live()) return;
    this.tracker.subscribed();
    await this.putSession(trinity.encodeConnectEvent(this.ids, this.ts()));
    const dump = await this.dump();
    if (!live()) return;
    await this.putSession(trinity.encodeData(this.ids, trinity.SYSTEM_PID, this.ts(), dump, 'control'));
    if (!live()) return;
    this.markReady();
    if (this.unreportedDrops > 0) {
      const text = `${this.unreportedDrops} records were dropped while offline: the outbox was full`;
      const ev = trinity.encodeEvents(this.ids, trinity.SYSTEM_PID, this.ts(), [[0, 103, text]], 'control');
      if (ev.ok) this.putControl(ev.value);
      this.unreportedDrops = 0;
    }
  }

  private client(): Record<string, string> {
    return { 'node-red-contrib-device-agent': this.cfg.agentVersion, node: process.version };
  }

  private async ipData(): Promise<Record<string, unknown>> {
    try {
      const n = await this.cfg.network.read();
      return { ip: { iface: n.iface, address: n.ip, netmask: n.netmask, gateway: n.gateway, mac: n.mac } };
    } catch (err) {
      return { ip: { error: err instanceof Error ? err.message : String(err) } };
    }
  }

  private async health(): Promise<trinity.HealthReading> {
    try {
      return await this.cfg.health.read();
    } catch (err) {
      this.emit('warning', `health data: ${err instanceof Error ? err.message : String(err)}`);
      return {};
    }
  }

  private async dump(): Promise<Record<string, unknown>> {
    return trinity.dumpData(await this.ipData(), await this.health(), this.client(), this.settings);
  }

  // ---- periodic data report -------------------------------------------------------------------

  /** One timer, rescheduled when the interval changes (the seed started extra ones, trinity.md §15). */
  private schedulePdr(): void {
    if (this.pdrTimer) clearTimeout(this.pdrTimer);
    this.pdrTimer = undefined;
    const sec = this.settings.pdr_interval;
    if (this.stopped || sec <= 0) return;
    this.pdrTimer = setTimeout(() => {
      this.pdrTimer = undefined;
      this.publishBasic('telemetry')
        .catch((err: unknown) => this.emit('warning', `periodic report: ${String(err)}`))
        .finally(() => this.schedulePdr());
    }, sec * 1000);
  }

  private async publishBasic(priority: 'control' | 'telemetry'): Promise<void> {
    const data = trinity.basicHealth(await this.health());
    await this.send(trinity.encodeData(this.ids, trinity.SYSTEM_PID, this.ts(), data, priority));
  }

  // ---- inbound --------------------------------------------------------------------------------

  protected onMessage(topic: string, payload: Buffer): void {
    const s = this.settings;
    const d = trinity.decodeDownlink({ ...this.ids, trusted: s.trusted_senders, pids: this.cfg.pids }, topic, payload.toString('utf8'));
    switch (d.kind) {
      case 'ignored':
        if (d.bad) this.badInput(d.reason);
        return;
      case 'refused':
        this.badInput(`code ${d.code}: ${d.reason}`);
        if (d.tct !== undefined) this.reply(d.tct, d.code, d.text);
        return;
      case 'command':
        if (this.status.alert) this.setStatus({ alert: undefined });
        if (d.command.pid === trinity.SYSTEM_PID) this.enqueueSystem(d.command);
        else this.toFlow(d.command);
        return;
    }
  }

  private badInput(reason: string): void {
    this.badCommands += 1;
    this.emit('warning', `refused a command (${this.badCommands} so far): ${reason}`);
    this.setStatus({ alert: reason });
  }

  private reply(tct: string, code: number, result?: unknown): void {
    const rec = trinity.encodeReply(this.ids, tct, this.ts(), code, result);
    if (rec.ok) this.putControl(rec.value);
    else this.emit('warning', `cannot reply: ${rec.error}`);
  }

  private toFlow(c: trinity.TrinityCommand): void {
    if (!this.tracker.hasConsumerFor(c.name)) {
      this.reply(c.tct, trinity.CODES.NOT_IMPLEMENTED, 'RPC Not implemented');
      return;
    }
    const op: Operation = { fragment: c.name, deviceId: c.pid, params: c.args, description: `from ${c.sender}` };
    this.replies.set(op, { tct: c.tct, name: c.name });
    this.tracker.accept(op);
  }

  /** The flow's outcome (or the tracker's timeout) becomes the `x` reply. */
  private onOutcome(op: Operation, status: OperationStatus, reason?: string, result?: string[]): void {
    if (status === 'EXECUTING') return;
    const to = this.replies.get(op);
    if (!to) {
      this.emit('warning', `no TCT to answer ${op.fragment} with (${status})`);
      return;
    }
    this.replies.delete(op);
    if (status === 'SUCCESSFUL') this.reply(to.tct, trinity.CODES.OK, resultValue(result));
    else this.reply(to.tct, trinity.CODES.EXCEPTION, `NAC ${reason ?? 'failed'}`);
  }

  private enqueueSystem(c: trinity.TrinityCommand): void {
    this.systemQueue = this.systemQueue
      .then(() => this.system(c))
      .catch((err: unknown) => {
        const text = err instanceof Error ? err.message : String(err);
        this.emit('warning', `system command ${c.name} failed: ${text}`);
        this.reply(c.tct, trinity.CODES.EXCEPTION, `NAC ${text}`);
      });
  }

  private async system(c: trinity.TrinityCommand): Promise<void> {
    if (this.stopped) return;
    const ctx: trinity.RpcContext = {
      settings: this.settings,
      hostAllowList: this.cfg.hostAllowList,
      attributes: { cid: this.cfg.cid, hid: this.cfg.hid, port: this.cfg.port, version: this.cfg.agentVersion },
      // Only a node that names the command takes it on PID 0 ("*" does not): reboot_hardware is opt-in.
      flowHandles: (name) => this.tracker.supportedFragments().includes(name),
    };
    if (c.name === 'pup_ip_address') ctx.ip = await this.ipData();
    const plan = trinity.planSystemRpc(ctx, c.name, c.args);
    if (plan.toFlow) {
      this.toFlow(c);
      return;
    }
    const after: trinity.Effect[] = [];
    for (const e of plan.effects) {
      switch (e.kind) {
        case 'persist':
          this.store.update(e.settings);
          break;
        case 'publish-settings':
          await this.sendControl(
            trinity.encodeData(this.ids, trinity.SYSTEM_PID, this.ts(), trinity.settingsData(this.settings, e.keys), 'control'),
          );
          break;
        case 'publish-basic':
          await this.publishBasic('control');
          break;
        case 'publish-full':
          await this.sendControl(
            trinity.encodeData(this.ids, trinity.SYSTEM_PID, this.ts(), trinity.fullHealth(await this.health()), 'control'),
          );
          break;
        case 'publish-all-settings':
          await this.sendControl(
            trinity.encodeData(
              this.ids,
              trinity.SYSTEM_PID,
              this.ts(),
              { client: this.client(), ...trinity.settingsData(this.settings) },
              'control',
            ),
          );
          break;
        case 'publish-ip':
          await this.sendControl(trinity.encodeData(this.ids, trinity.SYSTEM_PID, this.ts(), ctx.ip ?? (await this.ipData()), 'control'));
          break;
        case 'schedule-pdr':
          this.schedulePdr();
          break;
        case 'reconnect':
        case 'break':
          after.push(e);
          break;
      }
    }
    this.reply(c.tct, plan.code, plan.result);
    for (const e of after) {
      if (e.kind === 'reconnect') await this.reconnect();
      else if (e.kind === 'break') await this.takeBreak(e.seconds);
    }
  }

  private async sendControl(rec: Result<Outbound>): Promise<void> {
    if (!rec.ok) throw new Error(rec.error);
    await this.outbox.put(rec.value, 'control');
  }

  /** New settings (keep-alive, host): let the reply leave, then connect again with them. */
  private async reconnect(): Promise<void> {
    await this.waitIdle(2000);
    if (this.stopped || !this.session) return;
    this.session.restart(this.sessionSettings());
  }

  /** `take_a_break`: the reply leaves, the session ends, a new one starts after the break. */
  private async takeBreak(seconds: number): Promise<void> {
    await this.waitIdle(2000);
    const old = this.session;
    if (this.stopped || !old) return;
    await old.stop(); // while it is still this.session, so its end detaches the courier
    if (this.session !== old || this.stopped) return;
    this.session = undefined;
    this.breakTimer = setTimeout(() => {
      this.breakTimer = undefined;
      if (!this.stopped) this.startSession(this.sessionSettings());
    }, seconds * 1000);
  }
}
