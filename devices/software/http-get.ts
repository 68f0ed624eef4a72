/**
 * One HTTP(S) GET for downloads: redirects (the caller's limit), the platform's Authorization only
 * on URLs under its base URL — checked again for every redirect target — connect and idle
 * timeouts, and errors sorted into retryable ones and final ones (TLS, bad scheme, too many
 * redirects).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { UpdateError } from './interface';

/** The platform's HTTP side: its Authorization and TLS trust apply to URLs under its base URL. */
export interface PlatformAuth {
  baseUrl: string;
  authorization: string;
  ca?: string | undefined;
  verifyServer?: boolean | undefined;
}

/** What a request needs of the download options. */
export interface GetOptions {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxRedirects: number;
  allowHttp: boolean;
  ca?: string | undefined;
  auth?: PlatformAuth | undefined;
  signal?: AbortSignal | undefined;
}

/** A failed attempt that another attempt may fix (network error, 5xx, 408/429, truncation, stall). */
export class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** True when `url` is the platform's base URL or below it (same scheme, host, port and path prefix). */
export function isUnderBase(url: URL, baseUrl: string): boolean {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return false;
  }
  if (url.origin !== base.origin) return false;
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return prefix === '/' || url.pathname === base.pathname || url.pathname.startsWith(prefix);
}

/** GET with redirects; the Authorization header goes only to URLs under the platform's base URL. */
export function request(url: URL, headers: Record<string, string>, opts: GetOptions, redirects: number): Promise<http.IncomingMessage> {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.allowHttp)) {
    const why = url.protocol === 'http:' ? 'plain http is not allowed (node setting)' : `unsupported scheme ${url.protocol}`;
    return Promise.reject(new UpdateError('E_DOWNLOAD', `${why}: ${redact(url.href)}`));
  }
  const h: Record<string, string> = { ...headers, 'user-agent': 'node-red-contrib-device-agent' };
  const platform = opts.auth && isUnderBase(url, opts.auth.baseUrl) ? opts.auth : undefined;
  if (platform) h['authorization'] = platform.authorization;
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const options: https.RequestOptions = { method: 'GET', headers: h, signal: opts.signal };
    // The node's own CA file wins; a platform URL otherwise trusts what the connection trusts.
    const ca = opts.ca ?? platform?.ca;
    if (ca) options.ca = ca;
    if (platform?.verifyServer === false && !opts.ca) options.rejectUnauthorized = false;
    let response: http.IncomingMessage | undefined;
    const req = mod.request(url, options, (res) => {
      response = res;
      clearTimeout(connectTimer);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && status !== 304 && location) {
        res.resume();
        if (redirects <= 0) {
          reject(new UpdateError('E_DOWNLOAD', `too many redirects (over ${opts.maxRedirects})`));
          return;
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          reject(new UpdateError('E_DOWNLOAD', 'redirect to an invalid URL'));
          return;
        }
        request(next, headers, opts, redirects - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    const connectTimer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    req.setTimeout(opts.idleTimeoutMs, () => {
      const stalled = new Error(`stalled: no data for ${opts.idleTimeoutMs} ms`);
      // Destroying the response makes the body loop end with this reason rather than "aborted".
      if (response) response.destroy(stalled);
      req.destroy(stalled);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (opts.signal?.aborted) reject(asAbort(opts.signal));
      else if (isTlsError(err)) reject(new UpdateError('E_DOWNLOAD', `TLS: ${err.message}`, { cause: err }));
      else reject(new Retryable(err.message));
    });
    req.end();
  });
}

function isTlsError(err: NodeJS.ErrnoException): boolean {
  const c = err.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME/.test(c);
}

export function asAbort(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new UpdateError('E_TIMEOUT', 'the update did not finish within its deadline');
}

/** A URL for messages: no user info, no query (pre-signed URLs carry secrets there), no fragment. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
