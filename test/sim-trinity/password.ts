// The broker side of the Smart-MQTT password (trinity.md §3): take the time stamp back out of
// the first four bytes, recompute the digest, check age and replay.
import { createHash, timingSafeEqual } from 'node:crypto';

export type PasswordCheck = { ok: true; ts: number } | { ok: false; code: 4 | 5; why: string };

export function checkPassword(
  password: Buffer | undefined,
  secret: Buffer,
  nowSec: number,
  windowSec: number,
  seen: Set<string>,
): PasswordCheck {
  if (!password) return { ok: false, code: 4, why: 'no password' };
  const text = password.toString('utf8');
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== 24 || raw.toString('base64') !== text) return { ok: false, code: 4, why: 'not 24 bytes of Base64' };
  const salt = raw.subarray(0, 4);
  const ts = salt.readUInt32LE(0);
  const want = createHash('sha1').update(salt).update(secret).digest();
  if (!timingSafeEqual(want, raw.subarray(4))) return { ok: false, code: 4, why: 'digest does not match the secret' };
  if (Math.abs(nowSec - ts) > windowSec) return { ok: false, code: 5, why: `time stamp ${ts} outside ±${windowSec} s of ${nowSec}` };
  if (seen.has(text)) return { ok: false, code: 5, why: 'password replayed' };
  seen.add(text);
  return { ok: true, ts };
}
