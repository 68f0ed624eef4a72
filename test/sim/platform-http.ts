// The simulator's HTTP side (cumulocity.md §4.2 side-calls), beside the broker on 127.0.0.1:
// identity lookup, events and event binaries (log upload, issue 11), the binaries of the software
// repository (software update, issue 6) and the remote-access device WebSocket (remote-access.ts).
// Basic auth is checked against the simulator's device users.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SimRemoteAccess, type SimRemoteEndpoint, type SimTunnel } from './remote-access';
import type { CumulocitySimulator } from './simulator';
import { waitForChange } from './wait';

export interface SimRestEvent {
  id: string;
  source: string; // managed object id
  type: string;
  text: string;
  time: string;
}

export interface SimBinary {
  eventId: string;
  name: string;
  contentType: string;
  content: Buffer;
}

export interface SimRequest {
  method: string;
  path: string; // without the connection key (remote-access paths are recorded as …/device/<key>)
  status: number;
}

export interface PlatformHttpOptions {
  maxBinaryBytes?: number; // default 50 MiB, the platform's documented default
  /** Serve https with this server certificate (e.g. from test/sim/certs.ts) instead of http. */
  tls?: { key: string; cert: string } | undefined;
}

/** The parts of a multipart/form-data body by name. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, { headers: string; content: Buffer }> {
  const parts = new Map<string, { headers: string; content: Buffer }>();
  const m = /boundary="?([^";]+)"?/.exec(contentType);
  if (!m?.[1]) return parts;
  const delimiter = Buffer.from(`--${m[1]}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // CRLF after the delimiter, CRLF before the next
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers = part.subarray(0, split).toString('utf8');
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      if (name !== undefined) parts.set(name, { headers, content: part.subarray(split + 4) });
    }
    pos = next;
  }
  return parts;
}

export class SimPlatformHttp extends EventEmitter {
  readonly events: SimRestEvent[] = [];
  readonly binaries = new Map<string, SimBinary>();
  /** Inventory binaries (software repository files, `GET /inventory/binaries/<id>`) by id. */
  readonly repository = new Map<string, { name: string; contentType: string; content: Buffer }>();
  private nextBinaryId = 90001;
  readonly requests: SimRequest[] = [];
  readonly remote: SimRemoteAccess;
  private readonly server: http.Server;
  private readonly maxBinaryBytes: number;
  private readonly scheme: 'http' | 'https';
  private nextEventId = 70001;

  private constructor(
    private readonly sim: CumulocitySimulator,
    opts: PlatformHttpOptions,
  ) {
    super();
    this.setMaxListeners(0);
    this.maxBinaryBytes = opts.maxBinaryBytes ?? 50 * 1024 * 1024;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
    this.scheme = opts.tls ? 'https' : 'http';
    this.remote = new SimRemoteAccess(
      sim,
      this.server,
      (authorization) => sim.checkAuthorization(authorization),
      (r) => this.record(r),
    );
    this.remote.on('change', () => this.emit('change'));
  }

  static async start(sim: CumulocitySimulator, opts: PlatformHttpOptions = {}): Promise<SimPlatformHttp> {
    const p = new SimPlatformHttp(sim, opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(0, '127.0.0.1', () => resolve());
    });
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The base URL to give the connection node (`httpUrl`). */
  url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /**
   * A file in the tenant's software repository, as an operator uploads it in Device Management;
   * returns the URL the platform puts into `528`/`515` operations.
   */
  addRepositoryBinary(name: string, content: Buffer, contentType = 'application/octet-stream'): string {
    const id = String(this.nextBinaryId++);
    this.repository.set(id, { name, contentType, content });
    return `${this.url()}/inventory/binaries/${id}`;
  }

  /** Passthrough endpoint (what `c8y remoteaccess server` gives a user): see SimRemoteAccess. */
  remoteAccessEndpoint(deviceId: string, hostname: string, port: number): Promise<SimRemoteEndpoint> {
    return this.remote.endpoint(deviceId, hostname, port);
  }

  get tunnels(): SimTunnel[] {
    return this.remote.tunnels;
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return waitForChange(this, predicate, timeoutMs, what);
  }

  async stop(): Promise<void> {
    await this.remote.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(r: SimRequest): void {
    this.requests.push(r);
    this.emit('change');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const reply = (status: number, body?: unknown, type = 'application/json'): void => {
      this.record({ method: req.method ?? '', path, status });
      if (body === undefined) {
        res.writeHead(status).end();
        return;
      }
      const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': data.length }).end(data);
    };
    if (!this.sim.checkAuthorization(req.headers.authorization)) {
      req.resume();
      res.setHeader('WWW-Authenticate', 'Basic realm="Cumulocity"');
      reply(401, { error: 'security/Unauthorized', message: 'Invalid credentials!' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBinaryBytes + 64 * 1024) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        reply(413, { error: 'binaries/tooLarge', message: 'file too large' });
        return;
      }
      this.route(req.method ?? '', path, req.headers['content-type'] ?? '', Buffer.concat(chunks), reply);
      this.emit('change');
    });
  }

  private route(
    method: string,
    path: string,
    contentType: string,
    body: Buffer,
    reply: (s: number, b?: unknown, t?: string) => void,
  ): void {
    const identity = /^\/identity\/externalIds\/c8y_Serial\/([^/]+)$/.exec(path);
    const binary = /^\/event\/events\/([^/]+)\/binaries$/.exec(path);
    const stored = /^\/inventory\/binaries\/([^/]+)$/.exec(path);
    if (method === 'GET' && identity?.[1]) {
      const externalId = decodeURIComponent(identity[1]);
      const d = this.sim.devices.get(externalId);
      if (!d)
        reply(404, {
          error: 'identity/Not Found',
          message: `External id not found; external id = ID [type=c8y_Serial, value=${externalId}]`,
        });
      else
        reply(200, { externalId, type: 'c8y_Serial', managedObject: { id: d.id, self: `${this.url()}/inventory/managedObjects/${d.id}` } });
    } else if (method === 'POST' && path === '/event/events') {
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        reply(422, { message: 'bad JSON' });
        return;
      }
      const source = (v['source'] as { id?: unknown } | undefined)?.id;
      const known = [...this.sim.devices.values()].some((d) => d.id === source);
      if (
        typeof source !== 'string' ||
        !known ||
        typeof v['type'] !== 'string' ||
        typeof v['text'] !== 'string' ||
        typeof v['time'] !== 'string'
      ) {
        reply(422, { message: 'source, type, text and time are required' });
        return;
      }
      const ev: SimRestEvent = { id: String(this.nextEventId++), source, type: v['type'], text: v['text'], time: v['time'] };
      this.events.push(ev);
      reply(201, { ...ev, source: { id: source }, self: `${this.url()}/event/events/${ev.id}` });
    } else if (method === 'POST' && binary?.[1]) {
      const eventId = decodeURIComponent(binary[1]);
      if (!this.events.some((e) => e.id === eventId)) reply(404, { message: 'event not found' });
      else if (this.binaries.has(eventId)) reply(409, { message: 'binary already attached' });
      else {
        const parts = parseMultipart(body, contentType);
        const file = parts.get('file');
        const object = parts.get('object');
        const meta = object ? (JSON.parse(object.content.toString('utf8')) as { name?: string; type?: string }) : {};
        const b: SimBinary = file
          ? { eventId, name: meta.name ?? 'file', contentType: meta.type ?? 'application/octet-stream', content: Buffer.from(file.content) }
          : { eventId, name: 'file', contentType: contentType || 'text/plain', content: body };
        this.binaries.set(eventId, b);
        reply(201, { c8y_IsBinary: { name: b.name, length: b.content.length, type: b.contentType }, id: eventId });
      }
    } else if (method === 'GET' && binary?.[1]) {
      const b = this.binaries.get(decodeURIComponent(binary[1]));
      if (b) reply(200, b.content, b.contentType);
      else reply(404, { message: 'no binary' });
    } else if (method === 'GET' && stored?.[1]) {
      const f = this.repository.get(decodeURIComponent(stored[1]));
      if (f) reply(200, f.content, f.contentType);
      else reply(404, { error: 'inventory/Not Found', message: `Finding binary with id ${stored[1]} failed` });
    } else reply(404, { message: `no route ${method} ${path}` });
  }
}
