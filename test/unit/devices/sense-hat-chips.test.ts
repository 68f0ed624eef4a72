/** Register-level drivers (HTS221, LSM9DS1 gyroscope, TCS3400) on a simulated register map, and the i2c-tools bus. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ChipError, Hts221, Lsm9ds1Gyro, Tcs3400, hts221Values, parseHts221Calibration } from '../../../devices/sense-hat/chips';
import { I2cToolsBus, parseTransferOutput, type RegisterBus } from '../../../devices/sense-hat/i2c';
import { LinuxSensors } from '../../../devices/sense-hat/sensors';

/** Register maps per address; ST chips ignore the 0x80 auto-increment bit of the sub-address. */
class SimRegisterBus implements RegisterBus {
  readonly regs = new Map<number, Uint8Array>();
  readonly writes: [number, number, number][] = [];

  chip(addr: number, values: Record<number, number>): this {
    const mem = new Uint8Array(256);
    for (const [reg, v] of Object.entries(values)) mem[Number(reg)] = v;
    this.regs.set(addr, mem);
    return this;
  }

  read(addr: number, reg: number, length: number): Promise<Buffer> {
    const mem = this.regs.get(addr);
    if (!mem) return Promise.reject(new Error(`Error: Sending messages failed: Remote I/O error (0x${addr.toString(16)})`));
    const start = addr === 0x5f || addr === 0x5c ? reg & 0x7f : reg;
    return Promise.resolve(Buffer.from(mem.subarray(start, start + length)));
  }

  write(addr: number, reg: number, value: number): Promise<void> {
    this.writes.push([addr, reg, value]);
    return Promise.resolve();
  }
}

const s16 = (n: number): [number, number] => [n & 0xff, (n >> 8) & 0xff];

/** The worked example of sense-hat.md §4: H0 20 %, H1 80 %, T0 20 °C, T1 35 °C. */
function hts221(rawH: number, rawT: number): Record<number, number> {
  const regs: Record<number, number> = { 0x0f: 0xbc, 0x30: 40, 0x31: 160, 0x32: 160, 0x33: 280 & 0xff, 0x35: (280 >> 8) << 2 };
  [
    [0x36, 0],
    [0x3a, 12000],
    [0x3c, 300],
    [0x3e, 1500],
    [0x28, rawH],
    [0x2a, rawT],
  ].forEach(([reg = 0, v = 0]) => {
    const [lo, hi] = s16(v);
    regs[reg] = lo;
    regs[reg + 1] = hi;
  });
  return regs;
}

describe('Sense HAT chips over a register bus', () => {
  it('HTS221: raw 6000 → 50 %RH and raw 900 → 27.5 °C with the worked calibration', async () => {
    const bus = new SimRegisterBus().chip(0x5f, hts221(6000, 900));
    assert.deepEqual(await new Hts221(bus).read(), { humidity: 50, temperature: 27.5 });
    assert.deepEqual(bus.writes, [
      [0x5f, 0x20, 0x87],
      [0x5f, 0x10, 0x1b],
    ]);
  });

  it('HTS221: clamps humidity to 0–100 and refuses a zero slope', () => {
    const cal = parseHts221Calibration(Buffer.alloc(16)); // an unprogrammed chip: every point zero
    assert.throws(() => hts221Values(cal, 1, 1), ChipError);
    const good = { h0: 20, h1: 80, h0Out: 0, h1Out: 12000, t0: 20, t1: 35, t0Out: 300, t1Out: 1500 };
    assert.equal(hts221Values(good, 30000, 900).humidity, 100);
    assert.equal(hts221Values(good, -9000, 900).humidity, 0);
  });

  it('LSM9DS1 gyroscope: counts × 17.5 mdps in rad/s, Z negated', async () => {
    const regs: Record<number, number> = { 0x0f: 0x68 };
    [1000, -2000, 400].forEach((v, i) => ([regs[0x18 + 2 * i], regs[0x19 + 2 * i]] = s16(v)));
    const g = await new Lsm9ds1Gyro(new SimRegisterBus().chip(0x6a, regs)).read();
    const k = (0.0175 * Math.PI) / 180;
    assert.ok(Math.abs(g.x - 1000 * k) < 1e-12 && Math.abs(g.y + 2000 * k) < 1e-12 && Math.abs(g.z + 400 * k) < 1e-12, JSON.stringify(g));
  });

  it('TCS3400: finds the chip at 0x39 and scales counts to 0–255', async () => {
    const regs: Record<number, number> = { 0x92: 0x93 };
    [65535, 32768, 16384, 256].forEach((v, i) => ([regs[0x94 + 2 * i], regs[0x95 + 2 * i]] = s16(v)));
    const bus = new SimRegisterBus().chip(0x39, regs);
    assert.deepEqual(await new Tcs3400(bus).read(), { clear: 255, red: 128, green: 64, blue: 1 });
  });

  it('TCS3400 on a v1 board (no colour sensor): a clear "missing" problem through the sensor set', async () => {
    const sensors = new LinuxSensors({}, new SimRegisterBus());
    const r = await sensors.read('colour');
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'missing');
    assert.match(r.problem.text, /no TCS3400/);
  });

  it('prefers the IIO driver and uses registers only for sensors the kernel does not expose', () => {
    const sensors = new LinuxSensors({ humidity: '/sys/bus/iio/devices/iio:device0' }, new SimRegisterBus());
    assert.equal(sensors.viaRegisters('humidity'), false);
    assert.equal(sensors.viaRegisters('gyroscope'), true);
    assert.equal(sensors.viaRegisters('colour'), true);
  });

  it('runs i2ctransfer with a fixed argument list and parses its bytes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-i2c-'));
    try {
      const log = path.join(dir, 'argv');
      const tool = path.join(dir, 'i2ctransfer');
      fs.writeFileSync(tool, `#!/bin/sh\necho "$@" >> '${log}'\ncase "$3" in w1@*) echo "0x0a 0xff 0x00 0x80";; esac\n`, { mode: 0o755 });
      const bus = new I2cToolsBus(1, tool);
      assert.deepEqual([...(await bus.read(0x5f, 0xa8, 4))], [0x0a, 0xff, 0x00, 0x80]);
      await bus.write(0x6a, 0x10, 0x68);
      assert.equal(fs.readFileSync(log, 'utf8'), '-y 1 w1@0x5f 0xa8 r4\n-y 1 w2@0x6a 0x10 0x68\n');
      await assert.rejects(new I2cToolsBus(1, path.join(dir, 'missing')).read(0x5f, 0x0f, 1), /failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses i2ctransfer output of the wrong length or form', () => {
    assert.throws(() => parseTransferOutput('0x01 0x02', 3), /unexpected/);
    assert.throws(() => parseTransferOutput('Error: busy', 1), /unexpected/);
  });
});
