/**
 * Orientation from accelerometer, magnetometer and gyroscope (sense-hat.md §10). Angles follow
 * the e-compass convention of the reference: the board's readings are M·g and M·b with
 * M = Rx(roll)·Ry(pitch)·Rz(yaw), g = (0, 0, 1) and b in the x–z plane. Pure: time comes in as dt.
 */
import type { Vec3 } from './interface';

export interface Orientation {
  roll: number; // degrees, −180…180
  pitch: number; // degrees, −90…90
  yaw: number; // degrees, 0…360 (heading)
}

type Quat = [number, number, number, number];

const DEG = 180 / Math.PI;

function norm(v: Vec3): Vec3 | undefined {
  const n = Math.hypot(v.x, v.y, v.z);
  return n > 0 && Number.isFinite(n) ? { x: v.x / n, y: v.y / n, z: v.z / n } : undefined;
}

const heading = (rad: number): number => {
  const d = (rad * DEG) % 360;
  return d < 0 ? d + 360 : d;
};

/** Roll and pitch from gravity, yaw from the tilt-compensated magnetometer (stateless). */
export function tiltOrientation(accel: Vec3, mag: Vec3 | undefined): Orientation | undefined {
  const a = norm(accel);
  if (!a) return undefined;
  const roll = Math.atan2(a.y, a.z);
  const pitch = Math.atan2(-a.x, Math.hypot(a.y, a.z));
  let yaw = 0;
  if (mag) {
    const xh = mag.x * Math.cos(pitch) + mag.y * Math.sin(roll) * Math.sin(pitch) + mag.z * Math.cos(roll) * Math.sin(pitch);
    const yh = mag.y * Math.cos(roll) - mag.z * Math.sin(roll);
    yaw = Math.atan2(-yh, xh);
  }
  return { roll: roll * DEG, pitch: pitch * DEG, yaw: heading(yaw) };
}

function qmul(a: Quat, b: Quat): Quat {
  return [
    a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
    a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
    a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
    a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
  ];
}

/** The quaternion q with M = R(q)ᵀ, i.e. q = qz(yaw)·qy(pitch)·qx(roll). */
export function quaternionOf(o: Orientation): Quat {
  const half = (deg: number): [number, number] => [Math.cos(deg / DEG / 2), Math.sin(deg / DEG / 2)];
  const [cr, sr] = half(o.roll);
  const [cp, sp] = half(o.pitch);
  const [cy, sy] = half(o.yaw);
  return qmul(qmul([cy, 0, 0, sy], [cp, 0, sp, 0]), [cr, sr, 0, 0]);
}

/** Angles of a quaternion (inverse of quaternionOf). */
export function orientationOf(q: Quat): Orientation {
  const [w, x, y, z] = q;
  const m02 = 2 * (x * z - w * y);
  const m12 = 2 * (y * z + w * x);
  const m22 = 1 - 2 * (x * x + y * y);
  const m01 = 2 * (x * y + w * z);
  const m00 = 1 - 2 * (y * y + z * z);
  return { roll: Math.atan2(m12, m22) * DEG, pitch: Math.asin(Math.max(-1, Math.min(1, -m02))) * DEG, yaw: heading(Math.atan2(m01, m00)) };
}

/**
 * Madgwick's gradient-descent filter (MARG form, IMU form without a magnetometer). The gyroscope
 * integrates; each step is pulled by β towards the orientation that explains gravity and the
 * magnetic field. Starts at the tilt solution so low sampling rates need no long warm-up.
 */
export class MadgwickFilter {
  private q: Quat | undefined;

  constructor(private readonly beta = 0.1) {}

  get started(): boolean {
    return this.q !== undefined;
  }

  reset(): void {
    this.q = undefined;
  }

  /** One step: gyro in rad/s, accel in any unit, mag in any unit (or undefined), dt in seconds. */
  update(gyro: Vec3, accel: Vec3, mag: Vec3 | undefined, dt: number): Orientation | undefined {
    const a = norm(accel);
    const m = mag ? norm(mag) : undefined;
    if (!a) return this.q ? orientationOf(this.q) : undefined;
    if (!this.q) {
      const start = tiltOrientation(accel, m);
      if (!start) return undefined;
      this.q = quaternionOf(start);
      return orientationOf(this.q);
    }
    const q = this.q;
    const step = m ? margGradient(q, a, m) : imuGradient(q, a);
    const rate = qmul(q, [0, gyro.x, gyro.y, gyro.z]);
    const next: Quat = [0, 0, 0, 0];
    for (let i = 0; i < 4; i += 1) next[i] = (q[i] ?? 0) + (0.5 * (rate[i] ?? 0) - this.beta * (step[i] ?? 0)) * dt;
    const n = Math.hypot(...next);
    if (n > 0 && Number.isFinite(n)) this.q = [next[0] / n, next[1] / n, next[2] / n, next[3] / n];
    return orientationOf(this.q);
  }
}

/** Normalised Jᵀf of the gravity objective f = M·(0,0,1) − a. */
function imuGradient(q: Quat, a: Vec3): Quat {
  return unit(imuGradientRaw(q, a));
}

/** Normalised Jᵀf of the gravity and magnetic objectives, with b measured in the earth frame. */
function margGradient(q: Quat, a: Vec3, m: Vec3): Quat {
  const [q0, q1, q2, q3] = q;
  // The field in the earth frame, h = R(q)·m; its horizontal part defines north.
  const hx = m.x * (1 - 2 * (q2 * q2 + q3 * q3)) + m.y * 2 * (q1 * q2 - q0 * q3) + m.z * 2 * (q1 * q3 + q0 * q2);
  const hy = m.x * 2 * (q1 * q2 + q0 * q3) + m.y * (1 - 2 * (q1 * q1 + q3 * q3)) + m.z * 2 * (q2 * q3 - q0 * q1);
  const bz = m.x * 2 * (q1 * q3 - q0 * q2) + m.y * 2 * (q2 * q3 + q0 * q1) + m.z * (1 - 2 * (q1 * q1 + q2 * q2));
  const bx = Math.hypot(hx, hy);
  const g = imuGradientRaw(q, a);
  const f4 = bx * (1 - 2 * (q2 * q2 + q3 * q3)) + 2 * bz * (q1 * q3 - q0 * q2) - m.x;
  const f5 = 2 * bx * (q1 * q2 - q0 * q3) + 2 * bz * (q0 * q1 + q2 * q3) - m.y;
  const f6 = 2 * bx * (q0 * q2 + q1 * q3) + bz * (1 - 2 * (q1 * q1 + q2 * q2)) - m.z;
  return unit([
    g[0] - 2 * bz * q2 * f4 + (-2 * bx * q3 + 2 * bz * q1) * f5 + 2 * bx * q2 * f6,
    g[1] + 2 * bz * q3 * f4 + (2 * bx * q2 + 2 * bz * q0) * f5 + (2 * bx * q3 - 4 * bz * q1) * f6,
    g[2] + (-4 * bx * q2 - 2 * bz * q0) * f4 + (2 * bx * q1 + 2 * bz * q3) * f5 + (2 * bx * q0 - 4 * bz * q2) * f6,
    g[3] + (-4 * bx * q3 + 2 * bz * q1) * f4 + (-2 * bx * q0 + 2 * bz * q2) * f5 + 2 * bx * q1 * f6,
  ]);
}

/** Jᵀf of the gravity objective, not normalised. */
function imuGradientRaw(q: Quat, a: Vec3): Quat {
  const [q0, q1, q2, q3] = q;
  const f1 = 2 * (q1 * q3 - q0 * q2) - a.x;
  const f2 = 2 * (q0 * q1 + q2 * q3) - a.y;
  const f3 = 1 - 2 * (q1 * q1 + q2 * q2) - a.z;
  return [
    -2 * q2 * f1 + 2 * q1 * f2,
    2 * q3 * f1 + 2 * q0 * f2 - 4 * q1 * f3,
    -2 * q0 * f1 + 2 * q3 * f2 - 4 * q2 * f3,
    2 * q1 * f1 + 2 * q2 * f2,
  ];
}

/** Normalised, except that a gradient of rounding noise (the estimate already fits) is no step at all. */
function unit(v: Quat): Quat {
  const n = Math.hypot(...v);
  return n > 1e-9 ? [v[0] / n, v[1] / n, v[2] / n, v[3] / n] : [0, 0, 0, 0];
}
