// In-process Trinity Smart-MQTT simulator (trinity.md §13) on aedes: checks every CONNECT like
// the Smart broker (client id = HID, user = CID+HID, hashed password within an age window, no
// replay), parses every uplink with its own grammar (grammar.ts), records d/e/x per PID, keeps
// wills, sends commands as the Smart server and matches replies by TCT. Test-only.
import { EventEmitter } from 'node:events';
import Aedes, { type AuthenticateError, type Client, type ConnectPacket, type PublishPacket } from 'aedes';
import { Listeners, type TlsOptions } from '../sim/listeners';
import { waitForChange } from '../sim/wait';
import { checkUplink, commandPayload, type Uplink } from './grammar';
import { checkPassword } from './password';

export const SERVER_HID = '000000000000000';

export interface TrinitySimOptions {
  cid?: string;
  hid?: string;
  /** The device's secret as hex. */
  secretHex?: string;
  /** Accepted password age, seconds either way (the real window is unknown, trinity.md §3). */
  windowSec?: number;
  tls?: TlsOptions;
  /** Fake clock for password checks, ms since 1970. */
  now?: () => number;
}

export interface SimConnection {
  clientId: string;
  username: string | undefined;
  returnCode: number;
  why: string;
  /** Time stamp inside the password, when it could be read. */
  passwordTs?: number;
  clean: boolean;
  keepalive: number;
  will?: { topic: string; payload: string; qos: number; retain: boolean };
}

export interface SimUplink {
  topic: string;
  pid: string;
  tct?: string;
  qos: number;
  retain: boolean;
  will: boolean;
  uplink: Uplink;
}

export interface SimReply {
  tct: string;
  ts: number;
  code: number;
  result?: unknown;
}

export interface CommandOptions {
  /** TCT of the command; undefined = fire and forget (no reply expected). */
  tct?: string | undefined;
  sender?: string;
  ts?: unknown;
  qos?: 0 | 1;
  retain?: boolean;
}

function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export class TrinitySimulator extends EventEmitter {
  readonly cid: string;
  readonly hid: string;
  readonly secretHex: string;
  readonly connections: SimConnection[] = [];
  readonly subscriptions: string[] = [];
  readonly uplinks: SimUplink[] = [];
  /** Anything a conforming device would not send (wrong topic, grammar, QoS, retain): tests expect none. */
  readonly violations: string[] = [];
  nowMs: () => number;
  private readonly secret: Buffer;
  private readonly windowSec: number;
  private readonly aedes: Aedes;
  private readonly net: Listeners;
  private readonly connects = new WeakMap<Client, ConnectPacket>();
  private readonly seen = new Set<string>();
  private device: Client | undefined;
  private counter = 0;
  private stopped = false;

  private constructor(opts: TrinitySimOptions) {
    super();
    this.setMaxListeners(0);
    this.cid = opts.cid ?? '12345678';
    this.hid = opts.hid ?? 'AAA0123456789AB';
    this.secretHex = opts.secretHex ?? '00112233445566778899aabbccddeeff';
    this.secret = Buffer.from(this.secretHex, 'hex');
    this.windowSec = opts.windowSec ?? 300;
    this.nowMs = opts.now ?? Date.now;
    this.aedes = new Aedes({
      preConnect: (client, packet, done) => {
        this.connects.set(client, packet);
        done(null, true);
      },
      authenticate: (client, username, password, done) => this.onAuthenticate(client, username, password, done),
      authorizeSubscribe: (_client, sub, done) => {
        const ok = sub.topic.startsWith(`${this.cid}/${this.hid}/`);
        if (ok) this.subscriptions.push(sub.topic);
        else this.violations.push(`subscription outside the device's topics: ${sub.topic}`);
        this.changed();
        done(null, ok ? sub : null);
      },
      authorizePublish: (client, packet, done) => {
        this.onPublish(client, packet);
        done(null);
      },
    });
    this.aedes.on('clientReady', (c) => {
      if (c.id === this.hid) this.device = c;
      this.changed();
    });
    this.aedes.on('clientDisconnect', (c) => {
      if (this.device === c) this.device = undefined;
      this.changed();
    });
    this.net = new Listeners((socket) => {
      socket.setNoDelay(true); // as RabbitMQ and mosquitto do by default
      this.aedes.handle(socket);
    }, opts.tls);
  }

  static async start(opts: TrinitySimOptions = {}): Promise<TrinitySimulator> {
    const sim = new TrinitySimulator(opts);
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

  get prefix(): string {
    return `${this.cid}/${this.hid}`;
  }

  get connected(): boolean {
    return this.device !== undefined && !this.device.closed;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.net.shut();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    this.changed();
  }

  /** Cuts the device's socket without DISCONNECT: the broker publishes its will. */
  dropDevice(): void {
    this.device?.conn.destroy();
  }

  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return waitForChange(this, predicate, timeoutMs, what);
  }

  /** Uplinks of a PID, by type (replies are on PID 0 with a TCT). */
  data(pid: string): Array<{ ts: number; data: unknown }> {
    return this.uplinks.flatMap((u) =>
      u.pid === pid && u.uplink.type === 'd' && !u.will ? [{ ts: u.uplink.ts, data: u.uplink.data }] : [],
    );
  }

  events(pid: string): Array<{ ts: number; sse: number; code: number; text: string; will: boolean }> {
    return this.uplinks.flatMap((u) =>
      u.pid === pid && u.uplink.type === 'e'
        ? u.uplink.events.map(([sse, code, text]) => ({ ts: u.uplink.ts, sse, code, text, will: u.will }))
        : [],
    );
  }

  get replies(): SimReply[] {
    return this.uplinks.flatMap((u) => {
      if (u.uplink.type !== 'x' || u.tct === undefined) return [];
      const r: SimReply = { tct: u.tct, ts: u.uplink.ts, code: u.uplink.code };
      if ('result' in u.uplink) r.result = u.uplink.result;
      return [r];
    });
  }

  /** A fresh TCT for a command. */
  nextTct(): string {
    this.counter += 1;
    return `>sim${this.counter}`;
  }

  /** Publishes a raw downlink (any topic under the device, any payload). */
  publishRaw(topic: string, payload: string, qos: 0 | 1 = 1, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload, 'utf8'), qos, retain, dup: false };
      this.aedes.publish(packet, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Sends a command as the Smart server (or `sender`) to a PID of the device. */
  send(pid: string, name: string, args: readonly unknown[], o: CommandOptions = {}): Promise<void> {
    const topic = `${this.prefix}/${pid}/</${o.sender ?? SERVER_HID}`;
    const ts = o.ts ?? 0;
    const payload =
      typeof ts === 'number'
        ? commandPayload(ts, o.tct, name, args)
        : JSON.stringify({ c: o.tct === undefined ? [ts, [name, ...args]] : [ts, o.tct, [name, ...args]] });
    return this.publishRaw(topic, payload, o.qos ?? 1, o.retain ?? false);
  }

  /** Waits for the reply with this TCT. */
  async reply(tct: string, timeoutMs = 5000): Promise<SimReply> {
    await this.waitFor(() => this.replies.some((r) => r.tct === tct), timeoutMs, `reply to ${tct}`);
    const r = this.replies.find((x) => x.tct === tct);
    if (!r) throw new Error(`no reply to ${tct}`);
    return r;
  }

  /** Sends a command with a fresh TCT and resolves with its reply. */
  async command(
    pid: string,
    name: string,
    args: readonly unknown[] = [],
    o: Omit<CommandOptions, 'tct'> = {},
    timeoutMs = 5000,
  ): Promise<SimReply> {
    const tct = this.nextTct();
    await this.send(pid, name, args, { ...o, tct });
    return this.reply(tct, timeoutMs);
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
    const connect = this.connects.get(client);
    const rec: SimConnection = {
      clientId: client.id,
      username,
      returnCode: 0,
      why: 'accepted',
      clean: connect?.clean ?? true,
      keepalive: connect?.keepalive ?? 0,
    };
    if (connect?.will) {
      const w = connect.will;
      rec.will = { topic: w.topic, payload: Buffer.from(w.payload).toString('utf8'), qos: w.qos ?? 0, retain: w.retain ?? false };
    }
    const refuse = (code: 2 | 4 | 5, why: string): void => {
      rec.returnCode = code;
      rec.why = why;
      this.connections.push(rec);
      this.changed();
      done(authError(code, why), null);
    };
    if (client.id !== this.hid) return refuse(2, `client id ${client.id} is not the HID`);
    if (username !== `${this.cid}${this.hid}`) return refuse(4, `user name ${String(username)} is not CID+HID`);
    if (password && password.length === 32) {
      const raw = Buffer.from(password.toString('utf8'), 'base64');
      if (raw.length >= 4) rec.passwordTs = raw.readUInt32LE(0);
    }
    const check = checkPassword(password, this.secret, Math.floor(this.nowMs() / 1000), this.windowSec, this.seen);
    if (!check.ok) return refuse(check.code, check.why);
    this.connections.push(rec);
    this.changed();
    done(null, true);
  }

  private onPublish(client: Client | null, packet: PublishPacket): void {
    if (!client) return; // our own publishes
    const isWill = packet === this.connects.get(client)?.will;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
    const levels = packet.topic.split('/');
    const bad = (why: string): void => {
      this.violations.push(`${packet.topic}: ${why}: ${payload.slice(0, 120)}`);
      this.changed();
    };
    if (levels[0] !== this.cid || levels[1] !== this.hid || levels[3] !== '>' || levels.length < 4 || levels.length > 5 || !levels[2]) {
      return bad('not an uplink topic {CID}/{HID}/{PID}/>[/{TCT}]');
    }
    const qos = packet.qos ?? 0;
    if (qos !== 1) bad(`QoS ${qos}, not the default 1`);
    if (packet.retain) bad('retained');
    const checked = checkUplink(payload);
    if (!checked.ok) return bad(checked.why);
    const pid = levels[2];
    const tct = levels.length === 5 ? levels[4] : undefined;
    if (checked.uplink.type === 'x' && (tct === undefined || pid !== '0')) return bad('a reply must go to {CID}/{HID}/0/>/{TCT}');
    if (checked.uplink.type !== 'x' && tct !== undefined) return bad('only replies carry a TCT level');
    const u: SimUplink = { topic: packet.topic, pid, qos, retain: packet.retain ?? false, will: isWill, uplink: checked.uplink };
    if (tct !== undefined) u.tct = tct;
    this.uplinks.push(u);
    this.changed();
  }
}
