/**
 * HTTP(S) download for software updates (software-update.md §3): TLS verified, redirects (≤ 5)
 * with the platform's Authorization only on URLs under its base URL, limits on size and disk,
 * connect/idle timeouts, retries with backoff, and resume of an interrupted download with
 * `Range` + `If-Range`. The SHA-256 is taken over the finished file, so a resumed download is
 * hashed exactly like one that never broke.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { readJson, removeFile, writeJsonAtomic } from '../../agent/state-store';
import { asAbort, redact, request, Retryable, type PlatformAuth } from './http-get';
import { UpdateError } from './interface';

export { isUnderBase, redact } from './http-get';

export interface DownloadOptions {
  maxBytes: number;
  connectTimeoutMs: number;
  /** No byte for this long: the attempt is a stall and is retried (resuming). */
  idleTimeoutMs: number;
  /** Delays before retry 1, 2, 3…; their count is the number of retries. */
  retryDelaysMs: readonly number[];
  maxRedirects: number;
  /** Plain http:// URLs are refused unless this is set. */
  allowHttp: boolean;
  /** Extra trusted CA certificates (PEM); the system's stay trusted. */
  ca?: string | undefined;
  /** The platform's base URL and the device's Authorization header for URLs under it. */
  auth?: PlatformAuth | undefined;
  /** Bytes the download may still occupy on disk; checked before and while writing. */
  diskBudget?: (() => number) | undefined;
  onProgress?: ((bytes: number, total: number | undefined) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_DOWNLOAD: Omit<DownloadOptions, 'allowHttp'> = {
  maxBytes: 256 * 1024 * 1024,
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  retryDelaysMs: [1000, 4000, 16000],
  maxRedirects: 5,
};

export interface Downloaded {
  file: string;
  bytes: number;
  sha256: Buffer;
}

/** What is known about a partial download, kept beside it so a later attempt (or process) can resume. */
interface Sidecar {
  url: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
  total?: number | undefined;
  complete?: boolean | undefined;
}

/** Downloads `url` to `dest` (via `dest.part`); resumes a `.part` left by an earlier attempt or process. */
export async function download(url: string, dest: string, opts: DownloadOptions): Promise<Downloaded> {
  const meta = `${dest}.json`;
  const part = `${dest}.part`;
  const known = readJson(meta) as Sidecar | undefined;
  if (known?.complete && known.url === url && fs.existsSync(dest)) {
    const sha256 = await hashFile(dest, opts.signal);
    return { file: dest, bytes: fs.statSync(dest).size, sha256 };
  }
  let side: Sidecar = known?.url === url ? known : { url };
  if (known?.url !== url) removeFile(part);
  const delays = opts.retryDelaysMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const bytes = await attemptDownload(url, part, side, opts, (s) => {
        side = s;
        writeJsonAtomic(meta, s);
      });
      await fsyncFile(part);
      fs.renameSync(part, dest);
      writeJsonAtomic(meta, { ...side, complete: true });
      const sha256 = await hashFile(dest, opts.signal);
      return { file: dest, bytes, sha256 };
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      const delay = delays[attempt];
      if (delay === undefined) {
        throw new UpdateError('E_DOWNLOAD', `${err.message} (gave up after ${attempt + 1} attempts)`, { cause: err });
      }
      await sleep(Math.max(delay, err.retryAfterMs ?? 0), opts.signal);
    }
  }
}

/** One request; appends to `part` from its current size. Resolves with the complete size. */
async function attemptDownload(
  url: string,
  part: string,
  side: Sidecar,
  opts: DownloadOptions,
  save: (s: Sidecar) => void,
): Promise<number> {
  let offset = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const validator = side.etag ?? side.lastModified;
  if (offset > 0 && validator === undefined) {
    // Without an ETag or Last-Modified we cannot tell whether the file changed: start again.
    fs.truncateSync(part, 0);
    offset = 0;
  }
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0 && validator !== undefined) {
    headers['range'] = `bytes=${offset}-`;
    headers['if-range'] = validator;
  }
  const res = await request(new URL(url), headers, opts, opts.maxRedirects);
  const status = res.statusCode ?? 0;
  if (status === 200 && offset > 0) {
    // The server ignored the range (or the file changed): start from 0.
    fs.truncateSync(part, 0);
    offset = 0;
  } else if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== offset) {
      res.resume();
      fs.truncateSync(part, 0);
      side.etag = undefined;
      side.lastModified = undefined;
      throw new Retryable('the server answered a range other than the one asked for');
    }
  } else if (status === 416 && offset > 0) {
    res.resume();
    fs.truncateSync(part, 0);
    throw new Retryable('the server refused to resume');
  } else if (status !== 200) {
    res.resume();
    const retryAfter = Number(res.headers['retry-after']);
    const after = Number.isFinite(retryAfter) ? Math.min(retryAfter, 60) * 1000 : undefined;
    if (status >= 500 || status === 408 || status === 429) throw new Retryable(`HTTP ${status}`, after);
    throw new UpdateError('E_DOWNLOAD', `HTTP ${status} for ${redact(url)}`);
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) && res.headers['content-length'] !== undefined ? offset + length : undefined;
  checkLimits(total ?? offset, total !== undefined ? total - offset : 0, opts, res);
  // If-Range needs a strong validator; a weak ETag is useless for resuming.
  const etag = typeof res.headers.etag === 'string' && !res.headers.etag.startsWith('W/') ? res.headers.etag : undefined;
  const resumed = status === 206;
  const next: Sidecar = {
    url: side.url,
    etag: etag ?? (resumed ? side.etag : undefined),
    lastModified: res.headers['last-modified'] ?? (resumed ? side.lastModified : undefined),
    total,
  };
  save(next);
  const fh = await fs.promises.open(part, 'a', 0o600);
  let bytes = offset;
  const budget = opts.diskBudget?.() ?? Infinity;
  let written = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      written += chunk.length;
      if (bytes > opts.maxBytes) throw sizeError(bytes, opts.maxBytes);
      if (written > budget) throw new UpdateError('E_DISK', `the download does not fit into the free disk space`);
      await fh.write(chunk);
      opts.onProgress?.(bytes, total);
    }
  } catch (err) {
    res.destroy();
    if (err instanceof UpdateError) throw err;
    if (opts.signal?.aborted) throw asAbort(opts.signal);
    throw new Retryable(`download interrupted after ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await fh.close();
  }
  if (!res.complete || (total !== undefined && bytes !== total)) {
    throw new Retryable(`download truncated at ${bytes} of ${total ?? 'unknown'} bytes`);
  }
  return bytes;
}

function checkLimits(total: number, remaining: number, opts: DownloadOptions, res: http.IncomingMessage): void {
  if (total > opts.maxBytes) {
    res.destroy();
    throw sizeError(total, opts.maxBytes);
  }
  const budget = opts.diskBudget?.();
  if (budget !== undefined && remaining > budget) {
    res.destroy();
    throw new UpdateError('E_DISK', `the download (${remaining} bytes) does not fit into the free disk space`);
  }
}

function sizeError(bytes: number, max: number): UpdateError {
  return new UpdateError('E_SIZE', `the download is larger than the limit of ${max} bytes (${bytes} bytes)`);
}

async function hashFile(file: string, signal?: AbortSignal): Promise<Buffer> {
  const h: Hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { signal }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest();
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(asAbort(signal));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(asAbort(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
