// Runtime validation of the Trinity connection settings (nodes/connection-config-trinity.ts) and
// its registry entry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ok } from '../../dialects/types';
import { defaultHid, parseTrinityConfig } from '../../nodes/connection-config-trinity';
import type { ConfigContext } from '../../nodes/connection-config';
import { firstMac } from '../../nodes/dialect-trinity';
import { DIALECTS, dialectOf } from '../../nodes/dialects';
import { MemoryOutbox } from '../../transport/outbox';

const SECRET = '00112233445566778899aabbccddeeff';
const CTX: ConfigContext = {
  env: {},
  defaultDeviceId: 'x',
  agentVersion: '0.1.0',
  dataDir: '/nonexistent/data',
  readFile: () => ok('PEM'),
};
const BASE = { dialect: 'trinity', trinityCid: '12345678', trinityHid: 'AAA0123456789AB', trinityPids: 'my_app_id' };

describe('Trinity connection settings', () => {
  it('defaults to TLS on mqtt.trintel.co.za:8883, keep-alive 60, hourly health report, RTC time stamps', () => {
    const r = parseTrinityConfig(BASE, { trinitySecret: SECRET }, CTX, undefined);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.protocol, 'mqtts');
    assert.equal(r.value.port, 8883);
    assert.equal(r.value.settings.host, 'mqtt.trintel.co.za');
    assert.equal(r.value.settings.keep_alive, 60);
    assert.equal(r.value.settings.pdr_interval, 3600);
    assert.equal(r.value.settings.use_rtc, true);
    assert.deepEqual(r.value.pids, ['my_app_id']);
    assert.equal(r.value.secret.toString('hex'), SECRET);
    assert.deepEqual(r.value.tls, { verifyServer: true });
  });

  it('port 1883 means plain MQTT; the protocol can be given', () => {
    const plain = parseTrinityConfig({ ...BASE, trinityPort: '1883' }, { trinitySecret: SECRET }, CTX, undefined);
    assert.ok(plain.ok && plain.value.protocol === 'mqtt' && plain.value.tls === undefined);
    const given = parseTrinityConfig({ ...BASE, trinityPort: '11883', trinityProtocol: 'mqtt' }, { trinitySecret: SECRET }, CTX, undefined);
    assert.ok(given.ok && given.value.protocol === 'mqtt' && given.value.port === 11883);
  });

  it('reads the secret from the variable it names, and ${VAR} left unresolved counts as empty', () => {
    const env = { ...CTX, env: { MY_SECRET: SECRET } };
    const r = parseTrinityConfig(
      { ...BASE, trinitySecretFrom: 'env', trinitySecretEnv: 'MY_SECRET', trinityHost: '${TRINITY_HOST}' },
      {},
      env,
      undefined,
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.settings.host, 'mqtt.trintel.co.za');
    assert.equal(parseTrinityConfig({ ...BASE, trinitySecretFrom: 'env' }, {}, CTX, undefined).ok, false);
  });

  it('makes the HID like trinpyqtt: AAA + the last 12 of the Pi serial, else the MAC in decimal', () => {
    assert.equal(defaultHid('00000000a1b2c3d4e5f6', undefined), 'AAAA1B2C3D4E5F6');
    assert.equal(defaultHid(undefined, 'b8:27:eb:12:34:56'), String(0xb827eb123456));
    assert.equal(defaultHid(undefined, '00:00:00:00:00:00'), undefined);
    const r = parseTrinityConfig(
      { ...BASE, trinityHid: '' },
      { trinitySecret: SECRET },
      { ...CTX, hardware: { serial: '10000000abcdef01' } },
      undefined,
    );
    assert.ok(r.ok && r.value.hid === 'AAA0000ABCDEF01');
    assert.equal(
      firstMac({ lo: [{ internal: true, mac: '00:00:00:00:00:00', address: '127.0.0.1', netmask: '', family: 'IPv4', cidr: null }] }),
      undefined,
    );
  });

  const BAD: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['no CID', { ...BASE, trinityCid: '' }, { trinitySecret: SECRET }],
    ['CID with a slash', { ...BASE, trinityCid: 'a/b' }, { trinitySecret: SECRET }],
    ['no secret', BASE, {}],
    ['secret not hex', BASE, { trinitySecret: 'not hex' }],
    ['PID 0 listed', { ...BASE, trinityPids: 'my_app_id, 0' }, { trinitySecret: SECRET }],
    ['PID with a wildcard', { ...BASE, trinityPids: 'a+b' }, { trinitySecret: SECRET }],
    ['ws protocol', { ...BASE, trinityProtocol: 'ws' }, { trinitySecret: SECRET }],
    ['port out of range', { ...BASE, trinityPort: '70000' }, { trinitySecret: SECRET }],
    ['host with a scheme', { ...BASE, trinityHost: 'mqtts://x' }, { trinitySecret: SECRET }],
    ['keep-alive 5', { ...BASE, trinityKeepalive: '5' }, { trinitySecret: SECRET }],
    ['trusted sender with #', { ...BASE, trinityTrusted: 'a#' }, { trinitySecret: SECRET }],
  ];
  for (const [what, def, creds] of BAD) {
    it(`refuses ${what}`, () => {
      const r = parseTrinityConfig(def, creds, CTX, undefined);
      assert.equal(r.ok, false);
    });
  }

  it('is in the registry and makes an agent that has not connected yet', async () => {
    assert.equal(dialectOf('trinity'), DIALECTS['trinity']);
    const prepared = DIALECTS['trinity']!.prepare(BASE, { trinitySecret: SECRET }, CTX);
    assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
    assert.equal(prepared.value.deviceId, 'AAA0123456789AB');
    const agent = prepared.value.create(new MemoryOutbox(), undefined);
    assert.equal(agent.currentStatus.state, 'connecting');
    await agent.stop();
    assert.equal(agent.currentStatus.state, 'stopped');
  });
});
