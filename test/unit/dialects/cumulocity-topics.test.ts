// Topic map, usernames, will and device ids (protocol reference §1, §2, §4, §5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOTSTRAP_DOWN,
  BOOTSTRAP_UP,
  BOOTSTRAP_USER,
  decodePayload,
  defaultWill,
  DOWN_JSON,
  DOWN_STATIC,
  ERRORS,
  sessionSubscriptions,
  TOKEN_DOWN,
  TOKEN_UP,
  UP,
  upTopic,
  username,
  validateDeviceId,
} from '../../../dialects/cumulocity';

describe('cumulocity topics (§2)', () => {
  it('names the topics of the reference', () => {
    assert.deepEqual(
      [UP, DOWN_STATIC, DOWN_JSON, ERRORS, BOOTSTRAP_UP, BOOTSTRAP_DOWN, BOOTSTRAP_USER, TOKEN_UP, TOKEN_DOWN],
      ['s/us', 's/ds', 'devicecontrol/notifications', 's/e', 's/ucr', 's/dcr', 'management/devicebootstrap', 's/uat', 's/dat'],
    );
  });

  it('publishes for the root on s/us and for a child on s/us/<child>', () => {
    assert.equal(upTopic(), 's/us');
    assert.equal(upTopic('rpi-0001-sense'), 's/us/rpi-0001-sense');
  });

  it('subscribes s/e first, then exactly one operation topic per mode', () => {
    assert.deepEqual(sessionSubscriptions('id', false), ['s/e', 'devicecontrol/notifications']);
    assert.deepEqual(sessionSubscriptions('static', false), ['s/e', 's/ds']);
  });

  it('adds s/dat in cert mode and s/dc/<xid> per collection', () => {
    assert.deepEqual(sessionSubscriptions('id', true), ['s/e', 'devicecontrol/notifications', 's/dat']);
    assert.deepEqual(sessionSubscriptions('static', true, ['pi', 'pi_v2']), ['s/e', 's/ds', 's/dc/pi', 's/dc/pi_v2', 's/dat']);
  });

  it('never subscribes both operation topics', () => {
    for (const mode of ['id', 'static'] as const) {
      for (const cert of [false, true]) {
        const subs = sessionSubscriptions(mode, cert);
        assert.ok(!(subs.includes('s/ds') && subs.includes('devicecontrol/notifications')));
      }
    }
  });
});

describe('cumulocity connection values (§1)', () => {
  it('builds the username from tenant id and user', () => {
    assert.equal(username('t12345', 'device_rpi-0001'), 't12345/device_rpi-0001');
  });

  it('uses the connection-lost event on s/us as default will', () => {
    const will = defaultWill();
    assert.deepEqual(will, { topic: 's/us', payload: '400,c8y_ConnectionEvent,"Device connection was lost."' });
    assert.deepEqual(decodePayload(will.payload), { ok: true, value: [['400', 'c8y_ConnectionEvent', 'Device connection was lost.']] });
  });

  it('accepts plain device ids', () => {
    for (const id of ['rpi-0001', 'rpi-0001-sense', '0000000017b769d5', 'a.b_c d']) {
      assert.deepEqual(validateDeviceId(id), { ok: true, value: id });
    }
  });

  it('refuses empty ids, client-id separators, topic separators and wildcards', () => {
    for (const id of ['', 'd:rpi-0001', 'a/b', 'a+b', 'a#']) {
      assert.equal(validateDeviceId(id).ok, false, id);
    }
  });
});
