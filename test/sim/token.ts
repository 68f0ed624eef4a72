// JWTs for the s/uat → 71 exchange of cert sessions (§4.2): real structure, real `exp`.
import { createHmac, randomBytes } from 'node:crypto';

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
