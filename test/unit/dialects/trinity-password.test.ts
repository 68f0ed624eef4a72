// Trinity password (trinity.md §3, vector T20) and secret parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecret, saltOf, trinityPassword } from '../../../dialects/trinity';

describe('trinity password (§3)', () => {
  it('T20: secret 0011…eeff at ts 1700000000 gives APFTZSCPeDdK3Bp5veaDPMgbm/TIjIpt', () => {
    const secret = parseSecret('00112233445566778899aabbccddeeff');
    assert.ok(secret.ok);
    assert.equal(trinityPassword(secret.value, 1700000000), 'APFTZSCPeDdK3Bp5veaDPMgbm/TIjIpt');
  });

  it('T20: the salt is the time stamp as 4 bytes little-endian (00f15365)', () => {
    assert.equal(saltOf(1700000000).toString('hex'), '00f15365');
  });

  it('makes a 32-character password whose first 4 bytes give the time back', () => {
    const secret = parseSecret('ab'.repeat(16));
    assert.ok(secret.ok);
    const pw = trinityPassword(secret.value, 1234567890);
    assert.equal(pw.length, 32);
    assert.equal(Buffer.from(pw, 'base64').readUInt32LE(0), 1234567890);
    assert.notEqual(trinityPassword(secret.value, 1234567891), pw);
  });

  it('takes the secret as hex text exactly: a trailing 0x0a byte is kept (the seed stripped it)', () => {
    const s = parseSecret('00112233445566778899aabbccddee0a');
    assert.ok(s.ok);
    assert.equal(s.value.length, 16);
    assert.equal(s.value[15], 0x0a);
  });

  for (const bad of ['', '   ', 'xyz', '0', 'abc', '00 11', 'g0']) {
    it(`refuses the secret ${JSON.stringify(bad)}`, () => {
      assert.equal(parseSecret(bad).ok, false);
    });
  }
});
