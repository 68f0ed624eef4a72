// Runtime validation of the pyaiot connection settings (nodes/connection-config-pyaiot.ts), its
// registry entry, and the gateway discovery node's settings (nodes/gateway-discovery-config.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fail, ok } from '../../dialects/types';
import type { ConfigContext } from '../../nodes/connection-config';
import { parsePyaiotConfig } from '../../nodes/connection-config-pyaiot';
import { DIALECTS, dialectOf } from '../../nodes/dialects';
import { parseGatewayDef } from '../../nodes/gateway-discovery-config';

const CTX: ConfigContext = {
  env: { PYAIOT_USER: 'u', PYAIOT_PASSWORD: 'p' },
  defaultDeviceId: 'x',
  agentVersion: '0.1.0',
  dataDir: '/nonexistent/data',
  readFile: (f) => (f.endsWith('.pem') ? ok(`PEM ${f}`) : fail('ENOENT')),
};
const BASE = { dialect: 'pyaiot', pyUrl: 'mqtt://localhost:1886', pyNodeId: 'nr1' };

describe('pyaiot connection settings', () => {
  it('defaults: plain MQTT, QoS-1 node with client id pyaiot-<id>, check every 30 s, dashboard style, name and os', () => {
    const r = parsePyaiotConfig(BASE, {}, CTX);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.url, 'mqtt://localhost:1886');
    assert.equal(r.value.clientId, 'pyaiot-nr1');
    assert.equal(r.value.checkPeriodSec, 30);
    assert.equal(r.value.keepaliveSec, 60);
    assert.equal(r.value.valueStyle, 'dashboard');
    assert.equal(r.value.tls, undefined);
    assert.deepEqual(r.value.staticResources, [
      ['name', 'Node-RED node'],
      ['os', 'node-red'],
    ]);
    assert.equal(r.value.eventResource, 'event');
  });

  it('a bare host is mqtt on 1883; mqtts reads the TLS files and verifies by default', () => {
    const bare = parsePyaiotConfig({ ...BASE, pyUrl: 'pi.local' }, {}, CTX);
    assert.ok(bare.ok);
    assert.equal(bare.value.url, 'mqtt://pi.local:1883');
    const tls = parsePyaiotConfig({ ...BASE, pyUrl: 'mqtts://pi.local', pyCaFile: 'ca.pem' }, {}, CTX);
    assert.ok(tls.ok);
    assert.equal(tls.value.url, 'mqtts://pi.local:8883');
    assert.deepEqual(tls.value.tls, { verifyServer: true, ca: 'PEM ca.pem' });
  });

  it('extra static resources from JSON (led "0"), user and password from the node or the environment', () => {
    const r = parsePyaiotConfig(
      { ...BASE, pyResources: '{"led": "0", "name": "kitchen"}', pyBoard: 'rpi4' },
      { pyUser: 'a', pyPassword: 'b' },
      CTX,
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(
      r.value.staticResources.map(([k]) => k),
      ['os', 'board', 'led', 'name'],
    );
    assert.equal(r.value.username, 'a');
    const env = parsePyaiotConfig({ ...BASE, pyCredentialsFrom: 'env' }, {}, CTX);
    assert.ok(env.ok);
    assert.equal(env.value.password, 'p');
  });

  it('refuses what would break the protocol, with a reason', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ pyUrl: '' }, /broker URL is not set/],
      [{ pyUrl: 'http://x' }, /mqtt:\/\/ or mqtts:\/\//],
      [{ pyUrl: 'mqtt://u:p@x' }, /credentials/],
      [{ pyNodeId: '' }, /node id is not set/],
      [{ pyNodeId: 'a/b' }, /without "\/"/],
      [{ pyNodeId: 'n+' }, /without/],
      [{ pyClientId: 'client-id' }, /gateway's own/],
      [{ pyCheckPeriod: '0' }, /check period/],
      [{ pyValueStyle: 'fancy' }, /dashboard or raw/],
      [{ pyResources: 'led=0' }, /JSON object/],
      [{ pyResources: '["led"]' }, /JSON object/],
      [{ pyResources: '{"id": 1}' }, /reserved/],
      [{ pyResources: '{"a/b": 1}' }, /without/],
      [{ pyEventResource: 'check' }, /reserved/],
      [{ pyAlarmResource: '#' }, /without/],
      [{ pyCertFile: 'c.pem' }, /needs mqtts/],
    ];
    for (const [change, re] of bad) {
      const r = parsePyaiotConfig({ ...BASE, ...change }, {}, CTX);
      assert.equal(r.ok, false, JSON.stringify(change));
      if (!r.ok) assert.match(r.error, re, JSON.stringify(change));
    }
  });

  it('is in the dialect registry, keyed by the node id', () => {
    assert.ok(Object.hasOwn(DIALECTS, 'pyaiot'));
    const p = dialectOf('pyaiot')!.prepare(BASE, {}, CTX);
    assert.ok(p.ok);
    assert.equal(p.value.deviceId, 'nr1');
  });
});

describe('gateway discovery settings', () => {
  it('defaults: max time 120 s, gateway/check every 30 s, 1000 devices, 32 resources, never the client id "client-id"', () => {
    const r = parseGatewayDef({ broker: 'mqtt://localhost:1886' }, 'a1b2.c3');
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.gateway.clientId, 'pyaiot-gateway-a1b2c3');
    assert.equal(r.value.gateway.maxTimeSec, 120);
    assert.equal(r.value.gateway.checkPeriodSec, 30);
    assert.equal(r.value.gateway.maxNodes, 1000);
    assert.equal(r.value.gateway.maxResources, 32);
    assert.equal(r.value.relay, undefined);
  });

  it('takes an announce filter with one + level and a relay connection', () => {
    const r = parseGatewayDef({ broker: 'h', announce: 'devices/+/announce', relay: 'c1' }, 'n');
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.gateway.announceFilter, 'devices/+/announce');
    assert.deepEqual(r.value.relay, { connection: 'c1', childType: 'c8y_PyaiotNode' });
  });

  it('refuses bad settings', () => {
    for (const [def, re] of [
      [{ broker: '' }, /not set/],
      [{ broker: 'h', clientId: 'client-id' }, /kick each other/],
      [{ broker: 'h', maxTime: '1' }, /max time/],
      [{ broker: 'h', maxNodes: '0' }, /most nodes/],
      [{ broker: 'h', announce: 'devices/#' }, /exactly one "\+"/],
      [{ broker: 'h', announce: 'a/+/+' }, /exactly one "\+"/],
      [{ broker: 'h', announce: 'node/+' }, /pyaiot's own/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const r = parseGatewayDef(def, 'n');
      assert.equal(r.ok, false, JSON.stringify(def));
      if (!r.ok) assert.match(r.error, re);
    }
  });
});
