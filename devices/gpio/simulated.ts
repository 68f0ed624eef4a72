/**
 * A simulated GPIO board for demos and tests: a fake sysfs tree (one chip, every header line
 * exported as an input at 0) driven by the same SysfsGpio code as real hardware. The tree can be
 * inspected (or an input changed) by writing its files.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Gpio, Level } from './interface';
import { HEADER_PINS, SysfsGpio } from './linux';

export const SIM_CHIP_LABEL = 'pinctrl-simulated';

/** Writes the fake tree under `root` (kept if it is there: pins stay as the last run left them). */
export async function writeFakeGpioTree(root: string, pins: readonly number[] = HEADER_PINS, base = 0): Promise<void> {
  const cls = path.join(root, 'sys/class/gpio');
  const chip = path.join(cls, `gpiochip${base}`);
  await fsp.mkdir(chip, { recursive: true });
  await fsp.writeFile(path.join(chip, 'base'), `${base}\n`);
  await fsp.writeFile(path.join(chip, 'ngpio'), `${Math.max(...pins, 0) + 1}\n`);
  await fsp.writeFile(path.join(chip, 'label'), `${SIM_CHIP_LABEL}\n`);
  await fsp.writeFile(path.join(cls, 'export'), '');
  for (const p of pins) {
    const dir = path.join(cls, `gpio${base + p}`);
    await fsp.mkdir(dir, { recursive: true });
    const exists = await fsp.access(path.join(dir, 'value')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await fsp.writeFile(path.join(dir, 'direction'), 'in\n');
      await fsp.writeFile(path.join(dir, 'value'), '0\n');
    }
  }
}

export class SimulatedGpio implements Gpio {
  readonly simulated: boolean = true;
  readonly pins: readonly number[];
  private readonly inner: SysfsGpio;
  private ready: Promise<void> | undefined;

  constructor(
    readonly root: string,
    pins: readonly number[] = HEADER_PINS,
  ) {
    this.pins = [...pins].sort((a, b) => a - b);
    this.inner = new SysfsGpio(root, { chipLabel: SIM_CHIP_LABEL, pins: this.pins });
  }

  async read(pin: number): Promise<Level> {
    await this.prepare();
    return this.inner.read(pin);
  }

  async write(pin: number, value: Level): Promise<void> {
    await this.prepare();
    return this.inner.write(pin, value);
  }

  private prepare(): Promise<void> {
    this.ready ??= writeFakeGpioTree(this.root, this.pins).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
