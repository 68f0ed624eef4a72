/**
 * The simulated Sense HAT: a fake /sys and /dev tree in a temp dir with the attribute files of
 * the kernel drivers, kept up to date from a slowly changing synthetic environment. The node reads
 * it with the production Linux code (sense-hat.md §13); only the root dir differs.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FB_BYTES } from './frame';
import type { JoystickKey, KeyState } from './interface';
import { eventSizeFor, keyEvent } from './joystick';

/** Scale and offset of each simulated IIO channel type (plausible values for the real drivers). */
export const SIM_IIO = {
  hts221: { humidityrelative: { scale: 5, offset: 1000 }, temp: { scale: 12.5, offset: 500 } },
  'lps25h-press': { pressure: { scale: 0.000024414, offset: 0 }, temp: { scale: 2.083333, offset: 20400 } },
  'lsm9ds1-accel': { accel: { scale: 0.002394, offset: 0 } },
  'lsm9ds1-gyro': { anglvel: { scale: 0.000305433, offset: 0 } },
  'lsm9ds1-magn': { magn: { scale: 0.00014, offset: 0 } },
} as const;

export interface Environment {
  temperature: number; // °C (humidity sensor; the pressure sensor reads 0.4 °C more)
  humidity: number; // %RH
  pressure: number; // hPa
  roll: number; // degrees
  pitch: number;
  yaw: number;
}

const D = Math.PI / 180;
const wave = (t: number, mid: number, amp: number, period: number): number => mid + amp * Math.sin((2 * Math.PI * t) / period);

/** The synthetic environment at t seconds: slow drifts and a board turning 5°/s. */
export function environmentAt(t: number): Environment {
  return {
    temperature: wave(t, 24, 2.5, 300),
    humidity: wave(t, 45, 5, 420),
    pressure: wave(t, 1013.25, 1.5, 900),
    roll: wave(t, 0, 4, 17),
    pitch: wave(t, 0, 3, 23),
    yaw: (5 * t) % 360,
  };
}

/** M·v with M = Rx(roll)·Ry(pitch)·Rz(yaw), angles in degrees (fusion.ts convention). */
export function rotate(v: [number, number, number], roll: number, pitch: number, yaw: number): [number, number, number] {
  const [x0, y0, z0] = v;
  const [cy, sy, cp, sp, cr, sr] = [
    Math.cos(yaw * D),
    Math.sin(yaw * D),
    Math.cos(pitch * D),
    Math.sin(pitch * D),
    Math.cos(roll * D),
    Math.sin(roll * D),
  ];
  const x1 = cy * x0 + sy * y0;
  const y1 = -sy * x0 + cy * y0;
  const x2 = cp * x1 - sp * z0;
  const z2 = sp * x1 + cp * z0;
  return [x2, cr * y1 + sr * z2, -sr * y1 + cr * z2];
}

/** Earth field used by the simulation, µT in the fusion frame (horizontal 20, vertical 44). */
export const EARTH_FIELD: [number, number, number] = [20, 0, 44];

async function put(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, text);
  await fsp.rename(tmp, file); // readers never see half a number
}

export class SyntheticSenseHat {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private fixed: Partial<Environment> = {};
  private last: Environment | undefined;
  private keyIndex = 0;
  private writing: Promise<void> = Promise.resolve();
  private stopAuto: () => void = () => undefined;

  private constructor(
    readonly root: string,
    private readonly updateMs: number,
  ) {}

  /** Builds the tree (with decoys that discovery must skip) and starts updating it. */
  static async create(opts: { updateMs?: number; autoJoystickMs?: number } = {}): Promise<SyntheticSenseHat> {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'device-agent-sense-hat-'));
    const every = opts.updateMs ?? 200;
    const hat = new SyntheticSenseHat(root, every);
    const p = (rel: string): string => path.join(root, rel);
    await put(p('sys/class/graphics/fb0/name'), 'simple\n');
    await put(p('dev/fb0'), 'not ours');
    await put(p('sys/class/graphics/fb1/name'), 'RPi-Sense FB\n');
    await fsp.writeFile(p('dev/fb1'), Buffer.alloc(FB_BYTES));
    await put(p('sys/class/input/event0/device/name'), 'vc4-hdmi\n');
    await put(p('sys/class/input/event3/device/name'), 'Raspberry Pi Sense HAT Joystick\n');
    await put(p('dev/input/event3'), '');
    let n = 0;
    for (const [name, channels] of Object.entries(SIM_IIO)) {
      const dir = p(`sys/bus/iio/devices/iio:device${n++}`);
      await put(path.join(dir, 'name'), `${name}\n`);
      for (const [type, cal] of Object.entries(channels) as [string, { scale: number; offset: number }][]) {
        await put(path.join(dir, `in_${type}_scale`), `${cal.scale}\n`);
        if (cal.offset !== 0) await put(path.join(dir, `in_${type}_offset`), `${cal.offset}\n`);
      }
    }
    await hat.update();
    hat.timer = setInterval(() => {
      hat.writing = hat.writing.then(() => hat.update()).catch(() => undefined);
    }, every);
    hat.timer.unref();
    const auto = opts.autoJoystickMs ?? 30_000;
    if (auto > 0) {
      const t = setInterval(() => void hat.press((['UP', 'RIGHT', 'DOWN', 'LEFT', 'ENTER'] as const)[hat.keyIndex++ % 5] ?? 'ENTER'), auto);
      t.unref();
      hat.stopAuto = () => clearInterval(t);
    }
    return hat;
  }

  /** Holds some quantities at fixed values (a hot day for the alarm demo); `{}` releases them. */
  async set(values: Partial<Environment>): Promise<void> {
    this.fixed = values;
    this.writing = this.writing.then(() => this.update());
    await this.writing;
  }

  environment(): Environment {
    return { ...environmentAt((Date.now() - this.started) / 1000), ...this.fixed };
  }

  private iio(n: number, rel: string): string {
    return path.join(this.root, `sys/bus/iio/devices/iio:device${n}`, rel);
  }

  /** Writes every *_raw file for the current environment, inverting the drivers' scale and offset. */
  private async update(): Promise<void> {
    const e = this.environment();
    const prev = this.last ?? e;
    this.last = e;
    const raw = (v: number, cal: { scale: number; offset: number }): string => `${Math.round(v / cal.scale - cal.offset)}\n`;
    const h = SIM_IIO.hts221;
    const pr = SIM_IIO['lps25h-press'];
    await put(this.iio(0, 'in_humidityrelative_raw'), raw(e.humidity * 1000, h.humidityrelative));
    await put(this.iio(0, 'in_temp_raw'), raw(e.temperature * 1000, h.temp));
    await put(this.iio(1, 'in_pressure_raw'), raw(e.pressure / 10, pr.pressure));
    await put(this.iio(1, 'in_temp_raw'), raw((e.temperature + 0.4) * 1000, pr.temp));
    // Board axes → chip axes (sense-hat.md §5: accel X, Y and magnetometer X, Z are negated).
    const [ax, ay, az] = rotate([0, 0, 1], e.roll, e.pitch, e.yaw);
    const accel = [-ax, -ay, az].map((g) => raw(g * 9.80665, SIM_IIO['lsm9ds1-accel'].accel));
    const [mx, my, mz] = rotate(EARTH_FIELD, e.roll, e.pitch, e.yaw);
    const mag = [-mx, my, -mz].map((uT) => raw(uT / 100, SIM_IIO['lsm9ds1-magn'].magn));
    const rate = bodyRates(prev, e, this.updateMs / 1000);
    const gyro = [rate[0], rate[1], -rate[2]].map((r) => raw(r, SIM_IIO['lsm9ds1-gyro'].anglvel));
    for (const [i, axis] of ['x', 'y', 'z'].entries()) {
      await put(this.iio(2, `in_accel_${axis}_raw`), accel[i] ?? '0\n');
      await put(this.iio(3, `in_anglvel_${axis}_raw`), gyro[i] ?? '0\n');
      await put(this.iio(4, `in_magn_${axis}_raw`), mag[i] ?? '0\n');
    }
  }

  /** Appends a press (or any key state sequence) as binary input events. */
  async press(key: JoystickKey, states: readonly KeyState[] = [1, 0]): Promise<void> {
    const now = Date.now();
    const bytes = Buffer.concat(states.map((s) => keyEvent(key, s, now, eventSizeFor())));
    await fsp.appendFile(path.join(this.root, 'dev/input/event3'), bytes);
  }

  /** The current 128 bytes of the simulated framebuffer. */
  framebuffer(): Promise<Buffer> {
    return fsp.readFile(path.join(this.root, 'dev/fb1'));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopAuto();
    await this.writing.catch(() => undefined);
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}

/** Body angular rates (rad/s) between two attitudes, for the simulated gyroscope. */
function bodyRates(a: Environment, b: Environment, dt: number): [number, number, number] {
  const dYaw = ((((b.yaw - a.yaw) % 360) + 540) % 360) - 180;
  const [rd, pd, yd] = [((b.roll - a.roll) * D) / dt, ((b.pitch - a.pitch) * D) / dt, (dYaw * D) / dt];
  const [r, p] = [b.roll * D, b.pitch * D];
  return [rd - yd * Math.sin(p), pd * Math.cos(r) + yd * Math.sin(r) * Math.cos(p), -pd * Math.sin(r) + yd * Math.cos(r) * Math.cos(p)];
}
