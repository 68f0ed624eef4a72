// In-process Cumulocity MQTT simulator (§11): public test API and the platform's reactions.
// The MQTT side lives in broker.ts, SmartREST lines in upstream.ts and its handler tables.
import { EventEmitter } from 'node:events';
import { Registrations, type RegistrationState } from './bootstrap';
import { SimBroker, type ConnectionRecord, type Received, type Sent } from './broker';
import { encodeRecord, encodeRecords } from './csv';
import { jsonNotification, staticLine } from './downstream';
import type { TlsOptions } from './listeners';
import type { LineContext } from './lines';
import { SimModel, type SimAlarm, type SimDevice, type SimEvent, type SimMeasurement, type SimOperation } from './model';
import { upstreamChild, type Session } from './session';
import { basicCredentials } from './basic-auth';
import { createToken, verifyToken } from './token';
import { processUpstream } from './upstream';
import { waitForChange } from './wait';

export type { SimAlarm, SimDevice, SimEvent, SimMeasurement, SimOperation } from './model';
export type { RegistrationState } from './bootstrap';

export interface SimOptions {
  tenant?: string; // default 't12345'
  bootstrapPassword?: string; // user 'management/devicebootstrap', default 'bootstrap-secret'
  tls?: TlsOptions; // PEM; when set also listen with TLS
  pushOnSubscribe?: boolean; // default true (§11)
  batchSize?: number; // operation lines per publish, default 10
  willOnTakeover?: boolean; // process the will of a session closed by takeover, default true
}

const JSON_TOPIC = 'devicecontrol/notifications';
const OPERATION_TOPICS = ['s/ds', JSON_TOPIC];
const NO_TOKEN = 'MqttAuth: Cannot publish token for device that do not use certificate authentication';

export class CumulocitySimulator extends EventEmitter {
  readonly tenant: string;
  readonly errorsSent: Array<{ deviceId: string; line: string }> = [];
  readonly received: Received[];
  readonly sent: Sent[];
  readonly connections: ConnectionRecord[];
  private readonly model = new SimModel();
  readonly devices: Map<string, SimDevice> = this.model.devices;
  readonly measurements: SimMeasurement[] = this.model.measurements;
  readonly events: SimEvent[] = this.model.events;
  readonly alarms: SimAlarm[] = this.model.alarms;
  readonly operations: SimOperation[] = this.model.operations;
  private readonly registrations = new Registrations();
  private readonly users = new Map<string, string>();
  private readonly broker: SimBroker;
  private readonly pushOnSubscribe: boolean;
  private readonly batchSize: number;
  private stopped = false;

  private constructor(opts: SimOptions) {
    super();
    this.setMaxListeners(0); // every pending waitFor holds a listener
    this.tenant = opts.tenant ?? 't12345';
    this.pushOnSubscribe = opts.pushOnSubscribe ?? true;
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 10));
    this.broker = new SimBroker(
      {
        tenant: this.tenant,
        bootstrapPassword: opts.bootstrapPassword ?? 'bootstrap-secret',
        users: this.users,
        willOnTakeover: opts.willOnTakeover ?? true,
        tls: opts.tls,
      },
      {
        changed: () => this.changed(),
        data: (s, topic, text) => this.process(s, topic, text),
        subscribed: (s, topics) => {
          const ops = topics.filter((t) => OPERATION_TOPICS.includes(t));
          if (this.pushOnSubscribe && ops.length > 0) this.deliver(s, this.model.pendingFor(s.deviceId), ops);
        },
      },
    );
    this.received = this.broker.received;
    this.sent = this.broker.sent;
    this.connections = this.broker.connections;
  }

  /** Start a simulator listening on random 127.0.0.1 port(s). */
  static async start(opts: SimOptions = {}): Promise<CumulocitySimulator> {
    const sim = new CumulocitySimulator(opts);
    try {
      await sim.broker.listeners.open();
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  get port(): number {
    return this.broker.listeners.port;
  }

  get tlsPort(): number | undefined {
    return this.broker.listeners.tlsPort;
  }

  url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  tlsUrl(): string {
    if (this.tlsPort === undefined) throw new Error('simulator started without tls options');
    return `mqtts://127.0.0.1:${this.tlsPort}`;
  }

  /** Close listeners, every client and the broker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.broker.close();
    this.changed();
  }

  /** Broker outage: stop listening and drop every client; the platform state is kept. */
  async pause(): Promise<void> {
    this.broker.outage = true;
    await this.broker.listeners.shut();
    await this.waitFor(() => this.broker.live.size === 0, 5000, 'all sessions to drop');
    this.changed();
  }

  /** End of the outage: listen again on the same port(s). */
  async resume(): Promise<void> {
    this.broker.outage = false;
    await this.broker.listeners.open();
    this.changed();
  }

  addDeviceUser(deviceId: string, password: string): void {
    this.users.set(`device_${deviceId}`, password);
  }

  /** `<tenant>/<user>` + password against the device users, as the HTTP side checks Basic auth (platform-http.ts). */
  /**
   * An HTTP Authorization header of a device: Basic `<tenant>/<user>:<password>` of a device user,
   * or Bearer with a JWT this tenant issued on `s/uat` and that has not expired (§4.2).
   */
  checkAuthorization(header: string | undefined): boolean {
    const bearer = /^Bearer\s+(\S+)$/.exec(header ?? '');
    if (bearer?.[1]) return verifyToken(bearer[1])?.tenant === this.tenant;
    const who = basicCredentials(header);
    return who !== undefined && this.checkDeviceUser(who.user, who.password);
  }

  checkDeviceUser(username: string, password: string): boolean {
    const slash = username.indexOf('/');
    if (slash < 0 || username.slice(0, slash) !== this.tenant) return false;
    const expected = this.users.get(username.slice(slash + 1));
    return expected !== undefined && expected === password;
  }

  /** No argument: trust any CA-verified certificate (the default). With an id: only listed CNs. */
  addCertTrust(deviceIdCN?: string): void {
    if (deviceIdCN === undefined) this.broker.certAllow = undefined;
    else (this.broker.certAllow ??= new Set()).add(deviceIdCN);
  }

  registerDevice(deviceId: string): void {
    this.registrations.register(deviceId);
    this.changed();
  }

  /** Operator acceptance; the next s/ucr poll of that device gets its credentials once. */
  acceptRegistration(deviceId: string): void {
    this.registrations.accept(deviceId);
    this.changed();
  }

  registration(deviceId: string): RegistrationState | undefined {
    return this.registrations.state(deviceId);
  }

  /**
   * The password the next acceptance hands out (to exercise quoting). `opts.unquoted` sends it
   * raw, e.g. `70,t12345,device_x,pa,ss`, for the client's rule 3.1-10.
   */
  setNextPassword(pw: string, opts: { unquoted?: boolean } = {}): void {
    this.registrations.setNextPassword(pw, opts.unquoted ?? false);
  }

  /** The next `n` CONNECTs are refused with `returnCode` (transient overload, §1.1). */
  failNextConnects(n: number, returnCode: 3 | 5): void {
    this.broker.failures = { count: n, code: returnCode };
  }

  /** Cut a device's connection as a network drop would (its will is processed). */
  kick(deviceId: string): void {
    this.broker.live.get(deviceId)?.client.conn.destroy();
  }

  /** Announce the end of a live session with a non-zero CONNACK, then close it (§1.1). */
  sendConnackAndClose(deviceId: string, returnCode: number): void {
    const conn = this.broker.live.get(deviceId)?.client.conn;
    conn?.write(Buffer.from([0x20, 0x02, 0x00, returnCode]), () => conn.destroy());
  }

  /**
   * Test hook: send a raw downstream payload to a device's live session, as a misbehaving or
   * future platform might (malformed lines, unknown templates). Only to topics it subscribed.
   */
  sendRaw(deviceId: string, topic: string, payload: string): boolean {
    const s = this.broker.live.get(deviceId);
    return s !== undefined && this.broker.send(s, topic, payload);
  }

  /** Create a PENDING operation; delivered at once if the device's session subscribed. */
  createOperation(deviceId: string, fragment: string, params: unknown, description?: string): string {
    const op = this.model.addOperation(deviceId, fragment, params, description ?? `${fragment} operation`);
    const s = this.broker.live.get(this.model.rootOf(deviceId));
    if (s) this.deliver(s, [op], OPERATION_TOPICS);
    this.changed();
    return op.id;
  }

  operation(id: string): SimOperation | undefined {
    return this.model.operations.find((op) => op.id === id);
  }

  connected(deviceId: string): boolean {
    const s = this.broker.live.get(deviceId);
    return s !== undefined && !s.client.closed;
  }

  subscriptions(deviceId: string): string[] {
    return [...(this.broker.live.get(deviceId)?.subscriptions ?? [])];
  }

  /** Resolve on the first 'change' where `predicate` holds (checked at once too). */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return waitForChange(this, predicate, timeoutMs, what);
  }

  private changed(): void {
    this.emit('change');
  }

  private process(s: Session, topic: string, text: string): void {
    const child = upstreamChild(topic);
    if (child !== null) {
      if (s.kind !== 'bootstrap') this.processLines(s, child ?? s.deviceId, text);
    } else if (topic === 's/ucr' && s.kind === 'bootstrap') {
      // Faithful to the platform: the answer is consumed even if s/dcr was not subscribed.
      const outcome = this.registrations.poll(s.deviceId);
      if (outcome.answer) {
        const fields = ['70', this.tenant, outcome.user, outcome.password];
        this.broker.send(s, 's/dcr', outcome.unquoted ? fields.join(',') : encodeRecord(fields));
        this.users.set(outcome.user, outcome.password);
      }
    } else if (topic === 's/uat') {
      if (s.kind === 'cert') this.broker.send(s, 's/dat', encodeRecord(['71', createToken(this.tenant, s.deviceId)]));
      else this.sendError(s, `41,,${NO_TOKEN}`);
    } else {
      const inventory = /^inventory\/managedObjects\/update\/(.+)$/.exec(topic);
      const device = inventory?.[1] === undefined ? undefined : this.model.devices.get(inventory[1]);
      if (device) device.lastMessage = new Date(); // JSON heartbeat (§8)
    }
  }

  private processLines(s: Session, target: string, text: string): void {
    const ctx: LineContext = {
      model: this.model,
      root: s.deviceId,
      target,
      now: new Date(),
      device: () => {
        const root = this.model.ensureDevice(s.deviceId).device;
        if (target === root.externalId) return root;
        return this.model.ensureDevice(target, { parent: root.externalId }).device;
      },
      reply: (topic, fields) => {
        this.broker.send(s, topic, encodeRecord(fields));
      },
      resendPending: () => this.deliver(s, this.model.pendingFor(s.deviceId), OPERATION_TOPICS),
      changed: () => this.changed(),
    };
    processUpstream(text, ctx, (line) => this.sendError(s, line));
  }

  /** Operations to one session: static lines batched on s/ds, one JSON publish per operation. */
  private deliver(s: Session, ops: SimOperation[], topics: string[]): void {
    if (topics.includes('s/ds')) {
      const lines = ops.map(staticLine).filter((l): l is string[] => l !== undefined);
      for (let i = 0; i < lines.length; i += this.batchSize) {
        this.broker.send(s, 's/ds', encodeRecords(lines.slice(i, i + this.batchSize)));
      }
    }
    if (topics.includes(JSON_TOPIC)) {
      for (const op of ops) this.broker.send(s, JSON_TOPIC, jsonNotification(op, this.model.devices.get(op.deviceId)));
    }
  }

  /** Recorded even when s/e is not subscribed (tests assert on it); sent only if subscribed. */
  private sendError(s: Session, line: string): void {
    this.errorsSent.push({ deviceId: s.deviceId, line });
    this.broker.send(s, 's/e', line);
  }
}
