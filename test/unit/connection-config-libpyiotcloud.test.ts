// Runtime validation of the libpyiotcloud connection settings (nodes/connection-config-libpyiotcloud.ts)
// and its registry entry with its devices.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ok, fail } from '../../dialects/types';
import { parseLibpyiotcloudConfig } from '../../nodes/connection-config-libpyiotcloud';
import type { ConfigContext } from '../../nodes/connection-config';
import { makeDevices, simulatedRoot } from '../../nodes/dialect-libpyiotcloud';
import { DIALECTS } from '../../nodes/dialects';
import { MemoryOutbox } from '../../transport/outbox';

const D = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';
const CTX: ConfigContext = {
  env: { LIBPYIOTCLOUD_USER: 'guest', LIBPYIOTCLOUD_PASSWORD: 'guest' },
  defaultDeviceId: 'x',
  agentVersion: '0.1.0',
  dataDir: '/nonexistent/data',
  readFile: (f) => (f.endsWith('.pem') ? ok(`PEM ${f}`) : fail('ENOENT')),
};
const BASE = { dialect: 'libpyiotcloud', lpcUrl: 'mqtts://broker.example.com:8883', lpcDeviceId: D };

describe('libpyiotcloud connection settings', () => {
  it('takes an mqtts URL with CA, certificate and key; simulated devices and all built-ins by default', () => {
    const r = parseLibpyiotcloudConfig(
      { ...BASE, lpcCaFile: 'rootca.pem', lpcCertFile: 'dev_cert.pem', lpcKeyFile: 'dev_pkey.pem' },
      { lpcUser: 'guest', lpcPassword: 'guest' },
      CTX,
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.url, 'mqtts://broker.example.com:8883');
    assert.deepEqual(r.value.tls, { verifyServer: true, ca: 'PEM rootca.pem', cert: 'PEM dev_cert.pem', key: 'PEM dev_pkey.pem' });
    assert.equal(r.value.username, 'guest');
    assert.equal(r.value.devices.mode, 'simulated');
    assert.equal(r.value.builtins.length, 11);
    assert.equal(r.value.replyDeadlineMs, 1000);
    assert.deepEqual(
      r.value.devices.gpioPins,
      Array.from({ length: 28 }, (_, i) => i),
    );
  });

  it('mqtt:// without a port is 1883; a bare host is mqtts on 8883; credentials from the environment', () => {
    const plain = parseLibpyiotcloudConfig({ ...BASE, lpcUrl: 'mqtt://127.0.0.1', lpcCredentialsFrom: 'env' }, {}, CTX);
    assert.ok(plain.ok && plain.value.url === 'mqtt://127.0.0.1:1883' && plain.value.tls === undefined && plain.value.password === 'guest');
    const bare = parseLibpyiotcloudConfig({ ...BASE, lpcUrl: 'broker' }, {}, CTX);
    assert.ok(bare.ok && bare.value.url === 'mqtts://broker:8883' && bare.value.username === undefined);
  });

  it('reads pin lists, built-in lists and the Linux device settings', () => {
    const r = parseLibpyiotcloudConfig(
      {
        ...BASE,
        lpcGpioPins: '4, 17, 22-24',
        lpcBuiltins: 'get_status get_gpio',
        lpcDevices: 'linux',
        lpcUartDevice: '/dev/ttyUSB0',
        lpcUartBaud: '115200',
      },
      {},
      CTX,
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.devices.gpioPins, [4, 17, 22, 23, 24]);
    assert.deepEqual(r.value.builtins, ['get_status', 'get_gpio']);
    assert.equal(r.value.devices.uartBaud, 115200);
  });

  const BAD: [string, Record<string, unknown>][] = [
    ['no URL', { ...BASE, lpcUrl: '' }],
    ['an http URL', { ...BASE, lpcUrl: 'https://x' }],
    ['a URL with a path', { ...BASE, lpcUrl: 'mqtt://x/y' }],
    ['a user in the URL', { ...BASE, lpcUrl: 'mqtt://u:p@x' }],
    ['no device id', { ...BASE, lpcDeviceId: '' }],
    ['a device id with #', { ...BASE, lpcDeviceId: 'a#' }],
    ['an unknown built-in', { ...BASE, lpcBuiltins: 'get_status, fly' }],
    ['a bad pin range', { ...BASE, lpcGpioPins: '5-2' }],
    ['a serial device outside /dev', { ...BASE, lpcUartDevice: '/etc/passwd' }],
    ['an odd serial speed', { ...BASE, lpcUartBaud: '1234' }],
    ['devices neither simulated nor linux', { ...BASE, lpcDevices: 'magic' }],
    ['a CA file that cannot be read', { ...BASE, lpcCaFile: 'missing.crt' }],
    ['a certificate without its key', { ...BASE, lpcCertFile: 'c.pem' }],
    ['a client certificate over plain MQTT', { ...BASE, lpcUrl: 'mqtt://x', lpcCertFile: 'c.pem', lpcKeyFile: 'k.pem' }],
  ];
  for (const [what, def] of BAD) {
    it(`refuses ${what}`, () => {
      assert.equal(parseLibpyiotcloudConfig(def, {}, CTX).ok, false);
    });
  }

  it('is in the registry; simulated devices live under the data dir, Linux ones under the host root', async () => {
    const prepared = DIALECTS['libpyiotcloud']!.prepare(BASE, {}, { ...CTX, hostRoot: '/fake-root' });
    assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
    assert.equal(prepared.value.deviceId, D);
    const agent = prepared.value.create(new MemoryOutbox(), undefined);
    assert.equal(agent.currentStatus.state, 'connecting');
    await agent.stop();
    const cfg = parseLibpyiotcloudConfig({ ...BASE, lpcDevices: 'linux' }, {}, CTX);
    assert.ok(cfg.ok);
    const real = makeDevices(cfg.value, '/fake-root');
    assert.deepEqual(
      [real.gpio.simulated, real.uart.simulated, real.network.simulated, real.clock.simulated],
      [false, false, false, false],
    );
    assert.equal(real.uart.path, '/fake-root/dev/serial0');
    assert.ok(simulatedRoot(cfg.value).startsWith('/nonexistent/data/'));
  });

  it('refuses measurements, events and alarms: the platform has none', async () => {
    const prepared = DIALECTS['libpyiotcloud']!.prepare(BASE, {}, CTX);
    assert.ok(prepared.ok);
    const agent = prepared.value.create(new MemoryOutbox(), undefined);
    await assert.rejects(
      agent.sendMeasurement({ time: new Date(), series: [{ fragment: 'f', series: 's', value: 1 }] }),
      /no device-initiated/,
    );
    await assert.rejects(agent.sendEvent({ type: 't', text: 'x', time: new Date() }), /no device-initiated/);
    await agent.stop();
  });
});
