/**
 * Integrity and authenticity of a download (software-update.md §4): SHA-256 always when given,
 * and optionally a detached Ed25519 signature over the SHA-256 digest, checked with a public key
 * from the node's configuration (never from the same origin as the package).
 *
 * Why Ed25519 over the digest: keys (32 bytes) and signatures (64 bytes) are small enough for a
 * node setting and a URL fragment; signing is deterministic (no random-number failures on the
 * signing host); there are no parameters to get wrong (no padding or hash choice as with RSA);
 * node:crypto verifies it without a dependency on every Node.js we support; and signing the
 * digest lets us verify from the hash computed while streaming, instead of holding a 256 MiB
 * file in memory (node:crypto's Ed25519 is one-shot).
 */
import { createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '../../dialects/types';
import { UpdateError } from './interface';

/** A SHA-256 in hex (any case, optional `sha256:` prefix) → lower-case hex. */
export function parseSha256(text: string): Result<string> {
  const t = text.trim().replace(/^sha256[:=]/i, '');
  return /^[0-9a-fA-F]{64}$/.test(t) ? ok(t.toLowerCase()) : fail(`not a SHA-256 in hex: "${text.slice(0, 80)}"`);
}

/** Throws E_CHECKSUM when `actual` is not the expected digest (compared in constant time). */
export function checkSha256(actual: Buffer, expectedHex: string): void {
  const expected = Buffer.from(expectedHex, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new UpdateError('E_CHECKSUM', `SHA-256 is ${actual.toString('hex')}, expected ${expectedHex}`);
  }
}

/** An Ed25519 public key from PEM (SPKI) or the raw 32 bytes in base64/base64url. */
export function parsePublicKey(text: string): Result<KeyObject> {
  const t = text.trim();
  try {
    let key: KeyObject;
    if (t.includes('-----BEGIN')) key = createPublicKey(t);
    else {
      const raw = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (raw.length !== 32) return fail('an Ed25519 public key is 32 bytes (base64) or a PEM block');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    }
    if (key.asymmetricKeyType !== 'ed25519') return fail(`the public key is ${String(key.asymmetricKeyType)}, not Ed25519`);
    return ok(key);
  } catch (err) {
    return fail(`cannot read the public key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Throws E_SIGNATURE unless `signature` (base64 or base64url) is a valid Ed25519 signature of `digest`. */
export function checkSignature(digest: Buffer, signature: string | undefined, key: KeyObject): void {
  if (signature === undefined || signature.trim() === '') {
    throw new UpdateError('E_SIGNATURE', 'a signature is required (a public key is set) but none was given');
  }
  const sig = Buffer.from(signature.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  let good = false;
  try {
    good = sig.length === 64 && verify(null, digest, key, sig);
  } catch {
    good = false;
  }
  if (!good) throw new UpdateError('E_SIGNATURE', 'the signature does not match the download and the configured public key');
}
