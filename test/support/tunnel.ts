/** Local TCP targets and traffic for remote-access tests: an echo server, a refused port, byte pushing. */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';

export interface EchoServer {
  port: number;
  /** Sockets currently connected to the server. */
  open: Set<net.Socket>;
  close(): Promise<void>;
}

/** Echoes every byte back, with back-pressure (pipe). */
export async function echoServer(): Promise<EchoServer> {
  const open = new Set<net.Socket>();
  const server = net.createServer((s) => {
    open.add(s);
    s.on('error', () => undefined);
    s.on('close', () => open.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Resolves when the socket closed (at once if it already has). */
export function closedSocket(s: net.Socket, timeoutMs = 10_000): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Writes `data` in 64 KiB pieces (waiting for 'drain') and reads until as many bytes came back.
 * Returns what came back and how long the round trip took.
 */
export function roundTrip(s: net.Socket, data: Buffer, timeoutMs = 120_000): Promise<{ received: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let got = 0;
    const t = setTimeout(() => finish(new Error(`only ${got} of ${data.length} bytes came back within ${timeoutMs} ms`)), timeoutMs);
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= data.length) finish();
    };
    const onClose = (): void => finish(new Error(`socket closed after ${got} of ${data.length} bytes`));
    function finish(err?: Error): void {
      clearTimeout(t);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve({ received: Buffer.concat(chunks), ms: Date.now() - started });
    }
    s.on('data', onData);
    s.once('close', onClose);
    let off = 0;
    const write = (): void => {
      while (off < data.length) {
        const piece = data.subarray(off, off + 65536);
        off += piece.length;
        if (!s.write(piece)) {
          s.once('drain', write);
          return;
        }
      }
    };
    write();
  });
}

export const randomData = (bytes: number): Buffer => randomBytes(bytes);

/** MB/s (10^6 bytes) for `bytes` moved in `ms`. */
export const mbps = (bytes: number, ms: number): number => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
