// Runtime validation of the connection node's settings (nodes/connection-config.ts; protocol
// reference §1 for ports, user name, client id and keep-alive).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectionConfig, type ConfigContext, type ConnectionCredentials, type ConnectionDef } from '../../nodes/connection-config';
import { fail, ok, type Result } from '../../dialects/types';
import type { AgentConfig } from '../../agent/cumulocity-agent';

const PEMS: Record<string, string> = {
  '/etc/c8y/ca.pem': 'CA-PEM',
  '/etc/c8y/cert.pem': 'CERT-PEM',
  '/etc/c8y/key.pem': 'KEY-PEM',
};

interface Ctx extends ConfigContext {
  reads: string[];
}

function ctx(over: Partial<ConfigContext> = {}): Ctx {
  const reads: string[] = [];
  return {
    env: {},
    defaultDeviceId: 'host-serial-1',
    hardware: { serial: 'host-serial-1', model: 'Pi 4', revision: 'c03114' },
    agentVersion: '9.9.9',
    dataDir: '/var/lib/agent',
    readFile: (f: string): Result<string> => {
      reads.push(f);
      const pem = PEMS[f];
      return pem === undefined ? fail('ENOENT: no such file') : ok(pem);
    },
    ...over,
    reads,
  };
}

const BASIC: ConnectionDef = { host: 'mqtt.example.com', tenant: 't12345' };
const CREDS: ConnectionCredentials = { user: 'device_rpi', password: 's3cret' };

function value<V>(r: Result<V>): V {
  if (!r.ok) assert.fail(`expected ok, got error: ${r.error}`);
  return r.value;
}
function errorOf<V>(r: Result<V>): string {
  if (r.ok) assert.fail('expected an error, got a configuration');
  return r.error;
}
function parse(def: ConnectionDef, creds: ConnectionCredentials = CREDS, c: ConfigContext = ctx()): Result<AgentConfig> {
  return parseConnectionConfig(def, creds, c);
}

describe('parseConnectionConfig: defaults', () => {
  it('fills every default from host, tenant and credentials alone', () => {
    assert.deepEqual(value(parse(BASIC)), {
      url: 'mqtts://mqtt.example.com:8883',
      host: 'mqtt.example.com',
      tenant: 't12345',
      deviceId: 'host-serial-1',
      auth: { mode: 'basic', user: 'device_rpi', password: 's3cret' },
      tls: { verifyServer: true },
      httpTls: { ca: undefined, verifyServer: true },
      drainRatePerSec: 10,
      keepaliveSec: 60,
      will: true,
      operationMode: 'id',
      deviceName: 'host-serial-1',
      deviceType: 'c8y_NodeRedDeviceAgent',
      requiredIntervalMin: undefined,
      hardware: { serial: 'host-serial-1', model: 'Pi 4', revision: 'c03114' },
      agentVersion: '9.9.9',
      dataDir: '/var/lib/agent',
      restartTimeoutSec: 3600,
      bootstrapPollSec: 5,
      bootstrapTimeoutSec: 1800,
      badCredentialsRetrySec: 600,
    });
  });

  it('takes explicit settings, trimming text', () => {
    const c = value(
      parse({
        ...BASIC,
        host: '  mqtt.example.com ',
        tenant: ' t999 ',
        deviceId: ' rpi-0001 ',
        deviceName: ' Kitchen Pi ',
        deviceType: ' c8y_Pi ',
        keepalive: '30',
        will: false,
        operationMode: 'static',
        requiredInterval: 10,
        restartTimeout: '120',
        bootstrapPoll: 2,
        bootstrapTimeout: '60',
        badCredentialsRetry: '0',
      }),
    );
    assert.equal(c.host, 'mqtt.example.com');
    assert.equal(c.tenant, 't999');
    assert.equal(c.deviceId, 'rpi-0001');
    assert.equal(c.deviceName, 'Kitchen Pi');
    assert.equal(c.deviceType, 'c8y_Pi');
    assert.equal(c.keepaliveSec, 30);
    assert.equal(c.will, false);
    assert.equal(c.operationMode, 'static');
    assert.equal(c.requiredIntervalMin, 10);
    assert.equal(c.restartTimeoutSec, 120);
    assert.equal(c.bootstrapPollSec, 2);
    assert.equal(c.bootstrapTimeoutSec, 60);
    assert.equal(c.badCredentialsRetrySec, 0);
  });

  it('treats an unresolved ${NAME} setting as empty so the default applies', () => {
    const c = value(parse({ ...BASIC, deviceId: '${DEVICE_ID}', keepalive: '${KEEPALIVE}' }));
    assert.equal(c.deviceId, 'host-serial-1');
    assert.equal(c.keepaliveSec, 60);
  });

  it('rejects an unknown dialect and accepts the explicit cumulocity one', () => {
    assert.equal(errorOf(parse({ ...BASIC, dialect: 'aws' })), 'unknown platform dialect "aws"');
    assert.ok(parse({ ...BASIC, dialect: 'cumulocity' }).ok);
  });

  it('rejects a missing host and one with a scheme, path or space', () => {
    assert.equal(errorOf(parse({ ...BASIC, host: '' })), 'host is not set');
    assert.equal(errorOf(parse({ tenant: 't1' })), 'host is not set');
    for (const h of ['mqtts://mqtt.example.com', 'mqtt.example.com/mqtt', 'mqtt example.com']) {
      assert.match(errorOf(parse({ ...BASIC, host: h })), /without scheme or path/, h);
    }
  });
});

describe('parseConnectionConfig: protocol, port and url', () => {
  it('infers the protocol from a well-known port', () => {
    const cases: [string | number, string][] = [
      ['1883', 'mqtt://mqtt.example.com:1883'],
      [8883, 'mqtts://mqtt.example.com:8883'],
      ['80', 'ws://mqtt.example.com:80/mqtt'],
      [443, 'wss://mqtt.example.com:443/mqtt'],
    ];
    for (const [port, url] of cases) assert.equal(value(parse({ ...BASIC, port })).url, url, String(port));
  });

  it('uses mqtts on any other port when no protocol is set', () => {
    assert.equal(value(parse({ ...BASIC, port: '9883' })).url, 'mqtts://mqtt.example.com:9883');
  });

  it('uses the default port of an explicit protocol', () => {
    const cases: [string, string][] = [
      ['mqtt', 'mqtt://mqtt.example.com:1883'],
      ['mqtts', 'mqtts://mqtt.example.com:8883'],
      ['ws', 'ws://mqtt.example.com:80/mqtt'],
      ['wss', 'wss://mqtt.example.com:443/mqtt'],
    ];
    for (const [protocol, url] of cases) assert.equal(value(parse({ ...BASIC, protocol })).url, url, protocol);
  });

  it('lets an explicit protocol win over the port', () => {
    assert.equal(value(parse({ ...BASIC, protocol: 'mqtt', port: 8883 })).url, 'mqtt://mqtt.example.com:8883');
  });

  it('builds the WebSocket url with the path, adding a missing leading slash', () => {
    assert.equal(value(parse({ ...BASIC, protocol: 'wss', wsPath: 'ws/mqtt' })).url, 'wss://mqtt.example.com:443/ws/mqtt');
    assert.equal(value(parse({ ...BASIC, protocol: 'ws', port: 8080, wsPath: '/custom' })).url, 'ws://mqtt.example.com:8080/custom');
  });

  it('ignores the WebSocket path for plain MQTT', () => {
    assert.equal(value(parse({ ...BASIC, protocol: 'mqtts', wsPath: '/mqtt' })).url, 'mqtts://mqtt.example.com:8883');
  });

  it('rejects an unknown protocol, including names of Object.prototype members', () => {
    for (const p of ['http', 'MQTT', 'constructor', 'toString', '__proto__']) {
      assert.equal(errorOf(parse({ ...BASIC, protocol: p })), `protocol must be mqtt, mqtts, ws or wss, not "${p}"`);
    }
  });

  it('does not infer a protocol from a port named like an Object.prototype member', () => {
    assert.match(errorOf(parse({ ...BASIC, port: 'constructor' })), /port must be a whole number from 1 to 65535/);
  });

  it('accepts ports 1 and 65535 and rejects 0, 65536, fractions and text', () => {
    assert.equal(value(parse({ ...BASIC, port: 1 })).url, 'mqtts://mqtt.example.com:1');
    assert.equal(value(parse({ ...BASIC, port: '65535' })).url, 'mqtts://mqtt.example.com:65535');
    for (const p of [0, '65536', '88.3', 'abc', -1]) {
      assert.equal(errorOf(parse({ ...BASIC, port: p })), `port must be a whole number from 1 to 65535, not "${String(p)}"`);
    }
  });
});

describe('parseConnectionConfig: device id', () => {
  it('uses the host default when no device id is set', () => {
    assert.equal(value(parse({ ...BASIC, deviceId: '  ' })).deviceId, 'host-serial-1');
  });

  it('names the device after its id unless a name is set', () => {
    assert.equal(value(parse({ ...BASIC, deviceId: 'rpi-7' })).deviceName, 'rpi-7');
  });

  it('fails when neither the settings nor the host give a device id', () => {
    assert.equal(errorOf(parse({ ...BASIC }, CREDS, ctx({ defaultDeviceId: '' }))), 'device id is empty');
  });

  it('rejects ":", "/", "+", "#" and whitespace in the device id, also in the host default', () => {
    for (const id of ['d:rpi', 'a/b', 'a+b', 'a#b', 'a b', 'a\tb']) {
      assert.match(errorOf(parse({ ...BASIC, deviceId: id })), /must not contain/, id);
    }
    assert.match(errorOf(parse({ ...BASIC }, CREDS, ctx({ defaultDeviceId: 'x:y' }))), /device id "x:y" must not contain/);
  });
});

describe('parseConnectionConfig: authentication', () => {
  it('basic: needs the tenant, user and password', () => {
    assert.equal(errorOf(parse({ ...BASIC, tenant: '', authMode: 'basic' })), 'tenant id is not set (e.g. t12345)');
    const need = 'user name and password are needed for basic authentication';
    assert.equal(errorOf(parse({ ...BASIC, authMode: 'basic' }, { user: 'u' })), need);
    assert.equal(errorOf(parse({ ...BASIC, authMode: 'basic' }, { password: 'p' })), need);
  });

  it('bootstrap: needs only the bootstrap password, the user defaults to devicebootstrap, no tenant needed', () => {
    const c = value(parse({ host: 'h', authMode: 'bootstrap' }, { bootstrapPassword: 'bs' }));
    assert.deepEqual(c.auth, { mode: 'bootstrap', user: 'devicebootstrap', password: 'bs' });
    assert.equal(c.tenant, '');
    const custom = value(parse({ host: 'h', authMode: 'bootstrap' }, { bootstrapUser: 'mgmt/bs', bootstrapPassword: 'bs' }));
    assert.deepEqual(custom.auth, { mode: 'bootstrap', user: 'mgmt/bs', password: 'bs' });
    assert.equal(
      errorOf(parse({ host: 'h', authMode: 'bootstrap' }, { bootstrapUser: 'x' })),
      'the bootstrap password is needed for bootstrap',
    );
  });

  it('cert: needs a certificate and a key file and mqtts, and reads both', () => {
    const c = ctx();
    const cfg = value(parse({ host: 'h', authMode: 'cert', certFile: '/etc/c8y/cert.pem', keyFile: '/etc/c8y/key.pem' }, {}, c));
    assert.deepEqual(cfg.auth, { mode: 'cert' });
    assert.deepEqual(cfg.tls, { verifyServer: true, cert: 'CERT-PEM', key: 'KEY-PEM' });
    assert.deepEqual(c.reads, ['/etc/c8y/cert.pem', '/etc/c8y/key.pem']);
    const needFiles = 'certificate authentication needs a certificate file and a key file';
    assert.equal(errorOf(parse({ host: 'h', authMode: 'cert', certFile: '/etc/c8y/cert.pem' }, {})), needFiles);
    assert.equal(errorOf(parse({ host: 'h', authMode: 'cert', keyFile: '/etc/c8y/key.pem' }, {})), needFiles);
    for (const protocol of ['wss', 'mqtt', 'ws']) {
      assert.equal(
        errorOf(parse({ host: 'h', protocol, authMode: 'cert', certFile: '/etc/c8y/cert.pem', keyFile: '/etc/c8y/key.pem' }, {})),
        'certificate authentication works only over mqtts',
      );
    }
  });

  it('rejects an unknown authentication mode', () => {
    assert.equal(errorOf(parse({ ...BASIC, authMode: 'oauth' })), 'unknown authentication mode "oauth"');
  });

  it('auto: basic when user and password are set, even if bootstrap and cert are also possible', () => {
    const def = { ...BASIC, certFile: '/etc/c8y/cert.pem', keyFile: '/etc/c8y/key.pem' };
    assert.equal(value(parse(def, { ...CREDS, bootstrapPassword: 'bs' })).auth.mode, 'basic');
  });

  it('auto: bootstrap when the device password is missing but a bootstrap password is set', () => {
    assert.equal(value(parse({ host: 'h' }, { user: 'u', bootstrapPassword: 'bs' })).auth.mode, 'bootstrap');
  });

  it('auto: cert when only a certificate file is set', () => {
    const def = { host: 'h', certFile: '/etc/c8y/cert.pem', keyFile: '/etc/c8y/key.pem' };
    assert.equal(value(parse(def, {})).auth.mode, 'cert');
  });

  it('auto: falls back to basic and reports what is missing when nothing is set', () => {
    assert.equal(errorOf(parse({ host: 'h' }, {})), 'tenant id is not set (e.g. t12345)');
    assert.equal(errorOf(parse({ host: 'h', tenant: 't1' }, {})), 'user name and password are needed for basic authentication');
  });
});

describe('parseConnectionConfig: credentials from environment variables', () => {
  it('reads the default variable names and ignores the stored credentials', () => {
    const env = { C8Y_USER: 'env-user', C8Y_PASSWORD: 'env-pass' };
    const c = value(parse({ ...BASIC, credentialsFrom: 'env' }, { user: 'stored', password: 'stored' }, ctx({ env })));
    assert.deepEqual(c.auth, { mode: 'basic', user: 'env-user', password: 'env-pass' });
  });

  it('reads custom variable names, trimmed', () => {
    const env = { MY_USER: 'u1', MY_PASS: 'p1', C8Y_USER: 'wrong', C8Y_PASSWORD: 'wrong' };
    const def = { ...BASIC, credentialsFrom: 'env', userEnv: ' MY_USER ', passwordEnv: 'MY_PASS' };
    assert.deepEqual(value(parse(def, {}, ctx({ env }))).auth, { mode: 'basic', user: 'u1', password: 'p1' });
  });

  it('reads bootstrap credentials from default and custom names', () => {
    const env = { C8Y_BOOTSTRAP_USER: 'bsu', C8Y_BOOTSTRAP_PASSWORD: 'bsp', OTHER_BS: 'bsp2' };
    assert.deepEqual(value(parse({ host: 'h', credentialsFrom: 'env' }, {}, ctx({ env }))).auth, {
      mode: 'bootstrap',
      user: 'bsu',
      password: 'bsp',
    });
    const def = { host: 'h', credentialsFrom: 'env', bootstrapUserEnv: 'NONE', bootstrapPasswordEnv: 'OTHER_BS' };
    assert.deepEqual(value(parse(def, {}, ctx({ env }))).auth, { mode: 'bootstrap', user: 'devicebootstrap', password: 'bsp2' });
  });

  it('fails like missing credentials when the variables are not set', () => {
    assert.equal(
      errorOf(parse({ ...BASIC, credentialsFrom: 'env' }, CREDS, ctx({ env: { C8Y_USER: 'u' } }))),
      'user name and password are needed for basic authentication',
    );
  });

  it('uses the stored credentials for any other credentialsFrom value', () => {
    const env = { C8Y_USER: 'env-user', C8Y_PASSWORD: 'env-pass' };
    assert.deepEqual(value(parse({ ...BASIC, credentialsFrom: 'credentials' }, CREDS, ctx({ env }))).auth, {
      mode: 'basic',
      user: 'device_rpi',
      password: 's3cret',
    });
  });
});

describe('parseConnectionConfig: TLS', () => {
  it('verifies the server by default on mqtts and wss and has no TLS on mqtt and ws', () => {
    assert.deepEqual(value(parse({ ...BASIC, protocol: 'mqtts' })).tls, { verifyServer: true });
    assert.deepEqual(value(parse({ ...BASIC, protocol: 'wss' })).tls, { verifyServer: true });
    assert.equal(value(parse({ ...BASIC, protocol: 'mqtt' })).tls, undefined);
    assert.equal(value(parse({ ...BASIC, protocol: 'ws' })).tls, undefined);
  });

  it('turns verification off only for an explicit false', () => {
    assert.equal(value(parse({ ...BASIC, verifyServer: false })).tls?.verifyServer, false);
    assert.equal(value(parse({ ...BASIC, verifyServer: 'false' })).tls?.verifyServer, false);
    assert.equal(value(parse({ ...BASIC, verifyServer: true })).tls?.verifyServer, true);
    assert.equal(value(parse({ ...BASIC, verifyServer: 'true' })).tls?.verifyServer, true);
    for (const v of ['', 'TRUE', 'yes', '1', 'on']) {
      assert.equal(value(parse({ ...BASIC, verifyServer: v })).tls?.verifyServer, true, v);
    }
  });

  it('reads the CA file through the injected reader into the TLS settings', () => {
    const c = ctx();
    const cfg = value(parse({ ...BASIC, caFile: ' /etc/c8y/ca.pem ' }, CREDS, c));
    assert.deepEqual(cfg.tls, { verifyServer: true, ca: 'CA-PEM' });
    assert.deepEqual(c.reads, ['/etc/c8y/ca.pem']);
  });

  it('reads CA, certificate and key for wss too', () => {
    const def = { ...BASIC, protocol: 'wss', caFile: '/etc/c8y/ca.pem', certFile: '/etc/c8y/cert.pem', keyFile: '/etc/c8y/key.pem' };
    assert.deepEqual(value(parse(def)).tls, { verifyServer: true, ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' });
  });

  it('uses no TLS for plain mqtt, but the CA file still vouches for the HTTPS side', () => {
    const c = ctx();
    const cfg = value(parse({ ...BASIC, protocol: 'mqtt', caFile: '/etc/c8y/ca.pem' }, CREDS, c));
    assert.equal(cfg.tls, undefined);
    assert.deepEqual(c.reads, ['/etc/c8y/ca.pem']);
    assert.deepEqual(cfg.httpTls, { ca: 'CA-PEM', verifyServer: true });
    assert.deepEqual(value(parse({ ...BASIC, protocol: 'mqtt', verifyServer: false }, CREDS, ctx())).httpTls, {
      ca: undefined,
      verifyServer: false,
    });
  });

  it('fails with the field, the file and the cause when a file cannot be read', () => {
    assert.equal(errorOf(parse({ ...BASIC, caFile: '/missing/ca.pem' })), 'cannot read the ca file /missing/ca.pem: ENOENT: no such file');
    assert.equal(
      errorOf(parse({ host: 'h', authMode: 'cert', certFile: '/etc/c8y/cert.pem', keyFile: '/missing/key.pem' }, {})),
      'cannot read the key file /missing/key.pem: ENOENT: no such file',
    );
  });
});

describe('parseConnectionConfig: numeric ranges', () => {
  const ranges: [keyof ConnectionDef, string, number, number, keyof AgentConfig][] = [
    ['keepalive', 'keep-alive', 10, 1200, 'keepaliveSec'],
    ['requiredInterval', 'required interval', 0, 100_000, 'requiredIntervalMin'],
    ['restartTimeout', 'restart timeout', 10, 86_400, 'restartTimeoutSec'],
    ['bootstrapPoll', 'bootstrap poll interval', 1, 60, 'bootstrapPollSec'],
    ['bootstrapTimeout', 'bootstrap timeout', 10, 86_400, 'bootstrapTimeoutSec'],
    ['badCredentialsRetry', 'retry after bad credentials', 0, 86_400, 'badCredentialsRetrySec'],
  ];

  for (const [field, what, min, max, out] of ranges) {
    it(`${what}: accepts ${min} and ${max}, rejects values outside, fractions and text`, () => {
      if (min > 0) assert.equal(value(parse({ ...BASIC, [field]: min }))[out], min);
      assert.equal(value(parse({ ...BASIC, [field]: String(max) }))[out], max);
      for (const bad of [min - 1, max + 1, '1.5', 'ten']) {
        assert.equal(
          errorOf(parse({ ...BASIC, [field]: bad })),
          `${what} must be a whole number from ${min} to ${max}, not "${String(bad)}"`,
          `${field}=${String(bad)}`,
        );
      }
    });
  }

  it('required interval 0 means "not set"', () => {
    assert.equal(value(parse({ ...BASIC, requiredInterval: 0 })).requiredIntervalMin, undefined);
    assert.equal(value(parse({ ...BASIC, requiredInterval: '1' })).requiredIntervalMin, 1);
  });

  it('rejects an unknown operation mode', () => {
    assert.equal(errorOf(parse({ ...BASIC, operationMode: 'json' })), 'operation mode must be id or static, not "json"');
  });

  it('keeps the last will on unless explicitly off', () => {
    assert.equal(value(parse({ ...BASIC, will: 'false' })).will, false);
    assert.equal(value(parse({ ...BASIC, will: '' })).will, true);
    assert.equal(value(parse({ ...BASIC, will: 'true' })).will, true);
  });
});
