/** The registry entry of Trinity Smart-MQTT: its settings parser and the agent with the host's health and network. */
import * as os from 'node:os';
import { TrinityAgent } from '../agent/trinity-agent';
import { HostHealth } from '../agent/trinity-health';
import { ok } from '../dialects/types';
import { LinuxNetwork } from '../devices/network/linux';
import { parseTrinityConfig } from './connection-config-trinity';
import type { Dialect } from './dialects';

/** A MAC for the default HID off a Pi: the first non-loopback interface by name (as uuid.getnode picks a hardware address). */
export function firstMac(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string | undefined {
  for (const name of Object.keys(ifaces).sort()) {
    const mac = ifaces[name]?.find((i) => !i.internal && i.mac && i.mac !== '00:00:00:00:00:00')?.mac;
    if (mac) return mac;
  }
  return undefined;
}

export const TRINITY_DIALECT: Dialect = {
  label: 'Trinity Smart-MQTT',
  prepare(def, creds, ctx) {
    const parsed = parseTrinityConfig(def, creds, ctx, firstMac());
    if (!parsed.ok) return parsed;
    const cfg = parsed.value;
    const root = ctx.hostRoot ?? '/';
    return ok({
      deviceId: cfg.hid,
      dataDir: cfg.dataDir,
      create: (outbox, backoff) =>
        new TrinityAgent(
          { ...cfg, ...(backoff ? { backoff } : {}), health: new HostHealth(root), network: new LinuxNetwork(root) },
          outbox,
        ),
    });
  },
};
