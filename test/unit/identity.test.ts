// Host identity from a Linux tree (devices/host/identity.ts): Raspberry Pi serial, model and
// revision, machine id, and the default device id built from them (protocol reference §1:
// the device id becomes the c8y_Serial external id and must not contain ":").
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultDeviceId, parseCpuinfo, readHostIdentity } from '../../devices/host/identity';

const PI4_CPUINFO = [
  'processor\t: 0',
  'BogoMIPS\t: 108.00',
  'Features\t: fp asimd evtstrm crc32 cpuid',
  'CPU implementer\t: 0x41',
  '',
  'processor\t: 1',
  'BogoMIPS\t: 108.00',
  '',
  'Hardware\t: BCM2835',
  'Revision\t: c03114',
  'Serial\t\t: 10000000abcdef01',
  'Model\t\t: Raspberry Pi 4 Model B Rev 1.4',
  '',
].join('\n');

const X86_CPUINFO = [
  'processor\t: 0',
  'vendor_id\t: GenuineIntel',
  'cpu family\t: 6',
  'model\t\t: 158',
  'model name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz',
  'cache size\t: 12288 KB',
  '',
].join('\n');

describe('parseCpuinfo', () => {
  it('reads "Key : value" lines with tabs, lower-casing keys and trimming values', () => {
    const m = parseCpuinfo(PI4_CPUINFO);
    assert.equal(m.get('serial'), '10000000abcdef01');
    assert.equal(m.get('revision'), 'c03114');
    assert.equal(m.get('model'), 'Raspberry Pi 4 Model B Rev 1.4');
    assert.equal(m.get('hardware'), 'BCM2835');
    assert.equal(m.get('cpu implementer'), '0x41');
  });

  it('keeps the last value of a key that repeats per processor', () => {
    assert.equal(parseCpuinfo(PI4_CPUINFO).get('processor'), '1');
  });

  it('keeps a value that contains colons, and an empty value', () => {
    const m = parseCpuinfo('Flags : a:b:c\nSerial :\n');
    assert.equal(m.get('flags'), 'a:b:c');
    assert.equal(m.get('serial'), '');
  });

  it('ignores blank lines and lines without a key', () => {
    const m = parseCpuinfo('\n: orphan\nno colon here\n   \n');
    assert.equal(m.size, 0);
  });
});

describe('readHostIdentity', () => {
  let root = '';

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'device-agent-host-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  function write(rel: string, content: string): void {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  it('reads serial, revision and model of a Raspberry Pi, the model from the device tree without its NUL', () => {
    write('proc/cpuinfo', PI4_CPUINFO);
    write('proc/device-tree/model', 'Raspberry Pi 4 Model B Rev 1.5\0');
    write('etc/machine-id', '0123456789abcdef0123456789abcdef\n');
    assert.deepEqual(readHostIdentity(root, 'pi-host'), {
      serial: '10000000abcdef01',
      model: 'Raspberry Pi 4 Model B Rev 1.5',
      revision: 'c03114',
      machineId: '0123456789abcdef0123456789abcdef',
      hostname: 'pi-host',
    });
  });

  it('falls back to the cpuinfo model without a device tree', () => {
    write('proc/cpuinfo', PI4_CPUINFO);
    assert.equal(readHostIdentity(root, 'h').model, 'Raspberry Pi 4 Model B Rev 1.4');
  });

  it('reads the serial from the device tree, without its NUL, when cpuinfo has none', () => {
    write('proc/cpuinfo', 'Revision\t: d04170\n');
    write('proc/device-tree/serial-number', '10000000deadbeef\0');
    write('proc/device-tree/model', 'Raspberry Pi 5 Model B Rev 1.0\0');
    const id = readHostIdentity(root, 'h');
    assert.equal(id.serial, '10000000deadbeef');
    assert.equal(id.revision, 'd04170');
    assert.equal(id.model, 'Raspberry Pi 5 Model B Rev 1.0');
  });

  it('prefers the cpuinfo serial over the device tree', () => {
    write('proc/cpuinfo', PI4_CPUINFO);
    write('proc/device-tree/serial-number', 'ffffffff\0');
    assert.equal(readHostIdentity(root, 'h').serial, '10000000abcdef01');
  });

  it('ignores an all-zero serial', () => {
    write('proc/cpuinfo', 'Serial\t\t: 0000000000000000\n');
    assert.equal(readHostIdentity(root, 'h').serial, undefined);
  });

  it('ignores an all-zero or empty cpuinfo serial in favour of the device tree', () => {
    write('proc/cpuinfo', 'Serial\t\t: 0000000000000000\n');
    write('proc/device-tree/serial-number', '02c0ffee\0');
    assert.equal(readHostIdentity(root, 'h').serial, '02c0ffee');
    write('proc/cpuinfo', 'Serial\t\t:\n');
    assert.equal(readHostIdentity(root, 'h').serial, '02c0ffee');
  });

  it('ignores an all-zero device-tree serial', () => {
    write('proc/device-tree/serial-number', '00000000\0');
    assert.equal(readHostIdentity(root, 'h').serial, undefined);
  });

  it('does not take the numeric CPU model of an x86 host for a board model', () => {
    write('proc/cpuinfo', X86_CPUINFO);
    const id = readHostIdentity(root, 'pc');
    assert.equal(id.model, undefined);
    assert.equal(id.serial, undefined);
    assert.equal(id.revision, undefined);
  });

  it('treats empty or NUL-only files as absent', () => {
    write('proc/device-tree/model', '\0');
    write('etc/machine-id', '  \n');
    write('proc/cpuinfo', '');
    const id = readHostIdentity(root, 'h');
    assert.equal(id.model, undefined);
    assert.equal(id.machineId, undefined);
  });

  it('gives only the host name for an empty tree', () => {
    assert.deepEqual(readHostIdentity(root, 'bare'), {
      serial: undefined,
      model: undefined,
      revision: undefined,
      machineId: undefined,
      hostname: 'bare',
    });
  });

  it("uses the operating system's host name by default", () => {
    assert.equal(readHostIdentity(root).hostname, os.hostname());
  });
});

describe('defaultDeviceId', () => {
  it('prefers the serial, then the machine id, then the host name', () => {
    assert.equal(defaultDeviceId({ serial: 's1', machineId: 'm1', hostname: 'h1' }), 's1');
    assert.equal(defaultDeviceId({ machineId: 'm1', hostname: 'h1' }), 'm1');
    assert.equal(defaultDeviceId({ hostname: 'h1' }), 'h1');
  });

  it('replaces ":", "/", "+", "#" and whitespace with "-"', () => {
    assert.equal(defaultDeviceId({ hostname: 'my host:1/a+b#c\td' }), 'my-host-1-a-b-c-d');
  });

  it('leaves dots, dashes and underscores alone', () => {
    assert.equal(defaultDeviceId({ hostname: 'pi-4_b.local' }), 'pi-4_b.local');
  });

  it('builds the id from a fake Raspberry Pi tree end to end', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'device-agent-host-'));
    try {
      fs.mkdirSync(path.join(root, 'proc'), { recursive: true });
      fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
      fs.writeFileSync(path.join(root, 'proc/cpuinfo'), 'Serial\t\t: 0000000000000000\n');
      fs.writeFileSync(path.join(root, 'etc/machine-id'), 'abc123\n');
      assert.equal(defaultDeviceId(readHostIdentity(root, 'raspberrypi')), 'abc123');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
