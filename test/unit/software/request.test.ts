import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { requestFromOperation, requestFromPayload, type RequestDefaults } from '../../../devices/software/request';

const D: RequestDefaults = { type: 'archive', firmwareType: '', listMode: 'auto' };
const SHA = 'ab'.repeat(32);

describe('software update requests', () => {
  it('reads a 528 c8y_SoftwareUpdate: default type, legacy list, checksum and signature from the URL fragment', () => {
    const r = requestFromOperation(
      'c8y_SoftwareUpdate',
      [
        { name: 'app', version: '2.0', url: `https://t1.example.com/inventory/binaries/9#sha256=${SHA}&sig=c2ln`, action: 'install' },
        { name: 'old', version: '', url: '', action: 'delete' },
      ],
      D,
    );
    assert.deepEqual(r, {
      ok: true,
      value: {
        kind: 'software',
        listMode: 'legacy',
        modules: [
          {
            name: 'app',
            version: '2.0',
            type: 'archive',
            action: 'install',
            url: 'https://t1.example.com/inventory/binaries/9',
            sha256: SHA,
            signature: 'c2ln',
          },
          { name: 'old', version: '', type: 'archive', action: 'delete' },
        ],
      },
    });
  });

  it('reads a 529 (softwareType) as advanced and a type in the version as <version>::<type>', () => {
    const r = requestFromOperation(
      'c8y_SoftwareUpdate',
      [
        { name: 'node-red-contrib-x', version: '1.2.3', softwareType: 'node-red-package', url: '', action: 'install' },
        { name: 'tool', version: '3.1::apt', url: '', action: 'install' },
      ],
      D,
    );
    assert.ok(r.ok);
    assert.equal(r.value.listMode, 'advanced');
    assert.deepEqual(
      r.value.modules.map((m) => [m.name, m.version, m.type]),
      [
        ['node-red-contrib-x', '1.2.3', 'node-red-package'],
        ['tool', '3.1', 'apt'],
      ],
    );
  });

  it('reads a plain message (one module or a list)', () => {
    const r = requestFromPayload(
      { name: 'app', version: '1', url: 'http://127.0.0.1/a.zip', sha256: SHA.toUpperCase(), type: 'archive' },
      D,
    );
    assert.ok(r.ok);
    assert.equal(r.value.modules[0]?.sha256, SHA);
    assert.equal(r.value.modules[0]?.action, 'install');
    assert.equal(
      requestFromPayload(
        [
          { name: 'a', version: '1' },
          { name: 'b', action: 'delete' },
        ],
        D,
      ).ok,
      true,
    );
  });

  it('maps c8y_Firmware to the configured firmware type, and refuses it when firmware is off', () => {
    assert.match(
      (requestFromOperation('c8y_Firmware', { name: 'os', version: '12', url: 'https://x/y' }, D) as { error: string }).error,
      /not enabled/,
    );
    const r = requestFromOperation('c8y_Firmware', { name: 'os', version: '12', url: 'https://x/y' }, { ...D, firmwareType: 'archive' });
    assert.ok(r.ok);
    assert.equal(r.value.kind, 'firmware');
    assert.equal(r.value.modules[0]?.type, 'archive');
  });

  for (const [what, input, match] of [
    ['no list', {}, /without a list/],
    ['an empty list', [], /nothing to install/],
    ['a module without a name', [{ version: '1' }], /name is needed/],
    ['an install without a version', [{ name: 'a', url: 'https://x/y', action: 'install' }], /version is needed/],
    ['an unknown action', [{ name: 'a', version: '1', action: 'explode' }], /unknown action/],
    ['a bad URL', [{ name: 'a', version: '1', url: 'ftp://x/y' }], /only http/],
    ['a bad checksum', [{ name: 'a', version: '1', url: 'https://x/y#sha256=xyz' }], /SHA-256/],
    [
      'a name listed twice',
      [
        { name: 'a', version: '1' },
        { name: 'a', version: '2' },
      ],
      /twice/,
    ],
    ['a control character in a name', [{ name: 'a\nb', version: '1' }], /name is needed/],
  ] as const) {
    it(`refuses ${what}`, () => {
      const r = requestFromOperation('c8y_SoftwareUpdate', input, D);
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, match);
    });
  }

  it('refuses operations that are not updates', () => {
    assert.equal(requestFromOperation('c8y_Restart', {}, D).ok, false);
  });
});
