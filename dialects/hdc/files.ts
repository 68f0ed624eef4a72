/**
 * File transfer rules of HDC (helix-device-cloud.md §6, §13): CRC-32 as an unsigned decimal,
 * the reply of `file.get`, and where a cloud-given file name may land — only inside the allowed
 * directories, never through `..`, an absolute path elsewhere, or a NUL. Pure (path arithmetic only).
 */
import * as path from 'node:path';
import { fail, ok, type Result } from '../types';
import { hasControl, type CommandResult } from './envelope';

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continues a zlib CRC-32 over `data` (start with 0); unsigned. */
export function crc32(data: Uint8Array, prev = 0): number {
  let c = (prev ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i += 1) c = (TABLE[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The `crc32` of a `file.get` reply, a number or a decimal string; null/absent = no check. */
export function parseCrc(v: unknown): Result<number | undefined> {
  if (v === null || v === undefined || v === '') return ok(undefined);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    return fail(`crc32 "${JSON.stringify(v).slice(0, 20)}" is not an unsigned 32-bit number`);
  return ok(n);
}

export interface FileInfo {
  fileId: string;
  fileSize: number | undefined;
  crc32: number | undefined;
}

/** The `file.get` result: id, size, checksum. */
export function decodeFileGet(r: CommandResult): Result<FileInfo> {
  if (!r.success) return fail('file.get failed');
  const id = r.params['fileId'];
  if (typeof id !== 'string' || !/^[\w.-]{1,128}$/.test(id)) return fail('file.get reply has no usable fileId');
  const size = r.params['fileSize'];
  if (size !== undefined && size !== null && !(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0))
    return fail('file.get reply has a bad fileSize');
  const crc = parseCrc(r.params['crc32']);
  if (!crc.ok) return crc;
  return ok({ fileId: id, fileSize: typeof size === 'number' ? size : undefined, crc32: crc.value });
}

export function decodeFilePut(r: CommandResult): Result<string> {
  if (!r.success) return fail('file.put failed');
  const id = r.params['fileId'];
  if (typeof id !== 'string' || !/^[\w.-]{1,128}$/.test(id)) return fail('file.put reply has no usable fileId');
  return ok(id);
}

/** A cloud file name: one plain name, no directories, nothing hidden behind control characters. */
export function checkFileName(name: unknown): Result<string> {
  if (typeof name !== 'string' || name.trim() === '') return fail('file name is missing');
  if (name.length > 255) return fail('file name is longer than 255 characters');
  if (hasControl(name)) return fail('file name contains control characters');
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..')
    return fail(`file name "${name}" must not contain a path`);
  return ok(name);
}

/**
 * Where a file goes (or comes from): `dir` (default: the first allowed directory) joined with
 * `name`, accepted only when the result is inside one of the allowed directories (absolute,
 * normalised). Relative `dir` values are taken under the first allowed directory. Symlinks are
 * the caller's to check on the real file system.
 */
export function resolveInside(allowed: readonly string[], name: string, dir?: string): Result<string> {
  const roots = allowed.filter((a) => a !== '').map((a) => path.resolve(a));
  const first = roots[0];
  if (first === undefined) return fail('no directory is allowed for file transfer');
  if ((dir ?? '').includes('\u0000') || name.includes('\u0000')) return fail('path contains a NUL character');
  const base = dir && dir.trim() !== '' ? path.resolve(first, dir.trim()) : first;
  const full = path.resolve(base, name);
  const inside = roots.some((r) => full !== r && full.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  if (!inside) return fail(`"${path.join(dir ?? '', name)}" is outside the directories allowed for file transfer`);
  return ok(full);
}
