// In-process libpyiotcloud cloud simulator (libpyiotcloud.md §7) on aedes: a plain and a TLS
// listener (test CA, server certificate, device certificates with the device *name* as CN),
// guest/guest by default, the client id must be a registered device id. Requests are made like
// the cloud's web server: listen on `server/<id>/<api>` first (here: the broker's publish hook
// takes the reply, as a subscription of the cloud would), publish `<id>/<api>` at QoS 1,
// wait for exactly one reply within the deadline (1 s, the seed's sleep), one request per
// (device, api) at a time. Every device frame is recorded and checked. Test-only; replies are
// read with JSON.parse here, never with our dialect.
import { EventEmitter } from 'node:events';
import Aedes, { type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { Listeners, type TlsOptions } from '../sim/listeners';
import { waitForChange } from '../sim/wait';

export interface LpcSimOptions {
  /** Registered device ids (client id must be one of them). */
  devices?: string[];
  username?: string;
  password?: string;
  tls?: TlsOptions & { requireClientCert?: boolean };
  /** Reply deadline, ms (the cloud sleeps 1 s, then reads its mailbox). */
  deadlineMs?: number;
}

export interface Frame {
  clientId: string;
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

export interface CallResult {
  payload: Record<string, unknown>;
  /** Publish of the request to arrival of the reply. */
  ms: number;
}

export interface ConnectRecord {
  clientId: string;
  username: string | undefined;
  returnCode: number;
  authorizedCert: boolean;
}

function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

/** "Device is not running!": what the cloud answers when no reply came in time. */
export class DeviceNotRunning extends Error {}

export class LibpyiotcloudSimulator extends EventEmitter {
  readonly frames: Frame[] = [];
  readonly connects: ConnectRecord[] = [];
  readonly subscriptions: Array<{ clientId: string; topic: string; qos: number }> = [];
  /** Protocol errors seen: second replies, retained or stray device publishes. Tests expect none. */
  readonly errors: string[] = [];
  readonly deadlineMs: number;
  private readonly devices: Set<string>;
  private readonly username: string;
  private readonly password: string;
  private readonly requireCert: boolean;
  private readonly aedes: Aedes;
  private readonly net: Listeners;
  /** Per (device, api): the tail of the queue of requests. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Per reply topic: the open request waiting, or the time the last one closed. */
  private readonly open = new Map<string, { resolve: (p: string) => void; answered: boolean }>();
  private stopped = false;

  private constructor(opts: LpcSimOptions) {
    super();
    this.setMaxListeners(0);
    this.devices = new Set(opts.devices ?? ['c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d']);
    this.username = opts.username ?? 'guest';
    this.password = opts.password ?? 'guest';
    this.deadlineMs = opts.deadlineMs ?? 1000;
    this.requireCert = opts.tls?.requireClientCert ?? false;
    this.aedes = new Aedes({
      authenticate: (client, username, password, done) => this.onAuthenticate(client, username, password, done),
      authorizeSubscribe: (client, sub, done) => {
        this.subscriptions.push({ clientId: client.id, topic: sub.topic, qos: sub.qos });
        this.changed();
        done(null, sub);
      },
      authorizePublish: (client, packet, done) => {
        this.onDevicePublish(client, packet);
        done(null);
      },
    });
    this.aedes.on('clientReady', () => this.changed());
    this.aedes.on('clientDisconnect', () => this.changed());
    this.net = new Listeners((socket) => {
      socket.setNoDelay(true); // as RabbitMQ and mosquitto do by default
      this.aedes.handle(socket);
    }, opts.tls);
  }

  static async start(opts: LpcSimOptions = {}): Promise<LibpyiotcloudSimulator> {
    const sim = new LibpyiotcloudSimulator(opts);
    try {
      await sim.net.open();
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  get port(): number {
    return this.net.port;
  }

  get tlsPort(): number | undefined {
    return this.net.tlsPort;
  }

  /** The first registered device. */
  get deviceId(): string {
    const [first] = this.devices;
    if (first === undefined) throw new Error('no device registered');
    return first;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.net.shut();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    this.changed();
  }

  /** Broker outage: stop listening and cut every client; resume() listens again on the same ports. */
  async pause(): Promise<void> {
    await this.net.shut();
    this.changed();
  }

  async resume(): Promise<void> {
    await this.net.open();
    this.changed();
  }

  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return waitForChange(this, predicate, timeoutMs, what);
  }

  /** Whether `clientId` holds a subscription matching `<deviceid>/<api>` right now (after its latest connect). */
  subscribedCount(deviceId = this.deviceId): number {
    return this.subscriptions.filter((s) => s.clientId === deviceId && s.topic === `${deviceId}/#`).length;
  }

  // ---- the cloud's script API (§7 item 6) -----------------------------------------------------

  getStatus(): Promise<CallResult> {
    return this.call('get_status', {});
  }
  setStatus(status = 'restart'): Promise<CallResult> {
    return this.call('set_status', { status });
  }
  getGpio(n: number | string): Promise<CallResult> {
    return this.call('get_gpio', { number: n });
  }
  setGpio(n: number | string, value: number | string): Promise<CallResult> {
    return this.call('set_gpio', { number: n, value });
  }
  getRtc(): Promise<CallResult> {
    return this.call('get_rtc', {});
  }
  setRtc(epoch: number): Promise<CallResult> {
    return this.call('set_rtc', { value: epoch });
  }
  getMac(): Promise<CallResult> {
    return this.call('get_mac', {});
  }
  getIp(): Promise<CallResult> {
    return this.call('get_ip', {});
  }
  getSubnet(): Promise<CallResult> {
    return this.call('get_subnet', {});
  }
  getGateway(): Promise<CallResult> {
    return this.call('get_gateway', {});
  }
  writeUart(text: string): Promise<CallResult> {
    return this.call('write_uart', { data: text });
  }

  /**
   * One request as the web server makes it: serialised per (device, api), subscribe to the reply
   * topic first, publish the request, one reply within the deadline. `payload` may be raw text (to
   * send malformed requests). Rejects with DeviceNotRunning on timeout.
   */
  call(
    api: string,
    payload: Record<string, unknown> | string,
    deviceId = this.deviceId,
    deadlineMs = this.deadlineMs,
  ): Promise<CallResult> {
    const key = `${deviceId}/${api}`;
    const before = this.queues.get(key) ?? Promise.resolve();
    const run = before.then(
      () => this.request(deviceId, api, payload, deadlineMs),
      () => this.request(deviceId, api, payload, deadlineMs),
    );
    this.queues.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Publishes a request and expects no reply within `waitMs` (for malformed requests); resolves with the replies seen. */
  async expectNoReply(api: string, payload: string, waitMs = this.deadlineMs, deviceId = this.deviceId): Promise<void> {
    try {
      const r = await this.call(api, payload, deviceId, waitMs);
      throw new Error(`unexpected reply to ${api}: ${JSON.stringify(r.payload)}`);
    } catch (err) {
      if (!(err instanceof DeviceNotRunning)) throw err;
    }
  }

  private async request(deviceId: string, api: string, payload: Record<string, unknown> | string, deadlineMs: number): Promise<CallResult> {
    const replyTopic = `server/${deviceId}/${api}`;
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    let resolveReply: (p: string) => void = () => undefined;
    const replied = new Promise<string>((resolve) => {
      resolveReply = resolve;
    });
    const slot = { resolve: resolveReply, answered: false };
    this.open.set(replyTopic, slot);
    const started = performance.now();
    await this.publish(`${deviceId}/${api}`, text);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeviceNotRunning(`Device is not running! (no ${api} reply within ${deadlineMs} ms)`)),
        deadlineMs,
      );
    });
    try {
      const reply = await Promise.race([replied, timeout]);
      const ms = performance.now() - started;
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply);
      } catch {
        throw new Error(`${api}: reply is not JSON: ${reply.slice(0, 80)}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${api}: reply is not a JSON object`);
      return { payload: parsed as Record<string, unknown>, ms };
    } finally {
      clearTimeout(timer);
      // Keep the slot a moment as answered, so a second reply to this request is seen as one.
      slot.answered = true;
    }
  }

  private publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload, 'utf8'), qos: 1, retain: false, dup: false };
      this.aedes.publish(packet, (err) => (err ? reject(err) : resolve()));
    });
  }

  private changed(): void {
    this.emit('change');
  }

  private onAuthenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const sock = client.conn as { authorized?: boolean; getPeerCertificate?: () => { subject?: { CN?: string } } };
    const rec: ConnectRecord = { clientId: client.id, username, returnCode: 0, authorizedCert: sock.authorized === true };
    const refuse = (code: 2 | 4 | 5, why: string): void => {
      rec.returnCode = code;
      this.connects.push(rec);
      this.changed();
      done(authError(code, why), null);
    };
    // §7 item 2: the client id must be the device id, to catch configuration mistakes.
    if (!this.devices.has(client.id)) return refuse(2, `client id ${client.id} is not a registered device id`);
    if (username !== this.username || password?.toString('utf8') !== this.password) return refuse(4, 'bad user name or password');
    if (this.requireCert && !rec.authorizedCert) return refuse(5, 'no client certificate issued by the CA');
    this.connects.push(rec);
    this.changed();
    done(null, true);
  }

  private onDevicePublish(client: Client | null, packet: PublishPacket): void {
    if (!client) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
    const frame: Frame = { clientId: client.id, topic: packet.topic, payload, qos: packet.qos ?? 0, retain: packet.retain ?? false };
    this.frames.push(frame);
    if (frame.retain) this.errors.push(`retained device publish on ${frame.topic}`);
    if (frame.qos !== 1) this.errors.push(`reply at QoS ${frame.qos} on ${frame.topic}, not 1`);
    if (!frame.topic.startsWith(`server/${client.id}/`)) this.errors.push(`device publish outside server/${client.id}/: ${frame.topic}`);
    const slot = this.open.get(frame.topic);
    if (!slot) this.errors.push(`spontaneous publish on ${frame.topic} (no request ever made)`);
    else if (slot.answered) this.errors.push(`second or late reply on ${frame.topic}: ${payload.slice(0, 80)}`);
    else {
      slot.answered = true;
      slot.resolve(payload);
    }
    this.changed();
  }
}
