/**
 * The registry entry of libpyiotcloud: its settings parser and the agent with its devices —
 * simulated ones (fake files under the data dir, the default) or the host's (sysfs GPIO, a tty,
 * /proc network data, the system clock) under `deviceAgentHostRoot`.
 */
import * as path from 'node:path';
import { LibpyiotcloudAgent, type LibpyiotcloudDevices } from '../agent/libpyiotcloud-agent';
import { safeName } from '../agent/state-store';
import { ok } from '../dialects/types';
import { SystemClock } from '../devices/clock/linux';
import { SimulatedClock } from '../devices/clock/simulated';
import { SysfsGpio } from '../devices/gpio/linux';
import { SimulatedGpio } from '../devices/gpio/simulated';
import { LinuxNetwork } from '../devices/network/linux';
import { SimulatedNetwork } from '../devices/network/simulated';
import { TtyUart } from '../devices/uart/linux';
import { SimulatedUart } from '../devices/uart/simulated';
import { parseLibpyiotcloudConfig, type LibpyiotcloudConfig } from './connection-config-libpyiotcloud';
import type { Dialect } from './dialects';

/** Where the simulated devices of one connection keep their fake files. */
export function simulatedRoot(cfg: Pick<LibpyiotcloudConfig, 'dataDir' | 'host' | 'deviceId'>): string {
  return path.join(cfg.dataDir, safeName(cfg.host), safeName(cfg.deviceId), 'simulated-devices');
}

export function makeDevices(cfg: LibpyiotcloudConfig, hostRoot: string): LibpyiotcloudDevices {
  const d = cfg.devices;
  if (d.mode === 'simulated') {
    const root = simulatedRoot(cfg);
    return {
      gpio: new SimulatedGpio(root, d.gpioPins),
      uart: new SimulatedUart(root),
      network: new SimulatedNetwork(root),
      clock: new SimulatedClock(),
    };
  }
  return {
    gpio: new SysfsGpio(hostRoot, { chipLabel: d.gpioChip, pins: d.gpioPins }),
    uart: new TtyUart(hostRoot, d.uartDevice, { baud: d.uartBaud }),
    network: new LinuxNetwork(hostRoot),
    clock: new SystemClock({ allowSet: d.clockSet }),
  };
}

export const LIBPYIOTCLOUD_DIALECT: Dialect = {
  label: 'libpyiotcloud',
  prepare(def, creds, ctx) {
    const parsed = parseLibpyiotcloudConfig(def, creds, ctx);
    if (!parsed.ok) return parsed;
    const cfg = parsed.value;
    const root = ctx.hostRoot ?? '/';
    return ok({
      deviceId: cfg.deviceId,
      dataDir: cfg.dataDir,
      create: (outbox, backoff) =>
        new LibpyiotcloudAgent({ ...cfg, ...(backoff ? { backoff } : {}), devices: makeDevices(cfg, root) }, outbox),
    });
  },
};
