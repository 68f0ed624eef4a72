/**
 * Chip drivers over a RegisterBus (sense-hat.md §4, §5): initialisation, calibration and the maths
 * from register counts to units. The same code runs against a simulated register map in tests.
 */
import type { Vec3 } from './interface';
import type { RegisterBus } from './i2c';

const AUTO_INC = 0x80; // ST sub-address bit for multi-byte reads (HTS221, LPS25H)

export class ChipError extends Error {}

/** HTS221 calibration (registers 0x30–0x3F). */
export interface Hts221Calibration {
  h0: number; // %RH
  h1: number;
  h0Out: number;
  h1Out: number;
  t0: number; // °C
  t1: number;
  t0Out: number;
  t1Out: number;
}

export function parseHts221Calibration(b: Buffer): Hts221Calibration {
  const msb = b[5] ?? 0;
  return {
    h0: (b[0] ?? 0) / 2,
    h1: (b[1] ?? 0) / 2,
    t0: (((msb & 0x03) << 8) | (b[2] ?? 0)) / 8,
    t1: (((msb & 0x0c) << 6) | (b[3] ?? 0)) / 8,
    h0Out: b.readInt16LE(6),
    h1Out: b.readInt16LE(10),
    t0Out: b.readInt16LE(12),
    t1Out: b.readInt16LE(14),
  };
}

/** Linear interpolation of the HTS221 data sheet; humidity clamped to 0–100 %. */
export function hts221Values(c: Hts221Calibration, rawH: number, rawT: number): { humidity: number; temperature: number } {
  if (c.h1Out === c.h0Out || c.t1Out === c.t0Out) throw new ChipError('HTS221 calibration has a zero slope');
  const humidity = c.h0 + ((rawH - c.h0Out) * (c.h1 - c.h0)) / (c.h1Out - c.h0Out);
  const temperature = c.t0 + ((rawT - c.t0Out) * (c.t1 - c.t0)) / (c.t1Out - c.t0Out);
  return { humidity: Math.min(100, Math.max(0, humidity)), temperature };
}

export class Hts221 {
  static readonly ADDRESS = 0x5f;
  private cal: Hts221Calibration | undefined;

  constructor(private readonly bus: RegisterBus) {}

  async read(): Promise<{ humidity: number; temperature: number }> {
    if (!this.cal) {
      const who = await this.bus.read(Hts221.ADDRESS, 0x0f, 1);
      if (who[0] !== 0xbc) throw new ChipError(`no HTS221 at 0x5f (WHO_AM_I ${String(who[0])})`);
      await this.bus.write(Hts221.ADDRESS, 0x20, 0x87); // power on, block data update, 12.5 Hz
      await this.bus.write(Hts221.ADDRESS, 0x10, 0x1b); // averaging as RTIMULib sets it
      this.cal = parseHts221Calibration(await this.bus.read(Hts221.ADDRESS, 0x30 | AUTO_INC, 16));
    }
    const out = await this.bus.read(Hts221.ADDRESS, 0x28 | AUTO_INC, 4);
    return hts221Values(this.cal, out.readInt16LE(0), out.readInt16LE(2));
  }

  forget(): void {
    this.cal = undefined;
  }
}

/** LSM9DS1 gyroscope at 119 Hz, ±500 dps: 17.5 mdps per count; Sense HAT axes (Z negated), rad/s. */
export const GYRO_DPS_PER_COUNT = 0.0175;

export function gyroFromCounts(x: number, y: number, z: number): Vec3 {
  const k = (GYRO_DPS_PER_COUNT * Math.PI) / 180;
  return { x: x * k, y: y * k, z: -z * k };
}

export class Lsm9ds1Gyro {
  static readonly ADDRESS = 0x6a;
  private ready = false;

  constructor(private readonly bus: RegisterBus) {}

  async read(): Promise<Vec3> {
    if (!this.ready) {
      const who = await this.bus.read(Lsm9ds1Gyro.ADDRESS, 0x0f, 1);
      if (who[0] !== 0x68) throw new ChipError(`no LSM9DS1 at 0x6a (WHO_AM_I ${String(who[0])})`);
      await this.bus.write(Lsm9ds1Gyro.ADDRESS, 0x10, 0x68); // CTRL_REG1_G: 119 Hz, 500 dps
      this.ready = true;
    }
    // The accel/gyro part increments addresses by itself (CTRL_REG8 IF_ADD_INC): no 0x80 bit.
    const b = await this.bus.read(Lsm9ds1Gyro.ADDRESS, 0x18, 6);
    return gyroFromCounts(b.readInt16LE(0), b.readInt16LE(2), b.readInt16LE(4));
  }

  forget(): void {
    this.ready = false;
  }
}

/** TCS3400 integration of 64 cycles: counts saturate at 65535 (1024 per cycle). */
const TCS_CYCLES = 64;
const TCS_MAX = Math.min(65535, 1024 * TCS_CYCLES);

/** Counts to 0–255 of full scale (the scale python-sense-hat reports). */
export function colourFromCounts(
  clear: number,
  red: number,
  green: number,
  blue: number,
): { red: number; green: number; blue: number; clear: number } {
  const s = (n: number): number => Math.min(255, Math.round((n * 256) / TCS_MAX));
  return { red: s(red), green: s(green), blue: s(blue), clear: s(clear) };
}

export class Tcs3400 {
  private address: number | undefined;

  constructor(private readonly bus: RegisterBus) {}

  async read(): Promise<{ red: number; green: number; blue: number; clear: number }> {
    if (this.address === undefined) {
      for (const addr of [0x29, 0x39]) {
        const id = await this.bus.read(addr, 0x92, 1).catch(() => undefined);
        if (id && ((id[0] ?? 0) & 0xf8) === 0x90) {
          await this.bus.write(addr, 0x81, 256 - TCS_CYCLES); // ATIME
          await this.bus.write(addr, 0x80, 0x03); // power on, ADC on
          this.address = addr;
          break;
        }
      }
      if (this.address === undefined) throw new ChipError('no TCS3400 colour sensor (a v1 Sense HAT has none)');
    }
    const b = await this.bus.read(this.address, 0x94, 8);
    return colourFromCounts(b.readUInt16LE(0), b.readUInt16LE(2), b.readUInt16LE(4), b.readUInt16LE(6));
  }

  forget(): void {
    this.address = undefined;
  }
}
