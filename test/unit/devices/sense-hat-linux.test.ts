/**
 * The Linux backend against fake sysfs/dev trees: every sensor value from hand-computed
 * (raw + offset) × scale, LED bytes read back from the framebuffer file, joystick events from
 * written input_event structs, and every kind of bad device state, including recovery.
 */
import { strict as assert } from 'node:assert';
import type { promises as fsp } from 'node:fs';
import { promises as fs } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { discover } from '../../../devices/sense-hat/discover';
import { DisplayError } from '../../../devices/sense-hat/display';
import { blankImage } from '../../../devices/sense-hat/frame';
import type { JoystickEvent, Problem, Rgb, SensorId } from '../../../devices/sense-hat/interface';
import { keyEvent } from '../../../devices/sense-hat/joystick';
import { LinuxSenseHat } from '../../../devices/sense-hat/linux';
import { EXPECTED, FakeSenseHat, until } from './fake-sense-hat';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

describe('Sense HAT on Linux kernel drivers (fake tree)', { timeout: 30_000 }, () => {
  let fake: FakeSenseHat | undefined;
  afterEach(() => fake?.cleanup());

  it('finds the framebuffer, joystick and IIO sensors by name and skips the decoys', async () => {
    fake = new FakeSenseHat();
    const d = await discover(fake.root);
    assert.equal(d.display?.path, fake.p('dev/fb1'));
    assert.equal(d.joystick, fake.p('dev/input/event4'));
    assert.deepEqual(Object.keys(d.iio).sort(), ['accelerometer', 'colour', 'gyroscope', 'humidity', 'magnetometer', 'pressure']);
    assert.equal(d.iio.accelerometer, fake.p(fake.iioDirs.get('lsm9ds1_accel') ?? ''));
  });

  for (const id of ['humidity', 'pressure', 'accelerometer', 'magnetometer', 'gyroscope', 'colour'] as const) {
    it(`reads the ${id} as (raw + offset) × scale in our units and Sense HAT axes`, async () => {
      fake = new FakeSenseHat();
      const r = await new LinuxSenseHat(fake.root).read(id);
      assert.ok(r.ok, JSON.stringify(r));
      const want = EXPECTED[id] as Record<string, number>;
      for (const [k, v] of Object.entries(want)) close((r.value as Record<string, number>)[k] ?? NaN, v, `${id}.${k}`);
    });
  }

  it('reports garbage in a sysfs file as a problem and reads again once the file is good', async () => {
    fake = new FakeSenseHat();
    const hat = new LinuxSenseHat(fake.root);
    fake.attr('hts221', 'in_humidityrelative_raw', 'banana\n');
    const bad = await hat.read('humidity');
    assert.ok(!bad.ok);
    assert.equal(bad.problem.code, 'garbage');
    assert.match(bad.problem.text, /banana/);
    fake.attr('hts221', 'in_humidityrelative_raw', '3000\n');
    const good = await hat.read('humidity');
    assert.ok(good.ok);
    close(good.value.humidity, EXPECTED.humidity.humidity, 'humidity');
  });

  for (const [what, text] of [
    ['an empty file', ''],
    ['two numbers', '12 13'],
    ['a number with text after it', '12abc'],
  ] as const) {
    it(`refuses ${what} as a scale`, async () => {
      fake = new FakeSenseHat();
      fake.attr('lsm9ds1_accel', 'in_accel_scale', text);
      const r = await new LinuxSenseHat(fake.root).read('accelerometer');
      assert.ok(!r.ok);
      assert.equal(r.problem.code, 'garbage');
    });
  }

  it('says a sensor is missing, and finds it when its driver comes back', async () => {
    fake = new FakeSenseHat({ iio: ['hts221'] });
    const hat = new LinuxSenseHat(fake.root);
    const missing = await hat.read('pressure');
    assert.ok(!missing.ok);
    assert.equal(missing.problem.code, 'missing');
    fake.write('sys/bus/iio/devices/iio:device7/name', 'lps25h-press\n');
    fake.write('sys/bus/iio/devices/iio:device7/in_pressure_raw', '40960\n');
    fake.write('sys/bus/iio/devices/iio:device7/in_pressure_scale', '0.000024414\n');
    fake.write('sys/bus/iio/devices/iio:device7/in_temp_raw', '0\n');
    await hat.discovery(true);
    const back = await hat.read('pressure');
    assert.ok(back.ok);
    close(back.value.pressure, 40960 * 0.000024414 * 10, 'pressure');
  });

  it('tells "no Sense HAT" from "overlay not loaded" (board EEPROM present, no drivers)', async () => {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    const none = await new LinuxSenseHat(fake.root).read('humidity');
    assert.ok(!none.ok);
    assert.equal(none.problem.code, 'no-hat');
    fake.write('proc/device-tree/hat/product', 'Sense HAT\0');
    const overlay = await new LinuxSenseHat(fake.root).read('humidity');
    assert.ok(!overlay.ok);
    assert.equal(overlay.problem.code, 'overlay');
    assert.match(overlay.problem.text, /dtoverlay=rpi-sense/);
  });

  it('writes a frame as 128 bytes of little-endian RGB565, byte for byte', async () => {
    fake = new FakeSenseHat();
    const hat = new LinuxSenseHat(fake.root);
    const img: Rgb[] = blankImage();
    img[0] = [255, 0, 0]; // (0,0) red    → 0xF800
    img[7] = [0, 255, 0]; // (7,0) green  → 0x07E0
    img[63] = [0, 0, 255]; // (7,7) blue  → 0x001F
    img[9] = [0x12, 0x34, 0x56]; // (1,1) → (0x12>>3)<<11 | (0x34>>2)<<5 | (0x56>>3) = 0x11AA
    await hat.writeFrame(img, 0, false);
    const want = Buffer.alloc(128);
    want.writeUInt16LE(0xf800, 0);
    want.writeUInt16LE(0x07e0, 14);
    want.writeUInt16LE(0x001f, 126);
    want.writeUInt16LE(0x11aa, 18);
    assert.deepEqual(fake.fb(), want);
    assert.deepEqual([...fake.fb().subarray(0, 2)], [0x00, 0xf8], 'low byte first');
  });

  for (const [rotation, x, y] of [
    [90, 7, 0],
    [180, 7, 7],
    [270, 0, 7],
  ] as const) {
    it(`rotates by ${rotation}°: the top-left pixel lands at (${x}, ${y})`, async () => {
      fake = new FakeSenseHat();
      const img: Rgb[] = blankImage();
      img[0] = [255, 255, 255];
      img[1] = [255, 0, 0]; // its right neighbour tells a rotation from a mirror
      await new LinuxSenseHat(fake.root).writeFrame(img, rotation, false);
      const fb = fake.fb();
      assert.equal(fb.readUInt16LE(2 * (8 * y + x)), 0xffff);
      const [nx, ny] = rotation === 90 ? [7, 1] : rotation === 180 ? [6, 7] : [0, 6];
      assert.equal(fb.readUInt16LE(2 * (8 * ny + nx)), 0xf800);
      const lit = Array.from({ length: 64 }, (_, i) => fb.readUInt16LE(2 * i)).filter((v) => v !== 0);
      assert.equal(lit.length, 2, 'exactly two pixels lit');
    });
  }

  it('refuses a framebuffer of the wrong size and draws once it is right', async () => {
    fake = new FakeSenseHat({ fbBytes: 100 });
    const hat = new LinuxSenseHat(fake.root);
    const err = await hat.writeFrame(blankImage([255, 255, 255]), 0, false).catch((e: unknown) => e);
    assert.ok(err instanceof DisplayError);
    assert.equal(err.problem.code, 'size');
    assert.match(err.message, /100 bytes/);
    assert.equal(fake.fb().length, 100, 'nothing written');
    fake.write('dev/fb1', Buffer.alloc(128));
    await hat.writeFrame(blankImage([255, 255, 255]), 0, false);
    assert.ok(fake.fb().every((b) => b === 0xff));
  });

  it('names the group to join when the framebuffer is not writable (EACCES)', async () => {
    fake = new FakeSenseHat();
    await fs.chown(fake.p('dev/fb1'), 0, 44);
    const denied = new Set([fake.p('dev/fb1')]);
    const open = async (file: string, flags: number): Promise<fsp.FileHandle> => {
      if (denied.has(file)) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return fs.open(file, flags);
    };
    const hat = new LinuxSenseHat(fake.root, { open });
    const err = await hat.writeFrame(blankImage(), 0, false).catch((e: unknown) => e);
    assert.ok(err instanceof DisplayError);
    assert.equal(err.problem.code, 'permission');
    assert.match(err.problem.text, /permission denied on \/dev\/fb1: add the Node-RED user to the "video" group/);
    denied.clear(); // the user was added to the group
    await hat.writeFrame(blankImage([0, 0, 255]), 0, false);
    assert.equal(fake.fb().readUInt16LE(0), 0x001f);
  });

  it('says the LED matrix is missing and draws again when the framebuffer comes back', async () => {
    fake = new FakeSenseHat();
    const hat = new LinuxSenseHat(fake.root);
    await hat.writeFrame(blankImage([255, 0, 0]), 0, false);
    fake.remove('sys/class/graphics/fb1');
    fake.remove('dev/fb1');
    const err = await hat.writeFrame(blankImage(), 0, false).catch((e: unknown) => e);
    assert.ok(err instanceof DisplayError);
    assert.equal(err.problem.code, 'missing');
    fake.write('sys/class/graphics/fb2/name', 'RPi-Sense FB\n');
    fake.write('dev/fb2', Buffer.alloc(128));
    await hat.discovery(true);
    await hat.writeFrame(blankImage([0, 255, 0]), 0, false);
    assert.equal((await fs.readFile(fake.p('dev/fb2'))).readUInt16LE(0), 0x07e0);
  });

  it('writes the 192-byte planar frame of the newer /dev/sense-hat display', async () => {
    fake = new FakeSenseHat({ fbBytes: 0 });
    fake.write('dev/sense-hat', Buffer.alloc(192));
    const img: Rgb[] = blankImage();
    img[8 * 2 + 3] = [255, 128, 8]; // (3,2)
    await new LinuxSenseHat(fake.root).writeFrame(img, 0, false);
    const buf = await fs.readFile(fake.p('dev/sense-hat'));
    const want = Buffer.alloc(192);
    want[24 * 2 + 3] = 31; // red row 2
    want[24 * 2 + 8 + 3] = 16; // green
    want[24 * 2 + 16 + 3] = 1; // blue
    assert.deepEqual(buf, want);
  });

  describe('joystick', () => {
    function watch(hat: LinuxSenseHat): { events: JoystickEvent[]; problems: Problem[]; recovered: number[]; stop: () => Promise<void> } {
      const out = { events: [] as JoystickEvent[], problems: [] as Problem[], recovered: [] as number[] };
      const reader = hat.watchJoystick({
        event: (e) => out.events.push(e),
        problem: (p) => out.problems.push(p),
        recovered: () => out.recovered.push(out.events.length),
      });
      return { ...out, stop: () => reader.stop() };
    }

    it('decodes written input_event structs: key, state and kernel time', async () => {
      fake = new FakeSenseHat();
      const w = watch(new LinuxSenseHat(fake.root, { joystickPollMs: 5 }));
      await until(() => w.recovered.length > 0, 'joystick opened');
      fake.events(
        Buffer.concat([
          keyEvent('UP', 1, 1_700_000_000_250, 24),
          keyEvent('UP', 2, 1_700_000_000_500, 24),
          keyEvent('UP', 0, 1_700_000_000_750, 24),
        ]),
      );
      fake.events(keyEvent('ENTER', 1, 1_700_000_001_000, 24));
      await until(() => w.events.length === 4, '4 events');
      await w.stop();
      assert.deepEqual(w.events, [
        { key: 'UP', state: 1, time: 1_700_000_000_250 },
        { key: 'UP', state: 2, time: 1_700_000_000_500 },
        { key: 'UP', state: 0, time: 1_700_000_000_750 },
        { key: 'ENTER', state: 1, time: 1_700_000_001_000 },
      ]);
    });

    it('reads the 16-byte events of 32-bit ARM when told to', async () => {
      fake = new FakeSenseHat();
      const w = watch(new LinuxSenseHat(fake.root, { eventSize: 16, joystickPollMs: 5 }));
      await until(() => w.recovered.length > 0, 'joystick opened');
      fake.events(keyEvent('LEFT', 1, 5000, 16));
      await until(() => w.events.length === 1, 'event');
      await w.stop();
      assert.deepEqual(w.events, [{ key: 'LEFT', state: 1, time: 5000 }]);
    });

    it('drops a truncated event with a problem and reads the next whole one', async () => {
      fake = new FakeSenseHat();
      const w = watch(new LinuxSenseHat(fake.root, { joystickPollMs: 5 }));
      await until(() => w.recovered.length > 0, 'joystick opened');
      fake.events(keyEvent('DOWN', 1, 1000, 24).subarray(0, 13));
      await until(() => w.problems.length === 1, 'truncation problem');
      assert.equal(w.problems[0]?.code, 'garbage');
      assert.match(w.problems[0]?.text ?? '', /13 stray bytes/);
      fake.events(keyEvent('RIGHT', 1, 2000, 24));
      await until(() => w.events.length === 1 && w.recovered.length === 2, 'recovery');
      await w.stop();
      assert.deepEqual(w.events, [{ key: 'RIGHT', state: 1, time: 2000 }]);
    });

    it('ignores old content of the event file and events of other keys', async () => {
      fake = new FakeSenseHat();
      fake.events(keyEvent('UP', 1, 1, 24)); // before the reader opened: not a press now
      const w = watch(new LinuxSenseHat(fake.root, { joystickPollMs: 5 }));
      await until(() => w.recovered.length > 0, 'joystick opened');
      const other = keyEvent('UP', 1, 10, 24);
      other.writeUInt16LE(30, 18); // KEY_A
      fake.events(Buffer.concat([other, keyEvent('DOWN', 0, 20, 24)]));
      await until(() => w.events.length === 1, 'event');
      await w.stop();
      assert.deepEqual(w.events, [{ key: 'DOWN', state: 0, time: 20 }]);
    });

    it('reports a missing joystick and starts reading when it appears', async () => {
      fake = new FakeSenseHat({ joystick: false });
      const w = watch(new LinuxSenseHat(fake.root, { joystickPollMs: 5 }));
      await until(() => w.problems.length === 1, 'missing problem');
      assert.equal(w.problems[0]?.code, 'missing');
      fake.write('sys/class/input/event9/device/name', 'Raspberry Pi Sense HAT Joystick\n');
      fake.write('dev/input/event9', '');
      await until(() => w.recovered.length === 1, 'found', 10_000);
      await fs.appendFile(fake.p('dev/input/event9'), keyEvent('ENTER', 1, 3000, 24));
      await until(() => w.events.length === 1, 'event');
      await w.stop();
      assert.equal(w.problems.length, 1, 'the missing device was reported once, not every second');
    });
  });

  it('lists the sensors it found', async () => {
    fake = new FakeSenseHat({ iio: ['hts221', 'lsm9ds1_accel'] });
    const ids: SensorId[] = await new LinuxSenseHat(fake.root).sensorsAvailable();
    assert.deepEqual(ids.sort(), ['accelerometer', 'humidity']);
  });
});
