/**
 * GPIO through the kernel's sysfs interface (`/sys/class/gpio`) under a root dir. Why sysfs and
 * not the character device: `/dev/gpiochipN` needs ioctl()s, i.e. a native addon (compiler or
 * prebuilt binaries for each Pi ARM flavour, install scripts); the libgpiod tools change their
 * command line between v1 (Bullseye) and v2 (Bookworm/Trixie), and v2's gpioset only holds a
 * line while the process runs. sysfs is plain file I/O, still built into Raspberry Pi OS
 * kernels, and tests point it at a fake tree.
 *
 * Newer kernels number sysfs lines from a chip base (512 on Pi OS 6.6 kernels): the pin is
 * mapped through the base of the chip chosen by label.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Gpio, Level } from './interface';

export interface SysfsOptions {
  /** Label of the chip whose lines are the header pins; default: the first `pinctrl-*` chip, else the lowest base. */
  chipLabel?: string | undefined;
  /** Pins offered (BCM); default 0–27, the 40-pin header's GPIOs. */
  pins?: readonly number[] | undefined;
  /** How long to wait for an exported line's files (udev sets their group a moment after export). */
  exportWaitMs?: number | undefined;
}

export const HEADER_PINS: readonly number[] = Array.from({ length: 28 }, (_, i) => i);

interface Chip {
  base: number;
  ngpio: number;
  label: string;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The chips of a sysfs tree (`gpiochipN/{base,ngpio,label}`). */
export async function listChips(classDir: string): Promise<Chip[]> {
  let names: string[];
  try {
    names = await fsp.readdir(classDir);
  } catch {
    return [];
  }
  const chips: Chip[] = [];
  for (const n of names.filter((x) => /^gpiochip\d+$/.test(x))) {
    const base = Number(await readText(path.join(classDir, n, 'base')));
    const ngpio = Number(await readText(path.join(classDir, n, 'ngpio')));
    const label = (await readText(path.join(classDir, n, 'label'))) ?? '';
    if (Number.isInteger(base) && Number.isInteger(ngpio)) chips.push({ base, ngpio, label });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** Chooses the header's chip: by label, else the first pinctrl chip, else the lowest base. */
export function chooseChip(chips: readonly Chip[], label?: string): Chip | undefined {
  if (label) return chips.find((c) => c.label === label);
  return chips.find((c) => c.label.startsWith('pinctrl-')) ?? chips[0];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SysfsGpio implements Gpio {
  readonly simulated: boolean = false;
  readonly pins: readonly number[];
  private readonly classDir: string;
  private chip: Promise<Chip> | undefined;
  /** One operation per pin at a time: export and direction changes must not interleave. */
  private readonly busy = new Map<number, Promise<unknown>>();

  constructor(
    readonly root: string,
    private readonly opts: SysfsOptions = {},
  ) {
    this.classDir = path.join(root, 'sys/class/gpio');
    this.pins = [...(opts.pins ?? HEADER_PINS)].sort((a, b) => a - b);
  }

  read(pin: number): Promise<Level> {
    return this.serial(pin, async () => {
      const dir = await this.line(pin);
      const v = await readText(path.join(dir, 'value'));
      if (v !== '0' && v !== '1') throw new Error(`GPIO ${pin}: unexpected value ${JSON.stringify(v ?? null)}`);
      return v === '1' ? 1 : 0;
    });
  }

  write(pin: number, value: Level): Promise<void> {
    return this.serial(pin, async () => {
      const dir = await this.line(pin);
      const direction = await readText(path.join(dir, 'direction'));
      // "high"/"low" make the line an output at that level without a glitch through the other one.
      if (direction !== 'out') await fsp.writeFile(path.join(dir, 'direction'), value ? 'high' : 'low');
      // Also for an output already set: one more write, and a fake tree stays consistent with it.
      await fsp.writeFile(path.join(dir, 'value'), value ? '1' : '0');
    });
  }

  private serial<T>(pin: number, f: () => Promise<T>): Promise<T> {
    const before = this.busy.get(pin) ?? Promise.resolve();
    const run = before.then(f, f);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy.set(pin, settled);
    void settled.then(() => {
      if (this.busy.get(pin) === settled) this.busy.delete(pin);
    });
    return run;
  }

  /** The line's directory, exported first when needed. */
  private async line(pin: number): Promise<string> {
    if (!this.pins.includes(pin)) throw new Error(`GPIO ${pin} is not offered by this device`);
    this.chip ??= this.findChip();
    let chip: Chip;
    try {
      chip = await this.chip;
    } catch (err) {
      this.chip = undefined; // try again next time (the overlay may be loaded later)
      throw err;
    }
    if (pin >= chip.ngpio) throw new Error(`GPIO ${pin} is beyond the ${chip.ngpio} lines of ${chip.label}`);
    const global = chip.base + pin;
    const dir = path.join(this.classDir, `gpio${global}`);
    if ((await readText(path.join(dir, 'value'))) !== undefined) return dir;
    await fsp.writeFile(path.join(this.classDir, 'export'), String(global)).catch((err: NodeJS.ErrnoException) => {
      // EBUSY: exported meanwhile (or claimed by a driver); the wait below tells which.
      if (err.code !== 'EBUSY') throw new Error(`GPIO ${pin}: cannot export line ${global}: ${err.code ?? err.message}`);
    });
    const deadline = Date.now() + (this.opts.exportWaitMs ?? 2000);
    for (;;) {
      try {
        await fsp.access(path.join(dir, 'value'), 6); // R_OK | W_OK
        return dir;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`GPIO ${pin}: line ${global} not usable after export: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      await sleep(25);
    }
  }

  private async findChip(): Promise<Chip> {
    const chips = await listChips(this.classDir);
    const chip = chooseChip(chips, this.opts.chipLabel);
    if (!chip) {
      const what = this.opts.chipLabel ? `no GPIO chip labelled ${this.opts.chipLabel}` : 'no GPIO chip';
      throw new Error(`${what} under ${this.classDir} (is the kernel's sysfs GPIO interface there?)`);
    }
    return chip;
  }
}
