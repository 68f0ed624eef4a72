// Loopback TCP and TLS listeners that can be closed and reopened on the same ports (outages).
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface TlsOptions {
  key: string;
  cert: string;
  ca?: string;
  requestCert?: boolean;
}

const HOST = '127.0.0.1';

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/** One plain and optionally one TLS server feeding accepted sockets to `handle`. */
export class Listeners {
  port = 0;
  tlsPort: number | undefined;
  private readonly plain: net.Server;
  private readonly secure: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(handle: (socket: net.Socket) => void, tlsOptions?: TlsOptions) {
    // Raw sockets are tracked from 'connection' so that even a TLS handshake in progress is cut.
    const track = (socket: net.Socket): void => {
      socket.setNoDelay(true); // a real platform answers without Nagle delays
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    this.plain = net.createServer(handle);
    this.plain.on('connection', track);
    if (tlsOptions) {
      // rejectUnauthorized false: a bad client certificate must reach MQTT and be answered with
      // CONNACK 5 (§1.1), not die in the TLS handshake. `authorized` still tells the truth.
      this.secure = tls.createServer(
        {
          key: tlsOptions.key,
          cert: tlsOptions.cert,
          ...(tlsOptions.ca === undefined ? {} : { ca: tlsOptions.ca }),
          requestCert: tlsOptions.requestCert ?? true,
          rejectUnauthorized: false,
        },
        handle,
      );
      this.secure.on('connection', track);
    }
  }

  /** Listen on the ports already chosen, or on random ones the first time. */
  async open(): Promise<void> {
    this.port = await listen(this.plain, this.port);
    if (this.secure) this.tlsPort = await listen(this.secure, this.tlsPort ?? 0);
  }

  /** Stop listening and cut every open connection, as a network outage would. */
  async shut(): Promise<void> {
    const closing = [close(this.plain), ...(this.secure ? [close(this.secure)] : [])];
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
  }
}
