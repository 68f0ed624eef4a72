/**
 * An HTTP agent that reaches its target through an HTTP(S) proxy's CONNECT tunnel, for MQTT over
 * WebSocket (mqtt.js → ws → https.request) and for HTTPS file transfers. TLS to the target runs
 * inside the tunnel with the caller's CA and verification settings, so the proxy sees only the
 * host name and port. No dependency: the proxy protocol is one request line and one status line.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

interface ConnectOptions {
  host?: string | null | undefined;
  hostname?: string | null | undefined;
  port?: number | string | null | undefined;
  servername?: string | undefined;
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  rejectUnauthorized?: boolean | undefined;
  timeout?: number | undefined;
}

/** Opens a CONNECT tunnel to `host:port` through `proxy`; resolves with the raw socket. */
function connectTunnel(proxy: URL, host: string, port: number, timeoutMs = 15_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
    const socket: net.Socket =
      proxy.protocol === 'https:'
        ? tls.connect({ host: proxy.hostname, port: proxyPort, servername: proxy.hostname })
        : net.connect({ host: proxy.hostname, port: proxyPort });
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`proxy ${proxy.host} did not open a tunnel within ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
    };
    function fail(err: Error): void {
      cleanup();
      socket.destroy();
      reject(err);
    }
    const onClose = (): void => fail(new Error(`proxy ${proxy.host} closed the connection before the tunnel was open`));
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16_384) fail(new Error('proxy answer header too long'));
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (status?.[1] !== '200') {
        fail(
          new Error(`proxy ${proxy.host} refused the tunnel to ${target}: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`),
        );
        return;
      }
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
    if (proxy.username) {
      const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      lines.push(`Proxy-Authorization: Basic ${Buffer.from(cred).toString('base64')}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** An http.Agent whose every connection is a CONNECT tunnel (TLS to the target when `secure`). */
export class TunnelAgent extends http.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly secure: boolean,
  ) {
    super({ keepAlive: false });
    // https.request checks that its agent speaks its protocol.
    (this as unknown as { protocol: string }).protocol = secure ? 'https:' : 'http:';
  }

  /** Node's Agent accepts a socket later through the callback (createConnection returns nothing). */
  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const cb = callback ?? ((): void => undefined);
    const o = options as ConnectOptions;
    const host = String(o.hostname ?? o.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(o.port) || (this.secure ? 443 : 80);
    connectTunnel(this.proxy, host, port).then(
      (raw) => {
        if (!this.secure) {
          cb(null, raw);
          return;
        }
        // `host` for the certificate's name check (tls.connect would check "localhost" without it); SNI only for names.
        const name = o.servername || host;
        const opts: tls.ConnectionOptions = { socket: raw, host };
        if (!net.isIP(name)) opts.servername = name;
        if (o.ca !== undefined) opts.ca = o.ca;
        if (o.rejectUnauthorized !== undefined) opts.rejectUnauthorized = o.rejectUnauthorized;
        const secured = tls.connect(opts);
        cb(null, secured);
      },
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}
