/**
 * The per-connect password of Smart-MQTT (trinity.md §3): salt = Unix seconds as 4 bytes
 * little-endian, password = Base64(salt ‖ SHA-1(salt ‖ secret)). Pure: the time comes in.
 */
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from '../types';

/** The secret as provisioning hands it out: hex text. Refuses anything else (no whitespace stripping quirk). */
export function parseSecret(hex: string): Result<Buffer> {
  const s = hex.trim();
  if (s === '') return fail('the Trinity secret is empty');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(s)) return fail('the Trinity secret must be hex text (an even number of 0-9, a-f)');
  return ok(Buffer.from(s, 'hex'));
}

/** The 4-byte salt of a time stamp (whole seconds, unsigned 32-bit). */
export function saltOf(tsSec: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Math.floor(tsSec) >>> 0, 0);
  return b;
}

/** The MQTT password for a connect attempt at `tsSec`. */
export function trinityPassword(secret: Buffer, tsSec: number): string {
  const salt = saltOf(tsSec);
  const digest = createHash('sha1').update(salt).update(secret).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}
