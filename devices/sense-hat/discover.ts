/**
 * Finds the Sense HAT's kernel devices under a root dir (sense-hat.md §3): the framebuffer named
 * "RPi-Sense FB" (or the newer /dev/sense-hat), the joystick's evdev node and the IIO sensors.
 * Never assumes device numbers; decoys with other names are ignored.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Problem, SensorId } from './interface';

export interface Discovery {
  display?: { kind: 'fb' | 'misc'; path: string; sysDir?: string | undefined } | undefined;
  joystick?: string | undefined;
  /** IIO device directory per sensor. */
  iio: Partial<Record<SensorId, string>>;
  /** The HAT's ID EEPROM says "Sense HAT" (the board is there even if no driver is bound). */
  eeprom: boolean;
}

export const FB_NAME = 'RPi-Sense FB';
export const JOYSTICK_NAME = 'Raspberry Pi Sense HAT Joystick';

async function text(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file, 'utf8')).replace(/\0/g, '').trim();
  } catch {
    return undefined;
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Which sensor an IIO device is, from the name its driver gives it (underscores or dashes). */
export function sensorOfIioName(name: string): SensorId | undefined {
  const n = name.toLowerCase().replace(/_/g, '-');
  if (n.startsWith('hts221')) return 'humidity';
  if (n.startsWith('lps25h')) return 'pressure';
  if (n.startsWith('lsm9ds1')) {
    if (n.includes('accel')) return 'accelerometer';
    if (n.includes('gyro')) return 'gyroscope';
    if (n.includes('magn')) return 'magnetometer';
  }
  if (n.startsWith('tcs3400') || n.startsWith('tcs3472')) return 'colour';
  return undefined;
}

export async function discover(root: string): Promise<Discovery> {
  const out: Discovery = { iio: {}, eeprom: false };
  const graphics = path.join(root, 'sys/class/graphics');
  for (const fb of await entries(graphics)) {
    if (/^fb\d+$/.test(fb) && (await text(path.join(graphics, fb, 'name'))) === FB_NAME) {
      out.display = { kind: 'fb', path: path.join(root, 'dev', fb), sysDir: path.join(graphics, fb) };
      break;
    }
  }
  if (!out.display && (await exists(path.join(root, 'dev/sense-hat'))))
    out.display = { kind: 'misc', path: path.join(root, 'dev/sense-hat') };
  const input = path.join(root, 'sys/class/input');
  for (const ev of await entries(input)) {
    if (/^event\d+$/.test(ev) && (await text(path.join(input, ev, 'device/name'))) === JOYSTICK_NAME) {
      out.joystick = path.join(root, 'dev/input', ev);
      break;
    }
  }
  const iio = path.join(root, 'sys/bus/iio/devices');
  for (const dev of await entries(iio)) {
    const name = await text(path.join(iio, dev, 'name'));
    const sensor = name === undefined ? undefined : sensorOfIioName(name);
    if (sensor && !out.iio[sensor]) out.iio[sensor] = path.join(iio, dev);
  }
  out.eeprom = /sense hat/i.test((await text(path.join(root, 'proc/device-tree/hat/product'))) ?? '');
  return out;
}

/** True when anything of a Sense HAT is visible. */
export function found(d: Discovery): boolean {
  return d.display !== undefined || d.joystick !== undefined || Object.keys(d.iio).length > 0;
}

/** Plain words for what is missing (status and error), e.g. the overlay that is not loaded. */
export function missingProblem(d: Discovery, what: string): Problem {
  if (!found(d) && d.eeprom) {
    return { code: 'overlay', text: `Sense HAT found but its drivers are not loaded: add "dtoverlay=rpi-sense" to config.txt and reboot` };
  }
  if (!found(d)) return { code: 'no-hat', text: 'no Sense HAT found (no "RPi-Sense FB" framebuffer, joystick or IIO sensor)' };
  return { code: 'missing', text: `no ${what} found on this Sense HAT` };
}

/** Default group owning each kind of device file on Raspberry Pi OS. */
const DEFAULT_GROUP: Record<string, string> = { fb: 'video', misc: 'video', input: 'input', i2c: 'i2c' };

/** Name of the group that owns a file, from <root>/etc/group, else the usual one for its kind. */
export async function groupOf(root: string, file: string, kind: keyof typeof DEFAULT_GROUP): Promise<string> {
  try {
    const gid = (await fsp.stat(file)).gid;
    const groups = await fsp.readFile(path.join(root, 'etc/group'), 'utf8');
    for (const line of groups.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === gid && gid !== 0) return name;
    }
  } catch {
    // fall through to the usual group
  }
  return DEFAULT_GROUP[kind] ?? 'video';
}

/** A Problem for a failed system call on a device file, naming the group to join on EACCES. */
export async function fileProblem(root: string, file: string, kind: keyof typeof DEFAULT_GROUP, err: unknown): Promise<Problem> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const shown = '/' + path.relative(root, file);
  if (code === 'EACCES' || code === 'EPERM') {
    const group = await groupOf(root, file, kind);
    return {
      code: 'permission',
      text: `permission denied on ${shown}: add the Node-RED user to the "${group}" group and restart Node-RED`,
    };
  }
  if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') return { code: 'missing', text: `${shown} is gone (${code})` };
  if (code === 'EBUSY') return { code: 'busy', text: `${shown} is busy` };
  return { code: 'io', text: `${shown}: ${err instanceof Error ? err.message : String(err)}` };
}
