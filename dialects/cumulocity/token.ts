/**
 * The device JWT of certificate sessions (cumulocity.md §4.2): requested with an empty publish on
 * `s/uat`, answered `71,<jwt>` on `s/dat`; used as `Authorization: Bearer` for REST side calls and
 * refreshed when half of its lifetime is used. Pure: the signature is the platform's business, the
 * device only reads the expiry.
 */
import { fail, ok, type Outbound, type Result } from '../types';
import { TOKEN_UP } from './topics';

/** The empty publish on `s/uat` that asks for a token. */
export function encodeTokenRequest(): Outbound {
  return { topic: TOKEN_UP, payload: '', priority: 'control', batchable: false };
}

/** Issue and expiry times (seconds since the epoch) of a JWT; `iat` falls back to `now`. */
export function tokenTimes(jwt: string, nowSec: number): Result<{ iat: number; exp: number }> {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || parts[1] === '') return fail('not a JWT');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return fail('JWT claims are not JSON');
  }
  if (typeof claims !== 'object' || claims === null) return fail('JWT claims are not an object');
  const { exp, iat } = claims as { exp?: unknown; iat?: unknown };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('JWT has no expiry');
  const issued = typeof iat === 'number' && Number.isFinite(iat) && iat <= exp ? iat : nowSec;
  return ok({ iat: issued, exp });
}

/**
 * Milliseconds until the token should be refreshed: when half of its lifetime is used, never
 * sooner than `minMs` (a platform with a broken clock must not make the device poll in a loop).
 */
export function tokenRefreshDelayMs(t: { iat: number; exp: number }, nowMs: number, minMs = 30_000): number {
  const halfway = ((t.iat + t.exp) / 2) * 1000;
  return Math.max(minMs, Math.round(halfway - nowMs));
}
