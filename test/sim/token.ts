// JWTs for the s/uat → 71 exchange of cert sessions (§4.2): real structure, real `exp`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = randomBytes(32);
export const TOKEN_LIFETIME_S = 3600; // platform default (§10)

function b64url(value: object | Buffer): string {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value), 'utf8');
  return buf.toString('base64url');
}

/** An HS256 JWT for device_<id> in the tenant, valid for TOKEN_LIFETIME_S from now. */
export function createToken(tenant: string, deviceId: string, now = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const exp = iat + TOKEN_LIFETIME_S;
  const body = b64url({ sub: `device_${deviceId}`, ten: tenant, iss: `${tenant}.c8y-sim`, iat, nbf: iat, exp });
  const sig = createHmac('sha256', KEY).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(sig)}`;
}

/** Tenant and user of a token this simulator issued and that has not expired, else undefined. */
export function verifyToken(token: string, now = new Date()): { tenant: string; user: string } | undefined {
  const [head, body, sig] = token.split('.');
  if (head === undefined || body === undefined || sig === undefined) return undefined;
  const expected = createHmac('sha256', KEY).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: { sub?: unknown; ten?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return undefined;
  }
  if (typeof claims.sub !== 'string' || typeof claims.ten !== 'string' || typeof claims.exp !== 'number') return undefined;
  if (now.getTime() >= claims.exp * 1000) return undefined;
  return { tenant: claims.ten, user: claims.sub };
}
