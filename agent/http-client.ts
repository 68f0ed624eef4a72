/**
 * A small HTTP(S) client for the platform's REST side-calls (cumulocity.md §4.2): one request,
 * a timeout for the whole exchange, a bounded response body, and no redirects — credentials go
 * only to the platform URL they were configured for.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string | undefined;
  timeoutMs: number;
  /** Larger response bodies are cut at this size (the status still counts). */
  maxResponseBytes: number;
  /** TLS trust for https (default: the system's CAs, server verified). */
  tls?: { ca?: string; rejectUnauthorized: boolean } | undefined;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Resolves with any HTTP status; rejects on network errors and on the timeout, naming the request. */
export function httpRequest(r: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      reject(new Error('invalid URL'));
      return;
    }
    const what = `${r.method} ${url.pathname}`;
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
    const headers: Record<string, string> = { ...r.headers };
    if (body) headers['Content-Length'] = String(body.length);
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!lib) {
      reject(new Error(`${what}: unsupported protocol ${url.protocol}`));
      return;
    }
    let done = false;
    const finish = (err: Error | undefined, res?: HttpResponse): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else if (res) resolve(res);
    };
    const req = lib.request(url, { method: r.method, headers, ...(url.protocol === 'https:' ? r.tls : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size >= r.maxResponseBytes) return;
        const part = c.subarray(0, r.maxResponseBytes - size);
        chunks.push(part);
        size += part.length;
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err: Error) => finish(new Error(`${what}: ${err.message}`)));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`${what}: no answer within ${Math.round(r.timeoutMs / 1000)} s`));
    }, r.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(new Error(`${what}: ${err.code ?? err.message}`)));
    req.end(body);
  });
}

/** The JSON object of a response body, or undefined. */
export function jsonBody(res: HttpResponse): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(res.body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
