/**
 * A download server on 127.0.0.1 for the software-update tests, with the faults they need:
 * error statuses, truncation, stalls, ignored ranges, redirects, oversize bodies; it records every
 * request (path and headers) so tests can assert on Range and Authorization.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Route {
  body: Buffer;
  etag?: string;
  /** Answer this status (with a short body) the first `times` requests, then serve normally. */
  status?: { code: number; times: number };
  /** Close the connection after this many body bytes, for the first `times` requests. */
  truncate?: { after: number; times: number };
  /** Send this many body bytes, then go silent, for the first `times` requests. */
  stall?: { after: number; times: number };
  /** Answer 200 with the whole body even when a range is asked for. */
  ignoreRange?: boolean;
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
  /** Redirect to this URL instead. */
  redirect?: string;
}

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface FileServer {
  readonly base: string;
  url(p: string): string;
  set(p: string, r: Route): void;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export async function fileServer(tls?: { key: string; cert: string }): Promise<FileServer> {
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const requests: SeenRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path: p, headers: req.headers });
    const n = (counts.get(p) ?? 0) + 1;
    counts.set(p, n);
    const r = routes.get(p);
    if (!r) {
      res.writeHead(404).end('not found');
      return;
    }
    if (r.redirect) {
      res.writeHead(302, { location: r.redirect }).end();
      return;
    }
    if (r.status && n <= r.status.times) {
      res.writeHead(r.status.code).end(`status ${r.status.code}`);
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(String(req.headers['range'] ?? ''));
    const ifRange = req.headers['if-range'];
    const headers: http.OutgoingHttpHeaders = {};
    if (r.etag) headers['etag'] = r.etag;
    if (m && !r.ignoreRange && (ifRange === undefined || ifRange === r.etag)) {
      start = Number(m[1]);
      headers['content-range'] = `bytes ${start}-${r.body.length - 1}/${r.body.length}`;
    }
    const body = r.body.subarray(start);
    if (!r.chunked) headers['content-length'] = body.length;
    res.writeHead(start > 0 ? 206 : 200, headers);
    const cut = r.truncate && n <= r.truncate.times ? r.truncate.after : undefined;
    const stall = r.stall && n <= r.stall.times ? r.stall.after : undefined;
    if (cut !== undefined) {
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    if (stall !== undefined) {
      res.write(body.subarray(0, stall)); // and nothing more: the client must time out
      return;
    }
    res.end(body);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    base,
    url: (p) => `${base}${p}`,
    set: (p, r) => routes.set(p, r),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
