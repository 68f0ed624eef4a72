/** Orientation: tilt-compensated compass and the Madgwick filter, against readings made from known attitudes. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MadgwickFilter, orientationOf, quaternionOf, tiltOrientation, type Orientation } from '../../../devices/sense-hat/fusion';
import type { Vec3 } from '../../../devices/sense-hat/interface';
import { EARTH_FIELD, rotate } from '../../../devices/sense-hat/synthetic';

const vec = ([x, y, z]: [number, number, number]): Vec3 => ({ x, y, z });
/** What the board reads at an attitude: gravity and the earth's field seen from the board. */
const readings = (o: Orientation): { a: Vec3; m: Vec3 } => ({
  a: vec(rotate([0, 0, 1], o.roll, o.pitch, o.yaw)),
  m: vec(rotate(EARTH_FIELD, o.roll, o.pitch, o.yaw)),
});
const angle = (a: number, b: number): number => Math.abs(((((a - b) % 360) + 540) % 360) - 180);
const near = (got: Orientation | undefined, want: Orientation, tol: number): void => {
  assert.ok(got, 'no orientation');
  for (const k of ['roll', 'pitch', 'yaw'] as const) assert.ok(angle(got[k], want[k]) <= tol, `${k}: ${got[k]} vs ${want[k]}`);
};

const ATTITUDES: Orientation[] = [
  { roll: 0, pitch: 0, yaw: 0 },
  { roll: 30, pitch: 0, yaw: 90 },
  { roll: -20, pitch: 40, yaw: 200 },
  { roll: 170, pitch: -60, yaw: 315 },
  { roll: 5, pitch: 10, yaw: 359 },
];

describe('orientation', () => {
  for (const o of ATTITUDES) {
    it(`tilt and compass recover roll ${o.roll}, pitch ${o.pitch}, yaw ${o.yaw}`, () => {
      const { a, m } = readings(o);
      near(tiltOrientation(a, m), o, 1e-6);
    });
    it(`quaternion and angles convert both ways at roll ${o.roll}, pitch ${o.pitch}, yaw ${o.yaw}`, () => {
      near(orientationOf(quaternionOf(o)), o, 1e-6);
    });
  }

  it('gives roll and pitch from gravity alone, with yaw 0, when there is no magnetometer', () => {
    near(tiltOrientation({ x: 0, y: Math.sin(Math.PI / 6), z: Math.cos(Math.PI / 6) }, undefined), { roll: 30, pitch: 0, yaw: 0 }, 1e-9);
  });

  it('refuses a zero acceleration instead of dividing by it', () => {
    assert.equal(tiltOrientation({ x: 0, y: 0, z: 0 }, undefined), undefined);
  });

  it('Madgwick starts at the tilt solution and stays there while the board is still', () => {
    const o = { roll: -20, pitch: 40, yaw: 200 };
    const { a, m } = readings(o);
    const f = new MadgwickFilter();
    near(f.update({ x: 0, y: 0, z: 0 }, a, m, 0.05), o, 1e-6);
    let last: Orientation | undefined;
    for (let i = 0; i < 200; i += 1) last = f.update({ x: 0, y: 0, z: 0 }, a, m, 0.05);
    near(last, o, 0.01);
  });

  it('Madgwick follows a turn from the gyroscope and ends where gravity and field agree', () => {
    // Turn about the vertical at 45°/s for 2 s, sampled at 50 Hz, with consistent readings.
    const f = new MadgwickFilter();
    const rate = (45 * Math.PI) / 180;
    let got: Orientation | undefined;
    for (let i = 0; i <= 100; i += 1) {
      const o = { roll: 0, pitch: 0, yaw: (45 * i) / 50 };
      const { a, m } = readings(o);
      got = f.update({ x: 0, y: 0, z: rate }, a, m, 0.02);
    }
    // Within one sample's turn (0.9°): the correction compares the previous estimate with this sample.
    near(got, { roll: 0, pitch: 0, yaw: 90 }, 1.2);
  });

  it('Madgwick integrates the gyroscope in the same direction as the compass turns', () => {
    // No field change to pull it (IMU form): only the gyroscope moves yaw.
    const f = new MadgwickFilter();
    const { a } = readings({ roll: 0, pitch: 0, yaw: 0 });
    f.update({ x: 0, y: 0, z: 0 }, a, undefined, 0.02);
    let got: Orientation | undefined;
    for (let i = 0; i < 50; i += 1) got = f.update({ x: 0, y: 0, z: (90 * Math.PI) / 180 }, a, undefined, 0.02);
    near(got, { roll: 0, pitch: 0, yaw: 90 }, 0.5);
  });

  it('Madgwick corrects a wrong start towards the measured attitude', () => {
    const f = new MadgwickFilter(0.5);
    const wrong = readings({ roll: 0, pitch: 0, yaw: 0 });
    f.update({ x: 0, y: 0, z: 0 }, wrong.a, wrong.m, 0.02);
    const truth = { roll: 25, pitch: -15, yaw: 60 };
    const { a, m } = readings(truth);
    let got: Orientation | undefined;
    for (let i = 0; i < 2000; i += 1) got = f.update({ x: 0, y: 0, z: 0 }, a, m, 0.02);
    near(got, truth, 1);
  });
});
