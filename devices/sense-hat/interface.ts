/**
 * What the Sense HAT looks like to the rest of the package, independent of the backend (Linux
 * kernel drivers under a root dir; the simulated board is the same code pointed at a fake tree).
 * Hardware reference: shared/protocols/sense-hat.md.
 */

/** An 8-bit-per-channel colour. */
export type Rgb = readonly [number, number, number];

/** The 64 pixels of the matrix in user coordinates, row by row (index = 8·y + x). */
export type Image = readonly Rgb[];

export type Rotation = 0 | 90 | 180 | 270;

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** A sensor the node can read; each one degrades on its own (sense-hat.md §2). */
export type SensorId = 'humidity' | 'pressure' | 'accelerometer' | 'gyroscope' | 'magnetometer' | 'colour';

export const SENSOR_IDS: readonly SensorId[] = ['humidity', 'pressure', 'accelerometer', 'gyroscope', 'magnetometer', 'colour'];

/** One reading per sensor, already in the units we emit (sense-hat.md §5, §6). */
export interface SensorValues {
  humidity?: { humidity: number; temperature: number }; // %RH, °C
  pressure?: { pressure: number; temperature: number }; // hPa, °C
  accelerometer?: Vec3; // g
  gyroscope?: Vec3; // rad/s
  magnetometer?: Vec3; // µT
  colour?: { red: number; green: number; blue: number; clear: number }; // 0–255 of full scale
}

/** Why a sensor or device channel could not be used; `text` is for people, `code` for tests. */
export interface Problem {
  /** `no-hat`: nothing of a Sense HAT is there; `overlay`: the board is, its drivers are not. */
  code: 'no-hat' | 'overlay' | 'missing' | 'permission' | 'garbage' | 'size' | 'io' | 'busy';
  text: string;
}

export type SensorRead<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** Reads the sensors; absent ones are simply not asked for. */
export interface SensorSource {
  /** Which sensors this board exposes right now (after discovery). */
  available(): SensorId[];
  read<K extends SensorId>(id: K): Promise<SensorRead<NonNullable<SensorValues[K]>>>;
}

/** Writes whole frames to the LED matrix. */
export interface DisplayWriter {
  readonly path: string;
  write(image: Image, rotation: Rotation, lowLight: boolean): Promise<void>;
  close(): Promise<void>;
}

export type JoystickKey = 'UP' | 'DOWN' | 'LEFT' | 'RIGHT' | 'ENTER';

/** 0 released, 1 pressed, 2 held (autorepeat), as the kernel reports them. */
export type KeyState = 0 | 1 | 2;

export interface JoystickEvent {
  key: JoystickKey;
  state: KeyState;
  /** Kernel time stamp of the event (ms since 1970). */
  time: number;
}
