// The simulator's Cloud Remote Access (issue 11): a passthrough endpoint per test, like the one
// `c8y remoteaccess server` opens for a user. Every TCP connection to it creates one
// c8y_RemoteAccessConnect (530) with a fresh connection key; the device answers by opening
// ws://…/service/remoteaccess/device/<key> (subprotocol "binary", Basic auth), and the simulator
// pumps bytes between the user's socket and that WebSocket with back-pressure both ways.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { SimRequest } from './platform-http';
import type { CumulocitySimulator } from './simulator';

export interface SimTunnel {
  key: string;
  operationId: string;
  deviceId: string;
  target: string;
  state: 'waiting' | 'open' | 'closed';
  toDevice: number; // bytes the user sent into the tunnel
  fromDevice: number; // bytes the device sent back
  closeCode?: number; // close code the device sent, 1006 when its connection dropped
}

export interface SimRemoteEndpoint {
  port: number;
  close(): Promise<void>;
}

interface Pending {
  tunnel: SimTunnel;
  user: net.Socket;
}

const HWM = 1024 * 1024;

export class SimRemoteAccess extends EventEmitter {
  readonly tunnels: SimTunnel[] = [];
  /** Test hook: answer every device upgrade with this HTTP status. */
  rejectUpgrades: number | undefined;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 16 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
  private readonly waiting = new Map<string, Pending>();
  private readonly live = new Set<WebSocket>();
  private readonly endpoints = new Set<net.Server>();
  private readonly users = new Set<net.Socket>();

  constructor(
    private readonly sim: CumulocitySimulator,
    server: http.Server,
    /** The upgrade's Authorization header: Basic or Bearer (SimPlatformHttp passes the simulator's check). */
    private readonly check: (authorization: string | undefined) => boolean,
    private readonly record: (r: SimRequest) => void,
  ) {
    super();
    this.setMaxListeners(0);
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** A local port; each connection to it asks the device for a tunnel to hostname:port. */
  async endpoint(deviceId: string, hostname: string, port: number): Promise<SimRemoteEndpoint> {
    const server = net.createServer((user) => this.userConnected(user, deviceId, hostname, port));
    this.endpoints.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port: local } = server.address() as net.AddressInfo;
    return {
      port: local,
      close: () => {
        this.endpoints.delete(server);
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Cut every device WebSocket without a close frame, as a network drop would. */
  dropDevices(): void {
    for (const ws of this.live) ws.terminate();
  }

  /** Stop reading from every device WebSocket (no data, no pongs), as a hung platform would. */
  freezeDevices(): void {
    for (const ws of this.live) ws.pause();
  }

  async close(): Promise<void> {
    for (const ws of this.live) ws.terminate();
    for (const u of this.users) u.destroy();
    await Promise.all([...this.endpoints].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.endpoints.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private userConnected(user: net.Socket, deviceId: string, hostname: string, port: number): void {
    user.pause(); // nothing is read before the device is there
    this.users.add(user);
    const key = randomUUID();
    const tunnel: SimTunnel = {
      key,
      operationId: '',
      deviceId,
      target: `${hostname}:${port}`,
      state: 'waiting',
      toDevice: 0,
      fromDevice: 0,
    };
    this.tunnels.push(tunnel);
    this.waiting.set(key, { tunnel, user });
    const onChange = (): void => {
      const op = this.sim.operation(tunnel.operationId);
      if (tunnel.state !== 'waiting') this.sim.off('change', onChange);
      else if (op?.status === 'FAILED') {
        this.sim.off('change', onChange);
        this.endTunnel(tunnel);
        user.destroy();
      }
    };
    user.on('error', () => undefined);
    user.on('close', () => {
      this.users.delete(user);
      this.sim.off('change', onChange);
      if (tunnel.state === 'waiting') this.endTunnel(tunnel);
    });
    this.sim.on('change', onChange);
    tunnel.operationId = this.sim.createOperation(
      deviceId,
      'c8y_RemoteAccessConnect',
      { hostname, port, connectionKey: key },
      'Remote access',
    );
    this.emit('change');
  }

  private endTunnel(t: SimTunnel): void {
    this.waiting.delete(t.key);
    t.state = 'closed';
    this.emit('change');
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const m = /^\/service\/remoteaccess\/device\/([^/?]+)$/.exec(req.url ?? '');
    const refuse = (status: number, text: string): void => {
      this.record({ method: 'GET', path: m ? '/service/remoteaccess/device/<key>' : (req.url ?? ''), status });
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!m?.[1]) return refuse(404, 'Not Found');
    if (this.rejectUpgrades !== undefined) return refuse(this.rejectUpgrades, 'Refused');
    if (!this.check(req.headers.authorization)) return refuse(401, 'Unauthorized');
    const pending = this.waiting.get(decodeURIComponent(m[1]));
    if (!pending) return refuse(404, 'Not Found');
    this.waiting.delete(pending.tunnel.key);
    this.record({ method: 'GET', path: '/service/remoteaccess/device/<key>', status: 101 });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.pair(pending, ws));
  }

  private pair({ tunnel, user }: Pending, ws: WebSocket): void {
    this.live.add(ws);
    tunnel.state = 'open';
    this.emit('change');
    const afterSend = (err?: Error): void => {
      if (!err && user.isPaused() && ws.bufferedAmount <= HWM / 2) user.resume();
    };
    user.on('data', (c: Buffer) => {
      tunnel.toDevice += c.length;
      ws.send(c, { binary: true }, afterSend);
      if (ws.bufferedAmount > HWM) user.pause();
    });
    ws.on('message', (data: RawData) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      tunnel.fromDevice += buf.length;
      if (!user.write(buf)) ws.pause();
    });
    user.on('drain', () => ws.resume());
    user.on('end', () => ws.close(1000, 'user closed'));
    user.on('close', () => {
      if (ws.readyState === ws.OPEN) ws.close(1000, 'user closed');
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => {
      this.live.delete(ws);
      tunnel.closeCode = code;
      tunnel.state = 'closed';
      user.end();
      this.emit('change');
    });
    user.resume();
  }
}
