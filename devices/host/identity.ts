import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What the host tells about itself; every field optional except the host name. */
export interface HostIdentity {
  /** Raspberry Pi serial number (from /proc/cpuinfo or the device tree). */
  serial?: string | undefined;
  /** Board model, e.g. "Raspberry Pi 4 Model B Rev 1.4". */
  model?: string | undefined;
  /** Board revision code, e.g. "c03114". */
  revision?: string | undefined;
  machineId?: string | undefined;
  hostname: string;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\0/g, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `Key : value` lines of /proc/cpuinfo. */
export function parseCpuinfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z ]+?)\s*:\s*(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out.set(m[1].toLowerCase(), m[2].trim());
  }
  return out;
}

/** Reads the identity of the Linux host under `root` (tests point it at a fake tree). */
export function readHostIdentity(root = '/', hostname: string = os.hostname()): HostIdentity {
  const cpu = parseCpuinfo(readText(path.join(root, 'proc/cpuinfo')) ?? '');
  // Boards without a serial report zeros; that must not hide the device tree's serial.
  const usable = (s: string | undefined): string | undefined => (s && !/^0+$/.test(s) ? s : undefined);
  const serial = usable(cpu.get('serial')) ?? usable(readText(path.join(root, 'proc/device-tree/serial-number')));
  // x86 cpuinfo has a numeric CPU `model` (e.g. 158), not a board model like the Pi's `Model`.
  const cpuModel = cpu.get('model');
  const model = readText(path.join(root, 'proc/device-tree/model')) ?? (cpuModel && !/^\d+$/.test(cpuModel) ? cpuModel : undefined);
  return {
    serial,
    model,
    revision: cpu.get('revision'),
    machineId: readText(path.join(root, 'etc/machine-id')),
    hostname,
  };
}

/** Default device id: the Pi's serial number, else the machine id, else the host name. */
export function defaultDeviceId(id: HostIdentity): string {
  const raw = id.serial ?? id.machineId ?? id.hostname;
  return raw.replace(/[:/+#\s]/g, '-');
}
