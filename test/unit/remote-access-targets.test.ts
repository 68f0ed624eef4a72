import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  deviceEndpoint,
  formatTarget,
  isAllowed,
  parseAllowList,
  parseConnectRequest,
  parseRelayRequest,
  redact,
} from '../../agent/remote-access/targets';
import { parseRemoteAccessDef } from '../../nodes/remote-access-config';

const KEY = 'eb5e9d13-1caa-486b-bdda-130ca0d87df8';

describe('remote access: allow-list', () => {
  it('reads host:port entries separated by lines, commas and spaces, with comments and IPv6 in brackets', () => {
    const r = parseAllowList('127.0.0.1:22  # ssh\n127.0.0.1:1880, Pi-Cam.local:8080\n[::1]:5900\n\n127.0.0.1:22');
    assert.ok(r.ok);
    assert.deepEqual(r.value.map(formatTarget), ['127.0.0.1:22', '127.0.0.1:1880', 'pi-cam.local:8080', '[::1]:5900']);
  });

  it('is empty (remote access off) for an empty text', () => {
    assert.deepEqual(parseAllowList('  \n# nothing yet\n'), { ok: true, value: [] });
  });

  for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', 'host:22x', '::1:22', '*:22', 'a_b:22', '[::1]', 'http://x:80']) {
    it(`refuses "${bad}" with a reason`, () => {
      const r = parseAllowList(bad);
      assert.ok(!r.ok);
      assert.match(r.error, /is not host:port/);
    });
  }

  it('allows only exactly listed host and port, without resolving names', () => {
    const list = parseAllowList('127.0.0.1:22\n[::1]:22');
    assert.ok(list.ok);
    assert.ok(isAllowed(list.value, { host: '127.0.0.1', port: 22 }));
    assert.ok(isAllowed(list.value, { host: '::1', port: 22 }));
    assert.ok(!isAllowed(list.value, { host: '127.0.0.1', port: 23 }));
    assert.ok(!isAllowed(list.value, { host: 'localhost', port: 22 }));
    assert.ok(!isAllowed([], { host: '127.0.0.1', port: 22 }));
  });
});

describe('remote access: the operation', () => {
  it('takes hostname, port (number or text) and the connection key', () => {
    assert.deepEqual(parseConnectRequest({ hostname: '127.0.0.1', port: 22, connectionKey: KEY }), {
      ok: true,
      value: { target: { host: '127.0.0.1', port: 22 }, key: KEY },
    });
    const r = parseConnectRequest({ hostname: 'LOCALHOST', port: '1880', connectionKey: KEY });
    assert.ok(r.ok);
    assert.deepEqual(r.value.target, { host: 'localhost', port: 1880 });
  });

  it('refuses bad input without ever naming the key', () => {
    const cases: unknown[] = [
      null,
      'x',
      { port: 22, connectionKey: KEY },
      { hostname: 'a b', port: 22, connectionKey: KEY },
      { hostname: '127.0.0.1', port: 0, connectionKey: KEY },
      { hostname: '127.0.0.1', port: 22 },
      { hostname: '127.0.0.1', port: 22, connectionKey: `${KEY}/../../x` },
      { hostname: '127.0.0.1', port: 22, connectionKey: `${KEY}?a=b` },
    ];
    for (const c of cases) {
      const r = parseConnectRequest(c);
      assert.ok(!r.ok, JSON.stringify(c));
      assert.ok(!r.error.includes(KEY), r.error);
    }
  });

  it('builds the device endpoint on the platform URL, keeping a path prefix', () => {
    assert.deepEqual(deviceEndpoint('https://t1.example.com', KEY), {
      ok: true,
      value: `wss://t1.example.com/service/remoteaccess/device/${KEY}`,
    });
    assert.deepEqual(deviceEndpoint('http://127.0.0.1:8001/c8y/', KEY), {
      ok: true,
      value: `ws://127.0.0.1:8001/c8y/service/remoteaccess/device/${KEY}`,
    });
    assert.ok(!deviceEndpoint('ftp://x', KEY).ok);
  });

  it('redacts secrets from library error texts', () => {
    assert.equal(
      redact(`failed: wss://h/service/remoteaccess/device/${KEY} 401`, [KEY]),
      'failed: wss://h/service/remoteaccess/device/*** 401',
    );
  });
});

describe('remote access: node settings', () => {
  it('has defaults and refuses out-of-range numbers', () => {
    const r = parseRemoteAccessDef({ allow: '127.0.0.1:22' });
    assert.ok(r.ok);
    assert.equal(r.value.maxTunnels, 4);
    assert.equal(r.value.idleTimeoutSec, 600);
    assert.equal(r.value.connectTimeoutSec, 15);
    assert.equal(r.value.pingIntervalMs, 30_000);
    const s = parseRemoteAccessDef({ allow: '', maxTunnels: '0' });
    assert.ok(!s.ok);
    assert.match(s.error, /maximum tunnels/);
    const t = parseRemoteAccessDef({ allow: '', idleTimeout: 'soon' });
    assert.ok(!t.ok);
    const u = parseRemoteAccessDef({ allow: '' }, { pingIntervalMs: 200, highWaterMark: 65536 });
    assert.ok(u.ok);
    assert.equal(u.value.pingIntervalMs, 200);
    assert.equal(u.value.highWaterMark, 65536);
  });
});

describe('remote access: the relay form (Helix Device Cloud remote-access)', () => {
  it('takes the relay URL, the local host and the local port as "protocol"', () => {
    assert.deepEqual(parseRelayRequest({ url: 'wss://relay.example.com/r/abc?token=s3cret', host: '127.0.0.1', protocol: '22' }), {
      ok: true,
      value: { target: { host: '127.0.0.1', port: 22 }, relayUrl: 'wss://relay.example.com/r/abc?token=s3cret' },
    });
    assert.deepEqual(parseRelayRequest({ url: 'ws://127.0.0.1:9/x', host: 'LocalHost', protocol: 23 }), {
      ok: true,
      value: { target: { host: 'localhost', port: 23 }, relayUrl: 'ws://127.0.0.1:9/x' },
    });
  });

  it('refuses a URL that is not ws(s), carries a password, or a bad host or port, without naming the URL', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: 'https://relay.example.com/?token=s3cret', host: 'localhost', protocol: 22 }, /ws:\/\/ or wss:\/\//],
      [{ url: 'not a url s3cret', host: 'localhost', protocol: 22 }, /no valid relay URL/],
      [{ url: 'wss://u:s3cret@relay.example.com/', host: 'localhost', protocol: 22 }, /user name or password/],
      [{ url: 'wss://relay.example.com/?token=s3cret', host: 'bad host', protocol: 22 }, /no valid host/],
      [{ url: 'wss://relay.example.com/?token=s3cret', host: 'localhost', protocol: 70000 }, /no valid port/],
    ];
    for (const [params, reason] of cases) {
      const r = parseRelayRequest(params);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, reason);
      assert.doesNotMatch(r.ok ? '' : r.error, /s3cret/);
    }
  });
});
