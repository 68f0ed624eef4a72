// UART through its device file (devices/uart/linux.ts) and the simulated line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDevicePath, TtyUart } from '../../../devices/uart/linux';
import { SimulatedUart } from '../../../devices/uart/simulated';

describe('tty UART', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-uart-'));
    await fsp.mkdir(path.join(tmp, 'dev'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('writes the text as UTF-8 to the device under the root, in order', async () => {
    await fsp.writeFile(path.join(tmp, 'dev/ttyS0'), '');
    const u = new TtyUart(tmp, '/dev/ttyS0');
    await Promise.all([u.write('Hello '), u.write('Wörld!')]);
    assert.equal(await fsp.readFile(path.join(tmp, 'dev/ttyS0'), 'utf8'), 'Hello Wörld!');
  });

  it('sets the speed once with stty (no shell, our arguments only) before the first write', async () => {
    await fsp.writeFile(path.join(tmp, 'dev/ttyAMA0'), '');
    const calls: string[][] = [];
    const u = new TtyUart(tmp, '/dev/ttyAMA0', { baud: 115200, run: (f, a) => (calls.push([f, ...a]), Promise.resolve()) });
    await u.write('a');
    await u.write('b');
    assert.deepEqual(calls, [['stty', '-F', path.join(tmp, 'dev/ttyAMA0'), '115200', 'raw', '-echo']]);
  });

  it('fails the write when the device is missing, and when stty fails', async () => {
    await assert.rejects(new TtyUart(tmp, '/dev/ttyUSB9').write('x'), /ENOENT/);
    await fsp.writeFile(path.join(tmp, 'dev/ttyS1'), '');
    const u = new TtyUart(tmp, '/dev/ttyS1', { baud: 9600, run: () => Promise.reject(new Error('no such device')) });
    await assert.rejects(u.write('x'), /stty failed/);
  });

  it('accepts only device paths under /dev and known speeds', () => {
    for (const bad of ['/etc/passwd', '/dev/../etc/passwd', 'ttyS0', '/dev/tty S0']) assert.ok(checkDevicePath(bad), bad);
    assert.equal(checkDevicePath('/dev/serial0'), undefined);
    assert.throws(() => new TtyUart(tmp, '/dev/ttyS0', { baud: 1234 }), /unsupported serial speed/);
  });

  it('the simulated line appends to a file that can be read back', async () => {
    const u = new SimulatedUart(path.join(tmp, 'sim'));
    await u.write('Hello World!');
    await u.write('\n');
    assert.equal(await fsp.readFile(u.path, 'utf8'), 'Hello World!\n');
    assert.equal(u.simulated, true);
  });
});
