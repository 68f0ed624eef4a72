// The MQTT side of the simulator: aedes on loopback, with hooks that authenticate like the
// platform, hand every publish (and will) to the model instead of routing it, and let only the
// simulator's own messages reach clients.
import Aedes, { type AuthenticateError, type Client, type ConnectPacket, type PublishPacket } from 'aedes';
import { authenticate, peerCert } from './auth';
import { Listeners, type TlsOptions } from './listeners';
import { MAX_PACKET_BYTES, mayPublish, maySubscribe, packetSize, type Session } from './session';

export interface BrokerConfig {
  tenant: string;
  bootstrapPassword: string;
  users: ReadonlyMap<string, string>;
  willOnTakeover: boolean;
  tls: TlsOptions | undefined;
}

/** What the platform model does with broker events. */
export interface BrokerHooks {
  changed(): void;
  /** A processed publish or will; runs before the PUBACK is written. */
  data(s: Session, topic: string, text: string): void;
  /** Granted subscriptions, after the SUBACK. */
  subscribed(s: Session, topics: string[]): void;
}

export interface Received {
  clientId: string;
  topic: string;
  qos: number;
  retain: boolean;
  payload: Buffer;
  /** Arrival time (ms since 1970). */
  at: number;
}
export interface Sent {
  clientId: string;
  topic: string;
  payload: string;
}
export interface ConnectionRecord {
  clientId: string;
  username?: string;
  at: Date;
  returnCode: number;
}

/** Marks what the simulator itself sends; authorizeForward lets nothing else reach a client. */
const SIM_ORIGIN = '$c8y-sim';
const REFUSED = 128;

function authError(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export class SimBroker {
  readonly received: Received[] = [];
  readonly sent: Sent[] = [];
  readonly connections: ConnectionRecord[] = [];
  readonly live = new Map<string, Session>(); // deviceId → current session
  readonly listeners: Listeners;
  failures: { count: number; code: 3 | 5 } = { count: 0, code: 3 };
  certAllow: Set<string> | undefined; // undefined: any CA-verified cert whose CN matches
  outage = false; // paused or stopped: wills of dropped sessions are not processed
  private readonly aedes: Aedes;
  private readonly connects = new WeakMap<Client, ConnectPacket>();
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly noWill = new WeakSet<Client>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly hooks: BrokerHooks,
  ) {
    this.aedes = new Aedes({
      maxClientsIdLength: 65535, // the MQTT 3.1 id-length rule is ours: CONNACK 5, not 2 (§1)
      preConnect: (client, packet, done) => {
        this.connects.set(client, packet);
        done(null, true);
      },
      authenticate: (client, _username, _password, done) => this.onAuthenticate(client, done),
      authorizePublish: (client, packet, done) => this.onPublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        const s = this.sessions.get(client);
        const ok = s !== undefined && maySubscribe(s.kind, sub.topic);
        // Recorded now, synchronously, so a publish right behind the SUBSCRIBE already sees it.
        if (ok) s.subscriptions.add(sub.topic);
        done(null, ok ? sub : null);
      },
      authorizeForward: (_client, packet) => ('clientId' in packet && packet.clientId === SIM_ORIGIN ? packet : null),
    });
    this.aedes.on('connackSent', (packet, client) => {
      const connect = this.connects.get(client);
      const entry: ConnectionRecord = {
        clientId: connect?.clientId ?? client.id,
        at: new Date(),
        returnCode: packet.returnCode ?? 0,
      };
      if (connect?.username !== undefined) entry.username = connect.username;
      this.connections.push(entry);
      hooks.changed();
    });
    this.aedes.on('clientReady', (client) => {
      const s = this.sessions.get(client);
      if (s) this.live.set(s.deviceId, s);
      hooks.changed();
    });
    this.aedes.on('clientDisconnect', (client) => {
      const s = this.sessions.get(client);
      if (s && this.live.get(s.deviceId)?.client === client) this.live.delete(s.deviceId);
      hooks.changed();
    });
    this.aedes.on('subscribe', (subs, client) => {
      const s = this.sessions.get(client);
      // aedes reports refused filters with the SUBACK code 128, outside its QoS type.
      const granted = subs.filter((sub) => Number(sub.qos) !== REFUSED).map((sub) => sub.topic);
      if (s && granted.length > 0) hooks.subscribed(s, granted);
      hooks.changed();
    });
    this.aedes.on('unsubscribe', (topics, client) => {
      const s = this.sessions.get(client);
      for (const t of topics) s?.subscriptions.delete(t);
      hooks.changed();
    });
    this.listeners = new Listeners((socket) => {
      this.aedes.handle(socket);
    }, config.tls);
  }

  /** Close listeners, every client and the broker. */
  async close(): Promise<void> {
    this.outage = true;
    await this.listeners.shut();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  /** QoS 1, never retained, only on a topic this session subscribed (§1, §11). */
  send(s: Session, topic: string, payload: string): boolean {
    if (!s.subscriptions.has(topic) || s.client.closed) return false;
    this.sent.push({ clientId: s.rawClientId, topic, payload });
    const packet: PublishPacket & { clientId: string } = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload, 'utf8'),
      qos: 1,
      retain: false,
      dup: false,
      clientId: SIM_ORIGIN,
    };
    s.client.publish(packet, () => undefined);
    this.hooks.changed();
    return true;
  }

  private onAuthenticate(client: Client, done: (err: AuthenticateError | null, ok: boolean | null) => void): void {
    const connect = this.connects.get(client);
    if (this.failures.count > 0) {
      this.failures.count--;
      done(authError(this.failures.code, 'injected failure'), null);
      return;
    }
    const clientId = connect?.clientId ?? '';
    const r = authenticate(
      {
        clientId,
        protocolVersion: connect?.protocolVersion ?? 4,
        clean: connect?.clean ?? true,
        username: connect?.username,
        password: connect?.password,
        cert: peerCert(client.conn),
      },
      {
        tenant: this.config.tenant,
        bootstrapPassword: this.config.bootstrapPassword,
        users: this.config.users,
        certTrusted: (cn) => this.certAllow === undefined || this.certAllow.has(cn),
      },
    );
    if (!r.ok) {
      done(authError(r.returnCode, r.reason), null);
      return;
    }
    const deviceId = r.identity.deviceId;
    // Takeover is by device id whatever the d:/:xid form (§1); aedes itself only closes an
    // identical client id, so the other forms are closed here.
    const old = this.live.get(deviceId);
    if (old) {
      if (!this.config.willOnTakeover) this.noWill.add(old.client);
      if (old.rawClientId !== clientId) old.client.close();
    }
    const subscriptions = new Set<string>();
    const session: Session = { client, rawClientId: clientId, deviceId, kind: r.kind, username: r.username, subscriptions };
    this.sessions.set(client, session);
    done(null, true);
  }

  /**
   * Every PUBLISH and every will passes here (aedes authorizes a will before publishing it), so
   * this is where the platform takes data in — before the PUBACK, so an acknowledged publish is
   * already in the model. An error closes the connection.
   */
  private onPublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const s = client ? this.sessions.get(client) : undefined;
    if (!client || !s) {
      done(new Error('no session'));
      return;
    }
    const isWill = packet === this.connects.get(client)?.will;
    if (isWill && (this.outage || this.noWill.has(client))) {
      done(new Error('will not processed'));
      return;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload, 'utf8');
    const qos = packet.qos ?? 0; // a will's qos is optional
    this.received.push({ clientId: s.rawClientId, topic: packet.topic, qos, retain: packet.retain ?? false, payload, at: Date.now() });
    const remaining = packet.length ?? 2 + Buffer.byteLength(packet.topic) + (qos > 0 ? 2 : 0) + payload.length;
    if ((!isWill && packetSize(remaining) > MAX_PACKET_BYTES) || !mayPublish(s.kind, packet.topic)) {
      this.hooks.changed();
      done(new Error('publish refused'));
      return;
    }
    packet.retain = false; // ignored by Core MQTT (§1); also keeps aedes from storing it
    this.hooks.data(s, packet.topic, payload.toString('utf8'));
    this.hooks.changed();
    done(null);
  }
}
