import { strict as assert } from 'node:assert';
import { describe, it, mock } from 'node:test';
import { DeviceTokenKeeper } from '../../../agent/cumulocity-token';
import { encodeTokenRequest, tokenRefreshDelayMs, tokenTimes } from '../../../dialects/cumulocity';

const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: object): string => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2ln`;

describe('Cumulocity device token (s/uat → 71)', () => {
  it('asks with an empty publish on s/uat', () => {
    assert.deepEqual(encodeTokenRequest(), { topic: 's/uat', payload: '', priority: 'control', batchable: false });
  });

  it('reads iat and exp, and refuses what is not a JWT with an expiry', () => {
    assert.deepEqual(tokenTimes(jwt({ iat: 1000, exp: 4600 }), 2000), { ok: true, value: { iat: 1000, exp: 4600 } });
    assert.deepEqual(tokenTimes(jwt({ exp: 4600 }), 2000), { ok: true, value: { iat: 2000, exp: 4600 } });
    for (const bad of [
      '',
      'a.b',
      'a..c',
      'a.!!.c',
      jwt({ iat: 1 }),
      jwt({ exp: 'soon' }),
      `x.${Buffer.from('not json').toString('base64url')}.y`,
    ]) {
      assert.equal(tokenTimes(bad, 0).ok, false, bad);
    }
  });

  it('refreshes at half the lifetime, never sooner than the floor', () => {
    assert.equal(tokenRefreshDelayMs({ iat: 1000, exp: 4600 }, 1000_000), 1800_000);
    assert.equal(tokenRefreshDelayMs({ iat: 1000, exp: 4600 }, 2799_000), 30_000);
    assert.equal(tokenRefreshDelayMs({ iat: 1000, exp: 1300 }, 1000_000, 1000), 150_000);
  });

  it('keeps the token, hands it out until shortly before expiry and asks again halfway', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let asked = 0;
      const warnings: string[] = [];
      const k = new DeviceTokenKeeper(
        () => (asked += 1),
        (w) => warnings.push(w),
      );
      k.sessionUp();
      assert.equal(asked, 1);
      assert.equal(k.current(0), undefined);
      const t = jwt({ iat: 0, exp: 3600 });
      k.accept(t, 0);
      assert.equal(k.current(1000), t);
      assert.equal(k.current(3595_000), undefined, 'not in its last seconds');
      mock.timers.tick(1799_999);
      assert.equal(asked, 1);
      mock.timers.tick(1);
      assert.equal(asked, 2, 'asked again at half the lifetime');
      k.accept('garbage', 1800_000);
      assert.equal(k.current(1800_000), t, 'a bad answer keeps the old token');
      assert.match(warnings[0] ?? '', /not a JWT/);
      k.sessionDown();
      mock.timers.tick(10_000_000);
      assert.equal(asked, 2, 'no requests without a session');
      k.stop();
    } finally {
      mock.timers.reset();
    }
  });
});
