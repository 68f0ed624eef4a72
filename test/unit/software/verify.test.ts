import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { UpdateError } from '../../../devices/software/interface';
import { checkSha256, checkSignature, parsePublicKey, parseSha256 } from '../../../devices/software/verify';

const digest = createHash('sha256').update('package bytes').digest();
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');
const signature = sign(null, digest, privateKey).toString('base64');

function code(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UpdateError);
    return err.code;
  }
  return 'none';
}

describe('download verification', () => {
  it('parses SHA-256 texts (table)', () => {
    const hex = digest.toString('hex');
    assert.deepEqual(parseSha256(hex.toUpperCase()), { ok: true, value: hex });
    assert.deepEqual(parseSha256(`sha256:${hex}`), { ok: true, value: hex });
    for (const bad of ['', 'abc', hex.slice(1), `${hex}00`, 'g'.repeat(64)]) assert.equal(parseSha256(bad).ok, false, bad);
  });

  it('accepts the right digest and refuses another with E_CHECKSUM', () => {
    assert.equal(
      code(() => checkSha256(digest, digest.toString('hex'))),
      'none',
    );
    assert.equal(
      code(() => checkSha256(digest, '0'.repeat(64))),
      'E_CHECKSUM',
    );
  });

  it('reads an Ed25519 key as PEM or raw base64 and refuses other keys', () => {
    assert.ok(parsePublicKey(pem).ok);
    assert.ok(parsePublicKey(raw).ok);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match((parsePublicKey(rsa) as { error: string }).error, /not Ed25519/);
    assert.equal(parsePublicKey('AAAA').ok, false);
  });

  it('accepts a valid signature (base64 and base64url) and refuses a bad, foreign or missing one', () => {
    const key = parsePublicKey(pem);
    assert.ok(key.ok);
    assert.equal(
      code(() => checkSignature(digest, signature, key.value)),
      'none',
    );
    assert.equal(
      code(() => checkSignature(digest, Buffer.from(signature, 'base64').toString('base64url'), key.value)),
      'none',
    );
    const other = createHash('sha256').update('tampered').digest();
    assert.equal(
      code(() => checkSignature(other, signature, key.value)),
      'E_SIGNATURE',
    );
    const foreign = sign(null, digest, generateKeyPairSync('ed25519').privateKey).toString('base64');
    assert.equal(
      code(() => checkSignature(digest, foreign, key.value)),
      'E_SIGNATURE',
    );
    assert.equal(
      code(() => checkSignature(digest, undefined, key.value)),
      'E_SIGNATURE',
    );
    assert.equal(
      code(() => checkSignature(digest, 'not base64!!', key.value)),
      'E_SIGNATURE',
    );
  });
});
