/**
 * A libpyiotcloud device (libpyiotcloud.md): subscribe `<deviceid>/#` on every connect and answer
 * each request once, promptly, on `server/<deviceid>/<api>`. The seed's device APIs (GPIO, UART,
 * clock, network, status) are answered by the agent itself through the device interfaces, so the
 * answer is there well inside the cloud's one-second window whatever the flow does; an operation
 * node that names an API takes it over, and APIs no built-in knows go to the flow (`*`).
 *
 * Replies travel on the outbox's session lane: never stored, dropped with the session. A reply
 * the cloud can no longer match (after its deadline, or from an earlier session) would be taken
 * as the answer to its next request on that topic (§4), so late ones are dropped, not sent.
 */
import * as lpc from '../dialects/libpyiotcloud';
import type { AlarmChange, DeviceEvent, Measurement, Operation, OperationStatus } from '../dialects/types';
import type { Clock } from '../devices/clock/interface';
import type { Gpio } from '../devices/gpio/interface';
import type { Network } from '../devices/network/interface';
import type { Uart } from '../devices/uart/interface';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import type { MqttSession, SessionSettings, TlsSettings } from '../transport/session';
import { MqttAgent } from './mqtt-agent';
import { OperationTracker, type OperationConsumer } from './operations';
import { DeviceState } from './state-store';

export interface LibpyiotcloudDevices {
  gpio: Gpio;
  uart: Uart;
  network: Network;
  clock: Clock;
}

/** Everything a libpyiotcloud agent needs, already validated (nodes/connection-config-libpyiotcloud.ts). */
export interface LibpyiotcloudAgentConfig {
  url: string;
  host: string;
  deviceId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  /** APIs the agent answers itself unless an operation node names them. */
  builtins: string[];
  uartMaxBytes: number;
  /** Replies later than this after their request are dropped (0 = never). */
  replyDeadlineMs: number;
  devices: LibpyiotcloudDevices;
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
  backoff?: BackoffOptions | undefined;
  connectTimeoutMs?: number | undefined;
}

interface Pending {
  api: string;
  params: lpc.Json;
  receivedAt: number;
  generation: number;
}

/** Round trip of one request inside the agent: receipt to reply queued. */
export interface AnswerTiming {
  api: string;
  ms: number;
  by: 'builtin' | 'flow' | 'error';
}

const NO_TELEMETRY =
  'libpyiotcloud (seed revision) has no device-initiated messages: measurements, events and alarms cannot be sent on this platform';

export class LibpyiotcloudAgent extends MqttAgent {
  readonly tracker: OperationTracker;
  private readonly pending = new WeakMap<Operation, Pending>();
  /** Requests refused as bad input since start. */
  badRequests = 0;
  /** Replies dropped because they came too late (or their session ended). */
  lateReplies = 0;

  constructor(
    private readonly cfg: LibpyiotcloudAgentConfig,
    outbox: Outbox,
  ) {
    super(outbox, lpc.BATCH_RULE, cfg.badCredentialsRetrySec);
    this.noDelay = true; // request/reply: answers must not wait for delayed ACKs
    const state = new DeviceState(cfg.dataDir, cfg.host, cfg.deviceId);
    this.tracker = new OperationTracker(
      // No request ids: every request is new (§4), no duplicate window.
      { mode: 'id', markerFile: state.operationsFile, restartTimeoutSec: cfg.restartTimeoutSec, duplicateWindowMs: -1 },
      (op, status, reason, result) => this.onOutcome(op, status, reason, result),
    );
  }

  start(): void {
    this.startSession(this.sessionSettings());
  }

  sendMeasurement(_m: Measurement): Promise<void> {
    return Promise.reject(new Error(NO_TELEMETRY));
  }

  sendEvent(_e: DeviceEvent): Promise<void> {
    return Promise.reject(new Error(NO_TELEMETRY));
  }

  sendAlarm(_a: AlarmChange): Promise<void> {
    return Promise.reject(new Error(NO_TELEMETRY));
  }

  sendConfiguration(): Promise<void> {
    return Promise.reject(new Error('libpyiotcloud has no device configuration upload'));
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
    this.tracker.close('Node-RED flow stopped or redeployed while the request was open');
  }

  probeSession(): SessionSettings {
    return this.sessionSettings();
  }

  private sessionSettings(): SessionSettings {
    return {
      url: this.cfg.url,
      clientId: this.cfg.deviceId,
      username: this.cfg.username,
      password: this.cfg.password,
      tls: this.cfg.tls,
      keepaliveSec: this.cfg.keepaliveSec,
      connectTimeoutMs: this.cfg.connectTimeoutMs ?? 15_000,
      backoff: this.cfg.backoff ?? DEFAULT_BACKOFF,
      // No will: one on server/<id>/get_status would be read as an answer by the cloud (§5).
    };
  }

  /** Subscribing again on every connect: the seed subscribed once, and a reconnect lost its requests (§9). */
  protected async runStartSequence(session: MqttSession, gen: number): Promise<void> {
    await this.subscribeWithRetry(session, [lpc.requestFilter(this.cfg.deviceId)], () => this.isLive(gen));
    if (!this.isLive(gen)) return;
    this.tracker.subscribed();
    this.markReady();
  }

  // ---- requests -------------------------------------------------------------------------------

  protected onMessage(topic: string, payload: Buffer): void {
    const receivedAt = performance.now();
    const limits: lpc.RequestLimits = { gpioPins: this.cfg.devices.gpio.pins, uartMaxBytes: this.cfg.uartMaxBytes };
    const r = lpc.decodeRequest(this.cfg.deviceId, topic, payload.toString('utf8'), limits);
    const p = (api: string, params: lpc.Json): Pending => ({ api, params, receivedAt, generation: this.generation });
    switch (r.kind) {
      case 'ignored':
        this.emit('warning', `ignored a message: ${r.reason}`);
        return;
      case 'malformed':
        this.badInput(`${r.api}: ${r.reason}; not answered`);
        return;
      case 'invalid':
        this.badInput(`${r.api}: ${r.reason}`);
        this.answer(p(r.api, {}), r.reply, 'error');
        return;
      case 'request':
        if (this.status.alert) this.setStatus({ alert: undefined });
        this.dispatch(p(r.api, r.params));
        return;
    }
  }

  private dispatch(req: Pending): void {
    const named = this.tracker.supportedFragments().includes(req.api);
    if (!named && this.cfg.builtins.includes(req.api)) {
      this.builtin(req).then(
        (body) => this.answer(req, body, 'builtin'),
        (err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          this.emit('warning', `${req.api} failed: ${reason}`);
          this.answer(req, lpc.errorReply(req.api, req.params, reason), 'error');
        },
      );
      return;
    }
    if (!this.tracker.hasConsumerFor(req.api)) {
      this.badInput(`${req.api}: no handler on this device`);
      this.answer(req, lpc.errorReply(req.api, req.params, `${req.api} is not supported by this device`), 'error');
      return;
    }
    const op: Operation = { fragment: req.api, deviceId: this.cfg.deviceId, params: req.params };
    this.pending.set(op, req);
    this.tracker.accept(op);
  }

  /** The seed's device behaviour (§3), through the device interfaces. */
  private async builtin(req: Pending): Promise<lpc.Json> {
    const { gpio, uart, network, clock } = this.cfg.devices;
    const params = req.params;
    const pin = (): number => {
      const n = lpc.gpioPin(params);
      if (n === undefined) throw new Error('number is missing');
      return n;
    };
    switch (req.api) {
      case 'get_status':
      case 'set_status':
        // set_status: "restarting" only; a real restart is the flow's (name set_status in an operation node).
        return lpc.builtinReply(params, { api: req.api });
      case 'write_uart':
        await uart.write(String(params['data']));
        return lpc.builtinReply(params, { api: 'write_uart' });
      case 'get_gpio':
        return lpc.builtinReply(params, { api: 'get_gpio', value: await gpio.read(pin()) });
      case 'set_gpio': {
        const value = params['value'] === 1 ? 1 : 0;
        await gpio.write(pin(), value);
        return lpc.builtinReply(params, { api: 'set_gpio', value });
      }
      case 'get_rtc':
        return lpc.builtinReply(params, { api: 'get_rtc', nowMs: clock.now() });
      case 'set_rtc': {
        const changed = await clock.set(Number(params['value']));
        // The reply has the seed's shape either way (§9); whether the clock moved goes to the log.
        if (!changed) this.emit('warning', 'set_rtc: the clock was not changed (setting it is off for this device)');
        return lpc.builtinReply(params, { api: 'set_rtc' });
      }
      case 'get_mac':
      case 'get_ip':
      case 'get_subnet':
      case 'get_gateway': {
        const n = await network.read();
        const value = { get_mac: n.mac, get_ip: n.ip, get_subnet: n.netmask, get_gateway: n.gateway }[req.api];
        return lpc.builtinReply(params, { api: req.api, value });
      }
      default:
        throw new Error(`${req.api} has no built-in answer`);
    }
  }

  /** The flow's outcome (or the tracker's timeout) becomes the reply. */
  private onOutcome(op: Operation, status: OperationStatus, reason?: string, result?: string[]): void {
    if (status === 'EXECUTING') return;
    const req = this.pending.get(op);
    if (!req) {
      this.emit('warning', `no open request to answer ${op.fragment} with (${status})`);
      return;
    }
    this.pending.delete(op);
    if (status === 'SUCCESSFUL') this.answer(req, lpc.flowReply(req.api, req.params, result), 'flow');
    else this.answer(req, lpc.errorReply(req.api, req.params, reason ?? 'failed'), 'error');
  }

  /** Publishes one reply, unless its session ended or the cloud stopped waiting for it. */
  private answer(req: Pending, body: lpc.Json, by: AnswerTiming['by']): void {
    const ms = performance.now() - req.receivedAt;
    const late = this.cfg.replyDeadlineMs > 0 && ms > this.cfg.replyDeadlineMs;
    if (late || req.generation !== this.generation || !this.session?.isUp) {
      this.lateReplies += 1;
      const why = late ? `${Math.round(ms)} ms after the request (deadline ${this.cfg.replyDeadlineMs} ms)` : 'its session ended';
      this.emit('warning', `dropped the ${req.api} reply: ${why}; the cloud would take it as the answer to its next request`);
      return;
    }
    const rec = lpc.encodeReply(this.cfg.deviceId, req.api, body);
    if (!rec.ok) {
      this.emit('warning', `cannot answer ${req.api}: ${rec.error}`);
      return;
    }
    this.putSession(rec).then(
      () => this.emit('answered', { api: req.api, ms: performance.now() - req.receivedAt, by } satisfies AnswerTiming),
      (err: unknown) => this.emit('warning', `could not queue the ${req.api} reply: ${String(err)}`),
    );
  }

  private badInput(reason: string): void {
    this.badRequests += 1;
    this.emit('warning', `refused a request (${this.badRequests} so far): ${reason}`);
    this.setStatus({ alert: reason });
  }
}
