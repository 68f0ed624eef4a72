/**
 * Pure parts of the Sense HAT nodes: their settings, the payload the in node sends (an object of
 * series `{name: {value, unit}}` that the measurement node takes as it is) and problem statuses.
 */
import type { NodeStatus } from 'node-red';
import { fail, ok, type Result } from '../dialects/types';
import { parseColour } from '../devices/sense-hat/colours';
import type { TextStyle } from '../devices/sense-hat/commands';
import type { Orientation } from '../devices/sense-hat/fusion';
import type { JoystickEvent, KeyState, Problem, Rotation, SensorId, SensorValues } from '../devices/sense-hat/interface';
import type { Translate } from './common';

export interface InSettings {
  humidity: boolean;
  temperature: boolean;
  pressure: boolean;
  acceleration: boolean;
  gyroscope: boolean;
  magnetometer: boolean;
  orientation: boolean;
  colour: boolean;
  /** Seconds between readings; 0 = only when a message arrives. */
  interval: number;
  gyroUnit: 'rad/s' | 'deg/s';
  fusion: 'madgwick' | 'tilt';
  /** Samples per second of the fusion filter. */
  fusionRate: number;
}

export type Series = Record<string, { value: number; unit: string }>;

const FLAGS = ['humidity', 'temperature', 'pressure', 'acceleration', 'gyroscope', 'magnetometer', 'orientation', 'colour'] as const;

/** Settings from the node definition; a hand-edited flow fails here, clearly, not later. */
export function parseInSettings(def: Record<string, unknown>): Result<InSettings> {
  const flags = Object.fromEntries(FLAGS.map((f) => [f, def[f] === true || def[f] === 'true'])) as Record<(typeof FLAGS)[number], boolean>;
  if (!FLAGS.some((f) => flags[f])) return fail('no sensor selected');
  const interval = Number(def['interval'] ?? 1);
  if (!Number.isFinite(interval) || interval < 0 || (interval > 0 && interval < 0.05))
    return fail(`interval ${String(def['interval'])} s: 0 or at least 0.05`);
  const fusionRate = Number(def['fusionRate'] ?? 10);
  if (!Number.isFinite(fusionRate) || fusionRate < 1 || fusionRate > 100)
    return fail(`fusion rate ${String(def['fusionRate'])}: 1 to 100 per second`);
  const gyroUnit = def['gyroUnit'] === 'deg/s' ? 'deg/s' : 'rad/s';
  const fusion = def['fusion'] === 'tilt' ? 'tilt' : 'madgwick';
  return ok({ ...flags, interval, gyroUnit, fusion, fusionRate });
}

/** The sensors a reading needs. */
export function sensorsFor(s: InSettings): SensorId[] {
  const out = new Set<SensorId>();
  if (s.humidity || s.temperature) out.add('humidity');
  if (s.pressure || s.temperature) out.add('pressure');
  if (s.acceleration || s.orientation) out.add('accelerometer');
  if (s.gyroscope) out.add('gyroscope');
  if (s.magnetometer || s.orientation) out.add('magnetometer');
  if (s.colour) out.add('colour');
  return [...out];
}

const r = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The payload for one reading. Temperature is the humidity sensor's (as python-sense-hat's
 * get_temperature), else the pressure sensor's; both sensors' values are also given by name.
 */
export function toSeries(s: InSettings, v: SensorValues, orientation: Orientation | undefined): Series {
  const out: Series = {};
  const put = (name: string, value: number | undefined, unit: string, digits: number): void => {
    if (value !== undefined && Number.isFinite(value)) out[name] = { value: r(value, digits), unit };
  };
  if (s.temperature) {
    put('temperature', v.humidity?.temperature ?? v.pressure?.temperature, '°C', 2);
    put('temperatureFromHumidity', v.humidity?.temperature, '°C', 2);
    put('temperatureFromPressure', v.pressure?.temperature, '°C', 2);
  }
  if (s.humidity) put('humidity', v.humidity?.humidity, '%RH', 2);
  if (s.pressure) put('pressure', v.pressure?.pressure, 'hPa', 2);
  for (const [flag, key, name, unit, k] of [
    ['acceleration', 'accelerometer', 'acceleration', 'g', 1],
    ['gyroscope', 'gyroscope', 'gyroscope', s.gyroUnit, s.gyroUnit === 'deg/s' ? 180 / Math.PI : 1],
    ['magnetometer', 'magnetometer', 'magneticField', 'µT', 1],
  ] as const) {
    const vec = v[key];
    if (s[flag] && vec) for (const axis of ['x', 'y', 'z'] as const) put(`${name}${axis.toUpperCase()}`, vec[axis] * k, unit, 4);
  }
  if (s.orientation && orientation) {
    put('roll', orientation.roll, '°', 2);
    put('pitch', orientation.pitch, '°', 2);
    put('yaw', orientation.yaw, '°', 2);
  }
  if (s.colour && v.colour)
    for (const c of ['red', 'green', 'blue', 'clear'] as const) put(`colour${c[0]?.toUpperCase() ?? ''}${c.slice(1)}`, v.colour[c], '', 0);
  return out;
}

/**
 * Red status for a device problem: `<ns>.status.<code>` with the sensor's short name from
 * `<ns>.sensor.<sensor>` (short, so that "bad __sensor__ data" stays under 20 characters).
 */
export function problemStatus(t: Translate, ns: string, sensor: string, p: Problem): NodeStatus {
  const key = p.code === 'busy' ? 'io' : p.code;
  return { fill: 'red', shape: 'dot', text: t(`${ns}.status.${key}`, { sensor: t(`${ns}.sensor.${sensor}`) }) };
}

export interface OutSettings {
  rotation: Rotation;
  lowLight: boolean;
  style: TextStyle;
  queue: boolean;
}

/** Settings from the node definition (validated again here for hand-edited flows). */
export function parseOutSettings(def: Record<string, unknown>): Result<OutSettings> {
  const rotation = Number(def['rotation'] ?? 0);
  if (rotation !== 0 && rotation !== 90 && rotation !== 180 && rotation !== 270) return fail(`rotation ${String(def['rotation'])}`);
  const fg = parseColour(def['colour'] || 'white');
  const bg = parseColour(def['background'] || 'off');
  if (!fg.ok) return fg;
  if (!bg.ok) return bg;
  const columnMs = Number(def['columnMs'] ?? 100);
  if (!Number.isFinite(columnMs) || columnMs < 20 || columnMs > 1000) return fail(`scroll speed ${String(def['columnMs'])} ms: 20 to 1000`);
  return ok({
    rotation,
    lowLight: def['lowLight'] === true,
    style: { fg: fg.value, bg: bg.value, columnMs },
    queue: def['mode'] === 'queue',
  });
}

const ACTIONS: Record<KeyState, 'released' | 'pressed' | 'held'> = { 0: 'released', 1: 'pressed', 2: 'held' };

/** `{key, state}` as node-red-node-pi-sense-hat sends it, plus the state in words. */
export function joystickMessage(e: JoystickEvent): {
  topic: string;
  payload: { key: string; state: KeyState; action: string };
  timestamp: number;
} {
  return { topic: 'joystick', payload: { key: e.key, state: e.state, action: ACTIONS[e.state] }, timestamp: Math.round(e.time) };
}
