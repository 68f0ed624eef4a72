// The local MQTT broker pyaiot nodes and gateways share (upstream: RSMB on 1886), as aedes on a
// loopback port. It records every publish with its QoS and retain flag so tests can hold both
// sides to pyaiot.md §2 (QoS 1, never retained).
import * as net from 'node:net';
import Aedes from 'aedes';

export interface Seen {
  clientId: string;
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  at: number;
}

export class PyaiotBroker {
  readonly seen: Seen[] = [];
  readonly clients = new Set<string>();
  port = 0;
  private readonly aedes: Aedes;
  private readonly server: net.Server;

  private constructor() {
    this.aedes = new Aedes();
    this.aedes.on('publish', (packet, client) => {
      if (!client) return; // $SYS and will messages of the broker itself
      this.seen.push({
        clientId: client.id,
        topic: packet.topic,
        payload: Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        at: Date.now(),
      });
    });
    this.aedes.on('client', (c) => this.clients.add(c.id));
    this.aedes.on('clientDisconnect', (c) => this.clients.delete(c.id));
    this.server = net.createServer((socket) => this.aedes.handle(socket));
  }

  static async start(port = 0): Promise<PyaiotBroker> {
    const b = new PyaiotBroker();
    await new Promise<void>((resolve, reject) => {
      b.server.once('error', reject);
      b.server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = b.server.address();
    b.port = typeof addr === 'object' && addr ? addr.port : port;
    return b;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Publishes seen on `topic` (exact), oldest first. */
  on(topic: string): Seen[] {
    return this.seen.filter((s) => s.topic === topic);
  }

  /** Drops a client's connection, as a network failure would (no DISCONNECT). */
  kick(clientId: string): boolean {
    const c = (this.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } } | undefined> }).clients[clientId];
    if (!c) return false;
    c.conn.destroy();
    return true;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
