/**
 * The Sense HAT's sensors through the kernel's IIO drivers, with register access over I2C for
 * the sensors no driver exposes when the node allows it. Units and Sense HAT axis alignment as in
 * sense-hat.md §5–6: IIO gives milli-°C, milli-%RH, kPa, m/s², gauss and rad/s.
 */
import { ChipError, Hts221, Lsm9ds1Gyro, Tcs3400 } from './chips';
import type { RegisterBus } from './i2c';
import { IioChannel, readAll } from './iio';
import type { Problem, SensorId, SensorRead, SensorSource, SensorValues, Vec3 } from './interface';

const G = 9.80665;

type Value<K extends SensorId> = NonNullable<SensorValues[K]>;

function iioChannels(dir: string, id: SensorId): IioChannel[] {
  const xyz = (type: string): IioChannel[] => ['x', 'y', 'z'].map((a) => new IioChannel(dir, `${type}_${a}`, type));
  switch (id) {
    case 'humidity':
      return [new IioChannel(dir, 'humidityrelative', 'humidityrelative'), new IioChannel(dir, 'temp', 'temp')];
    case 'pressure':
      return [new IioChannel(dir, 'pressure', 'pressure'), new IioChannel(dir, 'temp', 'temp')];
    case 'accelerometer':
      return xyz('accel');
    case 'gyroscope':
      return xyz('anglvel');
    case 'magnetometer':
      return xyz('magn');
    case 'colour':
      return ['red', 'green', 'blue', 'clear'].map((c) => new IioChannel(dir, `intensity_${c}`, 'intensity'));
  }
}

/** IIO values (device units) → the values we emit, with the Sense HAT's axis alignment. */
export function fromIio(id: SensorId, v: number[]): SensorValues[SensorId] {
  const [a = 0, b = 0, c = 0, d = 0] = v;
  const vec = (x: number, y: number, z: number): Vec3 => ({ x, y, z });
  switch (id) {
    case 'humidity':
      return { humidity: Math.min(100, Math.max(0, a / 1000)), temperature: b / 1000 };
    case 'pressure':
      return { pressure: a * 10, temperature: b / 1000 };
    case 'accelerometer':
      return vec(-a / G, -b / G, c / G);
    case 'gyroscope':
      return vec(a, b, -c);
    case 'magnetometer':
      return vec(-a * 100, b * 100, -c * 100);
    case 'colour': {
      const s = (n: number): number => Math.min(255, Math.round((n * 256) / 65536));
      return { red: s(a), green: s(b), blue: s(c), clear: s(d) };
    }
  }
}

interface Driver {
  read(): Promise<unknown>;
  forget(): void;
}

export class LinuxSensors implements SensorSource {
  private readonly channels = new Map<SensorId, IioChannel[]>();
  private readonly chips = new Map<SensorId, Driver>();

  /** `iio`: device dir per sensor from discovery; `bus`: register access for the rest, if allowed. */
  constructor(iio: Partial<Record<SensorId, string>>, bus?: RegisterBus) {
    for (const [id, dir] of Object.entries(iio) as [SensorId, string][]) this.channels.set(id, iioChannels(dir, id));
    if (bus) {
      if (!this.channels.has('humidity')) this.chips.set('humidity', new Hts221(bus));
      if (!this.channels.has('gyroscope')) this.chips.set('gyroscope', new Lsm9ds1Gyro(bus));
      if (!this.channels.has('colour')) this.chips.set('colour', new Tcs3400(bus));
    }
  }

  available(): SensorId[] {
    return [...new Set([...this.channels.keys(), ...this.chips.keys()])];
  }

  /** True when the sensor is read over I2C (it may still turn out to be absent). */
  viaRegisters(id: SensorId): boolean {
    return this.chips.has(id);
  }

  async read<K extends SensorId>(id: K): Promise<SensorRead<Value<K>>> {
    const chs = this.channels.get(id);
    if (chs) {
      const r = await readAll(chs);
      return r.ok ? { ok: true, value: fromIio(id, r.values) as Value<K> } : r;
    }
    const chip = this.chips.get(id);
    if (!chip) return { ok: false, problem: { code: 'missing', text: `no ${id} sensor` } };
    try {
      return { ok: true, value: (await chip.read()) as Value<K> };
    } catch (err) {
      chip.forget();
      const problem: Problem = {
        code: err instanceof ChipError ? 'missing' : 'io',
        text: err instanceof Error ? err.message : String(err),
      };
      return { ok: false, problem };
    }
  }
}
