// In-process Helix Device Cloud simulator (helix-device-cloud.md §11), test-only: aedes with a
// plain listener and an HTTPS server (test CA) carrying MQTT over WebSocket at /mqtt and the file
// service (`GET /file/<id>` with Range/206, `POST /file/<id>`). Username = client id = thing key,
// password = app token (CONNACK 5 otherwise). Requests on `api/<n>` are parsed here with
// JSON.parse — never with our dialect — and answered on `reply/<n>` straight to the client,
// without any SUBSCRIBE. Telemetry, attributes, locations, logs and alarms are stored per thing;
// the mailbox holds `method.exec` items until `mailbox.ack`. Fault tools: drop the client,
// withhold replies, send stray/duplicate replies, cut or stall or corrupt a download, 404/500.
import { EventEmitter } from 'node:events';
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as zlib from 'node:zlib';
import Aedes, { type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { TestPki } from '../sim/certs';
import { Listeners } from '../sim/listeners';
import { waitForChange } from '../sim/wait';

type Obj = Record<string, unknown>;

export interface HdcSimOptions {
  thingKey?: string;
  token?: string;
  /** Serves https (file service and wss) with this PKI's server certificate. */
  pki: TestPki;
}

export interface Request {
  n: number;
  topic: string;
  raw: string;
  /** Commands by number ("1", "2" …). */
  commands: Array<{ num: string; command: string; params: unknown }>;
}

export interface MailboxItem {
  id: string;
  method: string;
  params: Obj;
  acked?: { errorCode: unknown; errorMessage?: unknown; params?: unknown } | undefined;
  updates: string[];
}

export interface StoredFile {
  name: string;
  global: boolean;
  data: Buffer;
  /** Advertised crc32 (default: the real one); `null` = none. */
  crc?: number | string | null;
  /** Advertised size (default: the real one). */
  size?: number;
}

export type DownloadFault =
  { kind: 'cut'; after: number; times: number } | { kind: 'stall'; after: number } | { kind: 'status'; code: number };

const crcOf = (b: Buffer): number => zlib.crc32(b) >>> 0;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class HdcSimulator extends EventEmitter {
  readonly thingKey: string;
  readonly token: string;
  readonly requests: Request[] = [];
  readonly connects: Array<{ clientId: string; username: string | undefined; returnCode: number; via: 'tcp' | 'ws' }> = [];
  readonly subscriptions: string[] = [];
  /** Protocol errors seen (bad topics, bad envelopes, bad params). Tests expect none. */
  readonly errors: string[] = [];
  readonly properties: Array<{ key: string; value: unknown; ts: unknown }> = [];
  readonly attributes: Array<{ key: string; value: unknown; ts: unknown }> = [];
  readonly locations: Obj[] = [];
  readonly logs: string[] = [];
  readonly alarms: Array<{ key: string; state: unknown; msg: unknown }> = [];
  readonly mailbox = new Map<string, MailboxItem>();
  /** Files by id. */
  readonly files = new Map<string, StoredFile>();
  /** Upload slots made by file.put, by id. */
  readonly uploads = new Map<string, { name: string; crc: unknown; global: boolean; data?: Buffer }>();
  readonly httpLog: Array<{ method: string; url: string; range?: string | undefined; status: number }> = [];
  downloadFault: DownloadFault | undefined;
  /** Requests are taken but not answered while set. */
  withhold = false;
  private readonly aedes: Aedes;
  private readonly net: Listeners;
  private readonly https: https.Server;
  private readonly wss: WebSocketServer;
  private readonly httpSockets = new Set<Socket>();
  private nextId = 1;
  private clients = new Map<string, Client>();
  private held: Array<[string, string]> = [];

  private constructor(opts: HdcSimOptions) {
    super();
    this.setMaxListeners(0);
    this.thingKey = opts.thingKey ?? 'dev1-my_app';
    this.token = opts.token ?? 'TOKEN';
    this.aedes = new Aedes({
      authenticate: (client, username, password, done) => this.onAuthenticate(client, username, password, done),
      authorizeSubscribe: (_client, sub, done) => {
        this.subscriptions.push(sub.topic);
        done(null, sub);
      },
      authorizePublish: (client, packet, done) => {
        done(null);
        if (client) setImmediate(() => this.onDevicePublish(client, packet));
      },
    });
    this.aedes.on('clientReady', (c: Client) => {
      this.clients.set(c.id, c);
      const held = this.held;
      this.held = [];
      for (const [t, p] of held) this.deliver(t, p);
      this.changed();
    });
    this.aedes.on('clientDisconnect', (c: Client) => {
      if (this.clients.get(c.id) === c) this.clients.delete(c.id);
      this.changed();
    });
    this.net = new Listeners((socket) => this.aedes.handle(socket), {
      key: opts.pki.server.key,
      cert: opts.pki.server.cert,
      requestCert: false,
    });
    this.https = https.createServer({ key: opts.pki.server.key, cert: opts.pki.server.cert }, (req, res) => this.onHttp(req, res));
    this.https.on('connection', (s: Socket) => {
      this.httpSockets.add(s);
      s.once('close', () => this.httpSockets.delete(s));
    });
    this.wss = new WebSocketServer({ server: this.https, path: '/mqtt' });
    this.wss.on('connection', (socket, req) => {
      (req.socket as Socket & { hdcVia?: string }).hdcVia = 'ws';
      const stream = createWebSocketStream(socket);
      (stream as unknown as { hdcVia: string }).hdcVia = 'ws';
      this.aedes.handle(stream);
    });
  }

  static async start(opts: HdcSimOptions): Promise<HdcSimulator> {
    const sim = new HdcSimulator(opts);
    await sim.net.open();
    await new Promise<void>((resolve) => sim.https.listen(0, '127.0.0.1', resolve));
    return sim;
  }

  get port(): number {
    return this.net.port;
  }

  /** MQTT over TLS (the test CA's server certificate for 127.0.0.1). */
  get tlsPort(): number {
    return this.net.tlsPort ?? 0;
  }

  /** HTTPS port: the file service and MQTT over WebSocket (/mqtt). */
  get httpsPort(): number {
    return (this.https.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await this.net.shut();
    for (const c of this.wss.clients) c.terminate();
    for (const s of this.httpSockets) s.destroy();
    await new Promise<void>((resolve) => this.https.close(() => resolve()));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  /** Cloud outage: stop listening (MQTT) and cut every client; resume() listens again on the same ports. */
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

  isConnected(): boolean {
    return this.clients.has(this.thingKey);
  }

  /** Cuts the device's connection (it reconnects by itself). */
  dropClient(): void {
    const c = this.clients.get(this.thingKey);
    (c?.conn as { destroy?: () => void } | undefined)?.destroy?.();
  }

  // ---- test hooks: the cloud side ---------------------------------------------------------------

  /** Queues a method.exec in the mailbox and notifies the device; returns the message id. */
  execMethod(method: string, params: Obj = {}, raw?: unknown): string {
    const id = `m${this.nextId++}`;
    this.mailbox.set(id, { id, method, params, updates: [], ...(raw === undefined ? {} : { raw }) });
    this.notify();
    return id;
  }

  /** Puts a raw mailbox message in (malformed ones included). */
  putRawMessage(id: string, message: unknown): void {
    this.mailbox.set(id, { id, method: '', params: {}, updates: [], raw: message } as MailboxItem & { raw: unknown });
    this.notify();
  }

  notify(): void {
    this.deliver('notify/mailbox_activity', JSON.stringify({ thingKey: this.thingKey, sessionId: 'sim-session' }));
  }

  /** Sends any payload on any topic to the device (malformed replies, stray ids). */
  sendRaw(topic: string, payload: string): void {
    this.deliver(topic, payload);
  }

  /** Waits for the final answer of a method. */
  async waitAck(id: string, timeoutMs = 10_000): Promise<NonNullable<MailboxItem['acked']>> {
    await this.waitFor(() => this.mailbox.get(id)?.acked !== undefined, timeoutMs, `mailbox.ack of ${id}`);
    const a = this.mailbox.get(id)?.acked;
    if (!a) throw new Error('no ack');
    return a;
  }

  addFile(name: string, data: Buffer, opts: { global?: boolean; crc?: number | string | null; size?: number } = {}): string {
    const id = `f${this.nextId++}`;
    this.files.set(id, {
      name,
      data,
      global: opts.global ?? false,
      ...(opts.crc === undefined ? {} : { crc: opts.crc }),
      ...(opts.size === undefined ? {} : { size: opts.size }),
    });
    return id;
  }

  // ---- MQTT side ----------------------------------------------------------------------------------

  private deliver(topic: string, payload: string): void {
    const c = this.clients.get(this.thingKey);
    if (!c) {
      // CONNACK goes out before aedes reports the client ready: hold what comes in between.
      if (this.connects.at(-1)?.returnCode === 0) this.held.push([topic, payload]);
      return;
    }
    // Straight to the client: the cloud needs no subscription (§2).
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false } as PublishPacket;
    c.publish(packet, () => undefined);
  }

  private onAuthenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const via = (client.conn as unknown as { hdcVia?: string }).hdcVia === 'ws' ? 'ws' : 'tcp';
    const ok = client.id === this.thingKey && username === this.thingKey && password?.toString() === this.token;
    this.connects.push({ clientId: client.id, username, returnCode: ok ? 0 : 5, via });
    this.changed();
    if (ok) done(null, true);
    else done(Object.assign(new Error('not authorized'), { returnCode: 5 as const }), null);
  }

  private onDevicePublish(client: Client, packet: PublishPacket): void {
    const raw = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
    const m = /^api\/(\d{4,})$/.exec(packet.topic);
    if (!m) {
      this.errors.push(`publish outside api/<NNNN>: ${packet.topic}`);
      this.changed();
      return;
    }
    if (packet.qos !== 1) this.errors.push(`QoS ${packet.qos} on ${packet.topic}`);
    const n = Number(m[1]);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      this.errors.push(`not JSON on ${packet.topic}`);
      this.changed();
      return;
    }
    if (/\s/.test(raw.replace(/"(?:[^"\\]|\\.)*"/g, ''))) this.errors.push(`request is not compact JSON: ${raw.slice(0, 60)}`);
    const req: Request = { n, topic: packet.topic, raw, commands: [] };
    const reply: Obj = {};
    if (!isObj(body)) this.errors.push(`request is not an object on ${packet.topic}`);
    else
      for (const [num, c] of Object.entries(body)) {
        if (!/^\d+$/.test(num) || !isObj(c) || typeof c['command'] !== 'string') {
          this.errors.push(`bad command ${num} on ${packet.topic}`);
          reply[num] = { success: false, errorCodes: [-90001], errorMessages: ['bad command'] };
          continue;
        }
        req.commands.push({ num, command: c['command'], params: c['params'] });
        reply[num] = this.execute(c['command'], c['params']);
      }
    this.requests.push(req);
    this.changed();
    if (!this.withhold && client.id === this.thingKey) this.deliver(`reply/${m[1]}`, JSON.stringify(reply));
  }

  private fail(msg: string, code = -90002): Obj {
    this.errors.push(msg);
    return { success: false, errorCodes: [code], errorMessages: [msg] };
  }

  private execute(command: string, params: unknown): Obj {
    const p = isObj(params) ? params : {};
    const thingOk = (k: unknown): boolean => k === this.thingKey;
    const items = (): Obj[] | undefined => (Array.isArray(p['data']) ? (p['data'] as unknown[]).filter(isObj) : undefined);
    switch (command) {
      case 'property.batch': {
        const d = items();
        if (!thingOk(p['thingKey']) || !d) return this.fail('property.batch: bad params');
        for (const i of d) {
          if (typeof i['key'] !== 'string' || typeof i['value'] !== 'number' || !('corrid' in i)) return this.fail('property.batch item');
          this.properties.push({ key: i['key'], value: i['value'], ts: i['ts'] });
        }
        return { success: true };
      }
      case 'attribute.batch': {
        const d = items();
        if (!thingOk(p['thingKey']) || !d) return this.fail('attribute.batch: bad params');
        for (const i of d) {
          if (typeof i['key'] !== 'string' || typeof i['value'] !== 'string') return this.fail('attribute.batch item');
          this.attributes.push({ key: i['key'], value: i['value'], ts: i['ts'] });
        }
        return { success: true };
      }
      case 'alarm.batch': {
        const d = items();
        if (!thingOk(p['thingKey']) || !d || 'msg' in p) return this.fail('alarm.batch: bad params');
        for (const i of d) {
          if (typeof i['key'] !== 'string' || !Number.isInteger(i['state'])) return this.fail('alarm.batch item');
          this.alarms.push({ key: i['key'], state: i['state'], msg: i['msg'] });
        }
        return { success: true };
      }
      case 'location.batch': {
        const d = items();
        if (!thingOk(p['thingKey']) || !d || p['lat'] !== 'location_batch') return this.fail('location.batch: bad params');
        for (const i of d) {
          if (typeof i['lat'] !== 'number' || typeof i['lng'] !== 'number') return this.fail('location.batch item');
          this.locations.push(i);
        }
        return { success: true };
      }
      case 'property.publish':
      case 'attribute.publish':
      case 'alarm.publish':
      case 'location.publish':
        if (!thingOk(p['thingKey'])) return this.fail(`${command}: bad params`);
        return { success: true };
      case 'log.publish':
        if (!thingOk(p['thingKey']) || typeof p['msg'] !== 'string') return this.fail('log.publish: bad params');
        this.logs.push(p['msg']);
        return { success: true };
      case 'mailbox.check': {
        if (p['autoComplete'] !== false) return this.fail('mailbox.check: autoComplete must be false');
        const messages = [...this.mailbox.values()]
          .filter((i) => !i.acked)
          .map((i) => {
            const raw = (i as MailboxItem & { raw?: unknown }).raw;
            if (raw !== undefined) return raw;
            return {
              id: i.id,
              command: 'method.exec',
              thingKey: this.thingKey,
              params: { method: i.method, thingDefKey: 'def', params: i.params },
            };
          });
        return { success: true, params: { messages } };
      }
      case 'mailbox.update': {
        const i = typeof p['id'] === 'string' ? this.mailbox.get(p['id']) : undefined;
        if (!i || typeof p['msg'] !== 'string') return this.fail('mailbox.update: unknown id');
        i.updates.push(p['msg']);
        return { success: true };
      }
      case 'mailbox.ack': {
        const i = typeof p['id'] === 'string' ? this.mailbox.get(p['id']) : undefined;
        if (!i || !Number.isInteger(p['errorCode'])) return this.fail('mailbox.ack: unknown id or no errorCode');
        if (i.acked) return this.fail(`mailbox.ack: ${i.id} acked twice`);
        i.acked = { errorCode: p['errorCode'], errorMessage: p['errorMessage'], params: p['params'] };
        return { success: true };
      }
      case 'file.get': {
        if (!thingOk(p['thingKey']) || typeof p['fileName'] !== 'string' || typeof p['global'] !== 'boolean')
          return this.fail('file.get: bad params');
        const hit = [...this.files.entries()].find(([, f]) => f.name === p['fileName'] && f.global === p['global']);
        if (!hit) return { success: false, errorCodes: [-90008], errorMessages: ['file not found'] };
        const [id, f] = hit;
        return {
          success: true,
          params: { fileId: id, fileSize: f.size ?? f.data.length, crc32: f.crc === undefined ? String(crcOf(f.data)) : f.crc },
        };
      }
      case 'file.put': {
        if (!thingOk(p['thingKey']) || typeof p['fileName'] !== 'string' || p['public'] !== false || typeof p['crc32'] !== 'number')
          return this.fail('file.put: bad params');
        const id = `u${this.nextId++}`;
        this.uploads.set(id, { name: p['fileName'], crc: p['crc32'], global: p['global'] === true });
        return { success: true, params: { fileId: id } };
      }
      case 'property.current': {
        const last = [...this.properties].reverse().find((x) => x.key === p['key']);
        return last ? { success: true, params: { value: last.value, ts: last.ts } } : { success: false, errorCodes: [-90008] };
      }
      case 'diag.ping':
        return { success: true };
      case 'diag.time':
        return { success: true, params: { time: Date.now() } };
      case 'thing.update':
        return p['key'] === this.thingKey ? { success: true } : this.fail('thing.update: bad key');
      default:
        return this.fail(`unknown command ${command}`, -90003);
    }
  }

  // ---- file service -------------------------------------------------------------------------------

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const m = /^\/file\/([\w.-]+)$/.exec(req.url ?? '');
    const log = (status: number): void => {
      this.httpLog.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, status });
      this.changed();
    };
    if (!m?.[1]) {
      log(404);
      res.writeHead(404).end();
      return;
    }
    const id = m[1];
    if (req.method === 'POST') {
      const slot = this.uploads.get(id);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!slot) {
          log(404);
          res.writeHead(404).end();
          return;
        }
        slot.data = Buffer.concat(chunks);
        const good = crcOf(slot.data) === slot.crc;
        if (!good) this.errors.push(`upload ${slot.name}: crc32 of the body does not match file.put`);
        log(good ? 200 : 400);
        res.writeHead(good ? 200 : 400).end();
      });
      return;
    }
    const f = this.files.get(id);
    if (req.method !== 'GET' || !f) {
      log(404);
      res.writeHead(404).end();
      return;
    }
    const fault = this.downloadFault;
    if (fault?.kind === 'status') {
      log(fault.code);
      res.writeHead(fault.code).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = f.data.subarray(start);
    const status = range ? 206 : 200;
    log(status);
    res.writeHead(status, {
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${f.data.length - 1}/${f.data.length}` } : {}),
    });
    if (fault?.kind === 'cut' && fault.times > 0) {
      fault.times -= 1;
      res.write(body.subarray(0, fault.after), () => res.destroy());
      return;
    }
    if (fault?.kind === 'stall') {
      res.write(body.subarray(0, fault.after)); // then nothing: the device must give up by itself
      return;
    }
    res.end(body);
  }

  private changed(): void {
    this.emit('change');
  }

  /** A random payload and its crc, for file tests. */
  static randomFile(bytes: number): { data: Buffer; crc: number } {
    const data = crypto.randomBytes(bytes);
    return { data, crc: crcOf(data) };
  }
}
