import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { fail, ok } from '../../dialects/types';
import type { Progress } from '../../devices/software/updater';
import { parseSoftwareUpdateConfig, type ConfigEnv } from '../../nodes/software-update-config';
import { progressReporter, type ProgressPayload } from '../../nodes/software-update-progress';

const ENV: ConfigEnv = {
  userDir: '/home/pi/.node-red',
  supervised: false,
  readFile: (f) => (f === '/ca.pem' ? ok('PEM') : fail('ENOENT')),
};

describe('software update node settings', () => {
  it('defaults: archive off without a directory, node-red-package on, apt off, 30 min, 256 MiB, https only', () => {
    const r = parseSoftwareUpdateConfig({}, {}, ENV);
    assert.ok(r.ok);
    assert.equal(r.value.handlers.archive, undefined);
    assert.equal(r.value.handlers.apt, undefined);
    assert.equal(r.value.handlers.nodeRed?.userDir, '/home/pi/.node-red');
    assert.equal(r.value.handlers.nodeRed?.restart, 'ask');
    assert.deepEqual(r.value.types, ['node-red-package']);
    assert.equal(r.value.defaults.type, 'node-red-package');
    assert.equal(r.value.timeoutSec, 1800);
    assert.equal(r.value.download.maxBytes, 256 * 1024 * 1024);
    assert.equal(r.value.download.allowHttp, false);
  });

  it('turns the archive type on with an absolute directory, and apt only with the settings.js switch', () => {
    const r = parseSoftwareUpdateConfig(
      { archiveDir: '/opt/apps', healthCheck: ' /opt/check.sh ', maxSizeMb: '10' },
      { apt: true, aptSudo: [] },
      ENV,
    );
    assert.ok(r.ok);
    assert.equal(r.value.handlers.archive?.root, '/opt/apps');
    assert.equal(r.value.handlers.archive?.healthCheck, '/opt/check.sh');
    assert.equal(r.value.handlers.archive?.limits.maxTotalBytes, 40 * 1024 * 1024);
    assert.deepEqual(r.value.handlers.apt?.sudo, []);
    assert.deepEqual(r.value.types, ['archive', 'node-red-package', 'apt']);
    assert.equal(r.value.defaults.type, 'archive');
  });

  it('takes a relative archive directory inside the Node-RED user directory', () => {
    const r = parseSoftwareUpdateConfig({ archiveDir: 'apps' }, {}, ENV);
    assert.ok(r.ok);
    assert.equal(r.value.handlers.archive?.root, '/home/pi/.node-red/apps');
  });

  it('reads an Ed25519 public key and a CA file', () => {
    const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const r = parseSoftwareUpdateConfig({ publicKey: pem, caFile: '/ca.pem' }, {}, ENV);
    assert.ok(r.ok);
    assert.equal(r.value.publicKey?.asymmetricKeyType, 'ed25519');
    assert.equal(r.value.download.ca, 'PEM');
  });

  for (const [what, def, settings, match] of [
    ['an archive directory from an unset environment variable', { archiveDir: '${DA_NOT_SET}' }, {}, /not set/],
    ['apt without the setting', { installType: 'apt' }, {}, /apt is off/],
    ['the archive type without a directory', { installType: 'archive' }, {}, /needs a target directory/],
    ['an unknown type', { installType: 'snap' }, {}, /unknown install type/],
    ['a Node-RED restart without a supervisor', { npmRestart: 'perform' }, {}, /needs a supervisor/],
    ['a bad timeout', { timeout: '5' }, {}, /timeout/],
    ['a bad public key', { publicKey: 'xyz' }, {}, /32 bytes/],
    ['a missing CA file', { caFile: '/nope.pem' }, {}, /CA file: ENOENT/],
    ['firmware on a type that is off', { firmwareType: 'apt' }, {}, /not on/],
  ] as const) {
    it(`refuses ${what}`, () => {
      const r = parseSoftwareUpdateConfig(def, settings, ENV);
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, match);
    });
  }

  it('allows a Node-RED restart under a supervisor', () => {
    const r = parseSoftwareUpdateConfig({ npmRestart: 'perform' }, {}, { ...ENV, supervised: true });
    assert.ok(r.ok);
    assert.equal(r.value.handlers.nodeRed?.restart, 'perform');
  });
});

describe('software update progress', () => {
  it('shows every phase change and throttles download progress (1 s status, 5 s or 10 % messages)', () => {
    let now = 0;
    const statuses: string[] = [];
    const msgs: ProgressPayload[] = [];
    const report = progressReporter(
      'op1',
      { status: (s) => statuses.push(String(s.text)), message: (p) => msgs.push(p) },
      (p) => p,
      () => now,
    );
    const p = (phase: string, bytes?: number): Progress => ({
      jobId: 'j',
      phase,
      module: 'app',
      bytes,
      total: bytes === undefined ? undefined : 1000,
    });
    report(p('downloading', 0));
    for (let b = 10; b <= 1000; b += 10) {
      now += 50;
      report(p('downloading', b));
    }
    report(p('verifying'));
    assert.equal(statuses[0], 'downloading 0%');
    assert.ok(statuses.length <= 8, `${statuses.length} status updates for 5 s of download`);
    const downloadMsgs = msgs.filter((m) => m.phase === 'downloading');
    assert.ok(downloadMsgs.length >= 10 && downloadMsgs.length <= 12, `${downloadMsgs.length} progress messages`);
    assert.equal(msgs.at(-1)?.phase, 'verifying');
    assert.equal(msgs.at(-1)?.opId, 'op1');
    assert.equal(statuses.at(-1), 'verifying');
  });
});
