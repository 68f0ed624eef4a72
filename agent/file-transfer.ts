/**
 * File transfer between the platform's file store and the allowed directories of this device
 * (helix-device-cloud.md §6, §13, §14): downloads stream into a `.part` file next to the target,
 * resume a short body with `Range`, check size limit and CRC-32, and are renamed only when whole
 * and correct; a transfer that stalls is abandoned. Uploads read only inside the allowed
 * directories (symlinks resolved), within the size limit. Results carry the HDC status code.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { crc32, resolveInside, STATUS } from '../dialects/hdc';
import { TunnelAgent } from '../transport/http-proxy';
import type { FileStore } from './platform';

export interface TransferLimits {
  allowedDirs: string[];
  maxBytes: number;
  /** No byte for this long ends the transfer. */
  stallMs: number;
  /** Resumes of a short download before it fails. */
  maxResumes: number;
}

/** A refused or failed transfer, with the HDC status code for the answer. */
export class TransferError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The real path must still be inside an allowed directory (a symlink must not lead out). */
function checkReal(allowed: readonly string[], p: string): void {
  const real = fs.realpathSync(p);
  const roots = allowed.map((a) => {
    try {
      return fs.realpathSync(a);
    } catch {
      return path.resolve(a);
    }
  });
  if (!roots.some((r) => real === r || real.startsWith(r + path.sep)))
    throw new TransferError(STATUS.NO_PERMISSION, `${p} leads outside the allowed directories`);
}

export function resolveTarget(limits: TransferLimits, name: string, dir?: string): string {
  const r = resolveInside(limits.allowedDirs, name, dir);
  if (!r.ok) throw new TransferError(STATUS.NO_PERMISSION, r.error);
  return r.value;
}

function agentFor(store: FileStore): https.Agent | TunnelAgent | undefined {
  return store.proxy ? new TunnelAgent(new URL(store.proxy), true) : undefined;
}

function get(store: FileStore, url: string, from: number, stallMs: number, onData: (b: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const agent = agentFor(store);
    const req = https.get(
      url,
      {
        ...(agent ? { agent } : {}),
        ca: store.tls.ca,
        rejectUnauthorized: store.tls.verifyServer,
        headers: from > 0 ? { range: `bytes=${from}-` } : {},
        timeout: stallMs,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200 && status !== 206) {
          res.resume();
          reject(new TransferError(STATUS.IO_ERROR, `file service answered HTTP ${status}`));
          return;
        }
        res.setTimeout(stallMs, () =>
          res.destroy(new TransferError(STATUS.TIMED_OUT, `transfer stalled: nothing from the file service for ${stallMs} ms`)),
        );
        res.on('data', onData);
        res.on('end', () => resolve(status));
        res.on('error', (e) => reject(e));
        // A body cut short (the server closed mid-way): a plain error, so a known size resumes.
        res.on('close', () => {
          if (!res.complete) reject(new Error('the file service closed the connection before the end'));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new TransferError(STATUS.TIMED_OUT, `transfer stalled: nothing from the file service for ${stallMs} ms`)),
    );
    req.on('error', reject);
  });
}

/** Downloads `name` from the store to `target` (already confined); resolves with size and CRC. */
export async function download(
  store: FileStore,
  limits: TransferLimits,
  name: string,
  target: string,
  global: boolean,
): Promise<{ bytes: number; crc32: number }> {
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  checkReal(limits.allowedDirs, dir);
  const info = await store.prepareDownload(name, global);
  if (info.size !== undefined && info.size > limits.maxBytes)
    throw new TransferError(STATUS.FULL, `${name} has ${info.size} bytes, more than the limit of ${limits.maxBytes}`);
  const part = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.part`);
  const fd = fs.openSync(part, 'wx', 0o600);
  let bytes = 0;
  let crc = 0;
  let over = false;
  try {
    for (let attempt = 0; ; attempt += 1) {
      let failure: Error | undefined;
      await get(store, info.url, bytes, limits.stallMs, (chunk) => {
        if (over) return;
        if (bytes + chunk.length > limits.maxBytes) {
          over = true;
          return;
        }
        fs.writeSync(fd, chunk);
        crc = crc32(chunk, crc);
        bytes += chunk.length;
      }).catch((e: unknown) => {
        failure = e instanceof Error ? e : new Error(String(e));
      });
      if (over) throw new TransferError(STATUS.FULL, `${name} is larger than the limit of ${limits.maxBytes} bytes`);
      // HTTP errors and stalls end the transfer (the platform may ask again); a cut body resumes.
      if (failure instanceof TransferError) throw failure;
      if (failure && info.size === undefined) throw failure;
      const short = info.size !== undefined && bytes < info.size;
      if (!short && !failure) break;
      if (attempt >= limits.maxResumes)
        throw new TransferError(STATUS.IO_ERROR, `${name}: only ${bytes} of ${info.size ?? '?'} bytes after ${attempt + 1} tries`);
    }
    if (info.size !== undefined && bytes !== info.size)
      throw new TransferError(STATUS.IO_ERROR, `${name}: ${bytes} bytes, expected ${info.size}`);
    if (info.crc32 !== undefined && info.crc32 !== crc)
      throw new TransferError(STATUS.FAILURE, `${name}: CRC-32 ${crc} does not match ${info.crc32}; the file was not kept`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(part, target);
    return { bytes, crc32: crc };
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(part, { force: true });
    throw err;
  }
}

/** Uploads `source` (already confined) as `name`; resolves with size and CRC. */
export async function upload(
  store: FileStore,
  limits: TransferLimits,
  name: string,
  source: string,
  global: boolean,
): Promise<{ bytes: number; crc32: number }> {
  let st: fs.Stats;
  try {
    checkReal(limits.allowedDirs, source);
    st = fs.statSync(source);
  } catch (err) {
    if (err instanceof TransferError) throw err;
    throw new TransferError(STATUS.NOT_FOUND, `${path.basename(source)} does not exist`);
  }
  if (!st.isFile()) throw new TransferError(STATUS.BAD_PARAMETER, `${path.basename(source)} is not a file`);
  if (st.size > limits.maxBytes)
    throw new TransferError(STATUS.FULL, `${name} has ${st.size} bytes, more than the limit of ${limits.maxBytes}`);
  const data = fs.readFileSync(source);
  const crc = crc32(data);
  const target = await store.prepareUpload(name, crc, global);
  await new Promise<void>((resolve, reject) => {
    const agent = agentFor(store);
    const req = https.request(
      target.url,
      {
        method: 'POST',
        ...(agent ? { agent } : {}),
        ca: store.tls.ca,
        rejectUnauthorized: store.tls.verifyServer,
        headers: { 'content-type': 'application/octet-stream', 'content-length': data.length },
        timeout: limits.stallMs,
      },
      (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new TransferError(STATUS.IO_ERROR, `file service answered HTTP ${res.statusCode ?? 0}`));
      },
    );
    req.on('timeout', () => req.destroy(new TransferError(STATUS.TIMED_OUT, `upload stalled for ${limits.stallMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
  return { bytes: data.length, crc32: crc };
}
