// GPIO over sysfs on fake trees: chip choice and base offset, export, direction, values; and the
// simulated board (the same code on a tree it writes itself).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseChip, listChips, SysfsGpio } from '../../../devices/gpio/linux';
import { SimulatedGpio } from '../../../devices/gpio/simulated';

async function chip(root: string, name: string, base: number, ngpio: number, label: string): Promise<void> {
  const dir = path.join(root, 'sys/class/gpio', name);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'base'), `${base}\n`);
  await fsp.writeFile(path.join(dir, 'ngpio'), `${ngpio}\n`);
  await fsp.writeFile(path.join(dir, 'label'), `${label}\n`);
}

async function line(root: string, n: number, direction: string, value: string): Promise<string> {
  const dir = path.join(root, 'sys/class/gpio', `gpio${n}`);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'direction'), `${direction}\n`);
  await fsp.writeFile(path.join(dir, 'value'), `${value}\n`);
  return dir;
}

describe('sysfs GPIO (devices/gpio/linux.ts)', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-gpio-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('picks the pinctrl chip and maps pins through its base (Pi OS 6.6 kernels number from 512)', async () => {
    const root = path.join(tmp, 'base');
    await chip(root, 'gpiochip504', 504, 8, 'raspberrypi-exp-gpio');
    await chip(root, 'gpiochip512', 512, 54, 'pinctrl-bcm2711');
    const chips = await listChips(path.join(root, 'sys/class/gpio'));
    assert.equal(chooseChip(chips)?.label, 'pinctrl-bcm2711');
    assert.equal(chooseChip(chips, 'raspberrypi-exp-gpio')?.base, 504);
    await line(root, 529, 'in', '1');
    assert.equal(await new SysfsGpio(root).read(17), 1);
  });

  it('writes "high" to the direction of an input, then the value', async () => {
    const root = path.join(tmp, 'write');
    await chip(root, 'gpiochip0', 0, 54, 'pinctrl-bcm2835');
    const dir = await line(root, 4, 'in', '0');
    const g = new SysfsGpio(root);
    await g.write(4, 1);
    assert.equal((await fsp.readFile(path.join(dir, 'direction'), 'utf8')).trim(), 'high');
    assert.equal((await fsp.readFile(path.join(dir, 'value'), 'utf8')).trim(), '1');
    await fsp.writeFile(path.join(dir, 'direction'), 'out');
    await g.write(4, 0);
    assert.equal((await fsp.readFile(path.join(dir, 'direction'), 'utf8')).trim(), 'out', 'an output keeps its direction');
    assert.equal(await g.read(4), 0);
  });

  it('exports a line that is not there yet and waits for its files', async () => {
    const root = path.join(tmp, 'export');
    await chip(root, 'gpiochip0', 0, 54, 'pinctrl-bcm2835');
    await fsp.writeFile(path.join(root, 'sys/class/gpio/export'), '');
    const g = new SysfsGpio(root, { exportWaitMs: 3000 });
    const reading = g.read(22);
    // The "kernel": the line's directory appears a moment after the export.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal((await fsp.readFile(path.join(root, 'sys/class/gpio/export'), 'utf8')).trim(), '22');
    await line(root, 22, 'in', '1');
    assert.equal(await reading, 1);
  });

  it('refuses pins it does not offer and lines beyond the chip', async () => {
    const root = path.join(tmp, 'range');
    await chip(root, 'gpiochip0', 0, 10, 'pinctrl-small');
    const g = new SysfsGpio(root, { pins: [3, 12] });
    await assert.rejects(g.read(4), /not offered/);
    await assert.rejects(g.read(12), /beyond the 10 lines/);
  });

  it('says so when there is no GPIO chip, and tries again later', async () => {
    const root = path.join(tmp, 'none');
    const g = new SysfsGpio(root);
    await assert.rejects(g.read(4), /no GPIO chip/);
    await chip(root, 'gpiochip0', 0, 54, 'pinctrl-bcm2835');
    await line(root, 4, 'in', '0');
    assert.equal(await g.read(4), 0);
  });

  it('reports a value file with garbage', async () => {
    const root = path.join(tmp, 'garbage');
    await chip(root, 'gpiochip0', 0, 54, 'pinctrl-bcm2835');
    await line(root, 5, 'in', 'x');
    await assert.rejects(new SysfsGpio(root).read(5), /unexpected value/);
  });
});

describe('simulated GPIO (devices/gpio/simulated.ts)', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-simgpio-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('reads 0 for a pin never set, keeps what was written, in files that can be inspected', async () => {
    const g = new SimulatedGpio(tmp);
    assert.equal(g.simulated, true);
    assert.equal(await g.read(12), 0);
    await g.write(12, 1);
    assert.equal(await g.read(12), 1);
    assert.equal((await fsp.readFile(path.join(tmp, 'sys/class/gpio/gpio12/value'), 'utf8')).trim(), '1');
    // A new board on the same tree sees the pin as the last run left it.
    assert.equal(await new SimulatedGpio(tmp).read(12), 1);
  });

  it('orders concurrent writes to one pin', async () => {
    const g = new SimulatedGpio(tmp);
    await Promise.all([g.write(7, 1), g.write(7, 0), g.write(7, 1)]);
    assert.equal(await g.read(7), 1);
  });
});
