/**
 * A fake Sense HAT tree for tests: the kernel's sysfs attribute files with hand-picked raw, scale
 * and offset values (see EXPECTED for what they must read as), decoys, a framebuffer file and an
 * evdev file the test appends binary events to.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FakeOptions {
  fbBytes?: number | undefined; // default 128; 0 = no framebuffer at all
  joystick?: boolean;
  /** IIO devices to create (default: all of them). */
  iio?: readonly ('hts221' | 'lps25h-press' | 'lsm9ds1_accel' | 'lsm9ds1-magn' | 'lsm9ds1-gyro' | 'tcs3472')[];
  eeprom?: boolean;
}

export const ALL_IIO = ['hts221', 'lps25h-press', 'lsm9ds1_accel', 'lsm9ds1-magn', 'lsm9ds1-gyro', 'tcs3472'] as const;

/** Attribute files per IIO device name. */
const FILES: Record<(typeof ALL_IIO)[number], Record<string, string>> = {
  hts221: {
    in_humidityrelative_raw: '3000',
    in_humidityrelative_scale: '12.5',
    in_humidityrelative_offset: '-200',
    in_temp_raw: '-1200',
    in_temp_scale: '0.5',
    in_temp_offset: '50000',
  },
  'lps25h-press': {
    in_pressure_raw: '4145152',
    in_pressure_scale: '0.000024414',
    in_temp_raw: '-9500',
    in_temp_scale: '2.083333',
    in_temp_offset: '20400',
  },
  lsm9ds1_accel: { in_accel_x_raw: '100', in_accel_y_raw: '-200', in_accel_z_raw: '4096', in_accel_scale: '0.002394' },
  'lsm9ds1-magn': {
    in_magn_x_raw: '1000',
    in_magn_y_raw: '-2000',
    in_magn_z_raw: '3000',
    in_magn_x_scale: '0.000140',
    in_magn_y_scale: '0.000140',
    in_magn_z_scale: '0.000290',
  },
  'lsm9ds1-gyro': { in_anglvel_x_raw: '100', in_anglvel_y_raw: '200', in_anglvel_z_raw: '-300', in_anglvel_scale: '0.000305433' },
  tcs3472: { in_intensity_red_raw: '32768', in_intensity_green_raw: '16384', in_intensity_blue_raw: '0', in_intensity_clear_raw: '65535' },
};

/** What the files above must read as, computed by hand: (raw + offset) × scale, then units and Sense HAT axes. */
export const EXPECTED = {
  humidity: { humidity: ((3000 - 200) * 12.5) / 1000, temperature: ((-1200 + 50000) * 0.5) / 1000 }, // 35 %RH, 24.4 °C
  pressure: { pressure: 4145152 * 0.000024414 * 10, temperature: ((-9500 + 20400) * 2.083333) / 1000 }, // ≈1012.0 hPa, ≈22.71 °C
  accelerometer: { x: -(100 * 0.002394) / 9.80665, y: (200 * 0.002394) / 9.80665, z: (4096 * 0.002394) / 9.80665 }, // X, Y negated
  magnetometer: { x: -(1000 * 0.00014 * 100), y: -2000 * 0.00014 * 100, z: -(3000 * 0.00029 * 100) }, // µT, X, Z negated
  gyroscope: { x: 100 * 0.000305433, y: 200 * 0.000305433, z: 300 * 0.000305433 }, // rad/s, Z negated
  colour: { red: 128, green: 64, blue: 0, clear: 255 }, // counts × 256 / 65536, at most 255
};

export class FakeSenseHat {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-fake-hat-'));
  readonly iioDirs = new Map<string, string>();

  constructor(o: FakeOptions = {}) {
    this.write('sys/class/graphics/fb0/name', 'simple\n');
    this.write('dev/fb0', 'decoy');
    this.write('sys/class/input/event0/device/name', 'vc4-hdmi\n');
    this.write('sys/bus/iio/devices/iio:device0/name', 'bme280\n');
    this.write('sys/bus/iio/devices/iio:device0/in_temp_raw', '1\n');
    this.write('etc/group', 'root:x:0:\nvideo:x:44:pi\ninput:x:105:pi\n');
    if ((o.fbBytes ?? 128) > 0) {
      this.write('sys/class/graphics/fb1/name', 'RPi-Sense FB\n');
      fs.writeFileSync(this.p('dev/fb1'), Buffer.alloc(o.fbBytes ?? 128));
    }
    if (o.joystick !== false) {
      this.write('sys/class/input/event4/device/name', 'Raspberry Pi Sense HAT Joystick\n');
      this.write('dev/input/event4', '');
    }
    (o.iio ?? ALL_IIO).forEach((name, i) => {
      const dir = `sys/bus/iio/devices/iio:device${i + 1}`;
      this.iioDirs.set(name, dir);
      this.write(`${dir}/name`, `${name}\n`);
      for (const [file, text] of Object.entries(FILES[name])) this.write(`${dir}/${file}`, `${text}\n`);
    });
    if (o.eeprom) this.write('proc/device-tree/hat/product', 'Sense HAT\0');
  }

  p(rel: string): string {
    return path.join(this.root, rel);
  }

  write(rel: string, text: string | Buffer): void {
    fs.mkdirSync(path.dirname(this.p(rel)), { recursive: true });
    fs.writeFileSync(this.p(rel), text);
  }

  /** Writes an attribute of the IIO device with that name. */
  attr(device: (typeof ALL_IIO)[number], file: string, text: string): void {
    this.write(`${this.iioDirs.get(device) ?? 'missing'}/${file}`, text);
  }

  remove(rel: string): void {
    fs.rmSync(this.p(rel), { recursive: true, force: true });
  }

  fb(): Buffer {
    return fs.readFileSync(this.p('dev/fb1'));
  }

  events(bytes: Buffer): void {
    fs.appendFileSync(this.p('dev/input/event4'), bytes);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Resolves when `check` holds, testing on every `ms` (event files have no change notification we can rely on). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, ms = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, ms));
  }
}
