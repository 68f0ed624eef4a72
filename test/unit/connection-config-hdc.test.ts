// The HDC settings parser (pure): transport by port, thing key rules, token from credentials or
// the environment, proxy only with wss, guarded methods off by default where the issue says so.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ok } from '../../dialects/types';
import { parseHdcConfig } from '../../nodes/connection-config-hdc';
import type { ConfigContext } from '../../nodes/connection-config';

const ctx: ConfigContext = {
  env: { HDC_APP_TOKEN: 'ENVTOKEN' },
  defaultDeviceId: 'pi-serial',
  agentVersion: '0.0.0',
  dataDir: '/tmp/x',
  readFile: () => ok('PEM'),
};

describe('parseHdcConfig', () => {
  it('builds the URL from the port: 1883 mqtt, 8883 mqtts, 443 wss with /mqtt', () => {
    const base = { hdcHost: 'h.example', hdcDeviceId: 'dev1', hdcAppId: 'my_app' };
    const tok = { hdcToken: 'T' };
    const u = (port: string): string => {
      const r = parseHdcConfig({ ...base, hdcPort: port }, tok, ctx);
      assert.ok(r.ok, r.ok ? '' : r.error);
      return r.value.url;
    };
    assert.equal(u('1883'), 'mqtt://h.example:1883');
    assert.equal(u('8883'), 'mqtts://h.example:8883');
    assert.equal(u('443'), 'wss://h.example:443/mqtt');
    const r = parseHdcConfig({ ...base, hdcPort: '443' }, tok, ctx);
    assert.ok(r.ok);
    assert.equal(r.value.thingKey, 'dev1-my_app');
    assert.equal(r.value.fileBase, 'https://h.example:443');
    assert.deepEqual(r.value.allow, { reboot_device: true, shutdown_device: false, decommission_device: false });
  });

  it('takes the device id from the machine when empty and the token from the environment', () => {
    const r = parseHdcConfig({ hdcHost: 'h', hdcAppId: '', hdcTokenFrom: 'env' }, {}, ctx);
    assert.ok(r.ok);
    assert.equal(r.value.thingKey, 'pi-serial');
    assert.equal(r.value.token, 'ENVTOKEN');
  });

  it('refuses a missing token, a long thing key, a bad proxy and a proxy without wss', () => {
    assert.equal(parseHdcConfig({ hdcHost: 'h' }, {}, ctx).ok, false);
    assert.equal(parseHdcConfig({ hdcHost: 'h', hdcDeviceId: 'd'.repeat(70) }, { hdcToken: 'T' }, ctx).ok, false);
    assert.equal(parseHdcConfig({ hdcHost: 'h', hdcPort: '443', hdcProxy: 'socks5://p:1' }, { hdcToken: 'T' }, ctx).ok, false);
    assert.equal(parseHdcConfig({ hdcHost: 'h', hdcPort: '8883', hdcProxy: 'http://p:3128' }, { hdcToken: 'T' }, ctx).ok, false);
    const r = parseHdcConfig({ hdcHost: 'h', hdcPort: '443', hdcProxy: 'http://p:3128' }, { hdcToken: 'T' }, ctx);
    assert.ok(r.ok);
    assert.equal(r.value.proxy, 'http://p:3128');
    assert.equal(parseHdcConfig({ hdcHost: 'a b' }, { hdcToken: 'T' }, ctx).ok, false);
  });
});
