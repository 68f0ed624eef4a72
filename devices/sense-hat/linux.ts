/**
 * The Sense HAT through the Linux kernel drivers under a root dir: `/` on a Pi, a temp dir with a
 * fake /sys and /dev in tests and for the simulated board. Discovery is repeated (at most every
 * two seconds) while something is missing, so a device that comes back is picked up.
 */
import { DisplayError, KernelDisplay, defaultOpen, type OpenFile } from './display';
import { discover, found, missingProblem, type Discovery } from './discover';
import type { RegisterBus } from './i2c';
import type { Image, Problem, Rotation, SensorId, SensorRead, SensorValues } from './interface';
import { JoystickReader, eventSizeFor, type JoystickHandlers } from './joystick';
import { LinuxSensors } from './sensors';

export interface LinuxOptions {
  /** Opens device files; tests inject EACCES here (they run as root, where chmod cannot). */
  open?: OpenFile;
  eventSize?: 16 | 24;
  /** Register access for sensors without a kernel driver (i2c-tools); none by default. */
  bus?: RegisterBus | undefined;
  joystickPollMs?: number;
}

const REDISCOVER_MS = 2000;

export class LinuxSenseHat {
  private found: Discovery | undefined;
  private foundAt = 0;
  private sensorSet: LinuxSensors | undefined;
  private display: KernelDisplay | undefined;
  private readonly open: OpenFile;

  constructor(
    readonly root: string,
    private readonly opts: LinuxOptions = {},
  ) {
    this.open = opts.open ?? defaultOpen;
  }

  /** Discovery, repeated when `force` or when the last one is older than two seconds. */
  async discovery(force = false): Promise<Discovery> {
    if (this.found && !force && Date.now() - this.foundAt < REDISCOVER_MS) return this.found;
    const d = await discover(this.root);
    const before = JSON.stringify(this.found?.iio);
    this.found = d;
    this.foundAt = Date.now();
    if (!this.sensorSet || JSON.stringify(d.iio) !== before) this.sensorSet = new LinuxSensors(d.iio, this.opts.bus);
    if (this.display && this.display.path !== d.display?.path) {
      void this.display.close();
      this.display = undefined;
    }
    return d;
  }

  /** True when anything of a Sense HAT is there. */
  async present(): Promise<boolean> {
    return found(await this.discovery(true));
  }

  async sensorsAvailable(): Promise<SensorId[]> {
    await this.discovery();
    return this.sensorSet?.available() ?? [];
  }

  async read<K extends SensorId>(id: K): Promise<SensorRead<NonNullable<SensorValues[K]>>> {
    const d = await this.discovery();
    if (!this.sensorSet?.available().includes(id)) return { ok: false, problem: missingProblem(d, `${id} sensor`) };
    const r = await this.sensorSet.read(id);
    if (!r.ok && r.problem.code === 'missing') this.foundAt = 0; // look again next time
    return r;
  }

  /** Writes a frame; throws DisplayError with a plain Problem. */
  async writeFrame(image: Image, rotation: Rotation, lowLight: boolean): Promise<void> {
    const d = await this.discovery(!this.display);
    if (!d.display) throw new DisplayError(missingProblem(d, 'LED matrix ("RPi-Sense FB" framebuffer)'));
    this.display ??= new KernelDisplay(this.root, d.display, this.open);
    try {
      await this.display.write(image, rotation, lowLight);
    } catch (err) {
      if (err instanceof DisplayError && err.problem.code === 'missing') this.foundAt = 0;
      throw err;
    }
  }

  /** Starts reading the joystick; stop the returned reader to end. */
  watchJoystick(on: JoystickHandlers): JoystickReader {
    const locate = async (): Promise<string | { problem: Problem }> => {
      const d = await this.discovery(true);
      return d.joystick ?? { problem: missingProblem(d, 'joystick') };
    };
    const reader = new JoystickReader(this.root, locate, on, this.opts.eventSize ?? eventSizeFor(), this.open, this.opts.joystickPollMs);
    reader.start();
    return reader;
  }

  async close(): Promise<void> {
    await this.display?.close();
    this.display = undefined;
  }
}
