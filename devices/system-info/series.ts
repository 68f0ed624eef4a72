/**
 * The system information node's settings and payload: series `{name: {value, unit}}` that the
 * measurement node takes as they are. Pure.
 */
import { fail, ok, type Result } from '../../dialects/types';
import type { SystemSelection, SystemSnapshot } from './interface';

export interface SystemSettings extends SystemSelection {
  /** Seconds between readings; 0 = only when a message arrives. */
  interval: number;
}

const FLAGS = ['cpu', 'temperature', 'memory', 'disk', 'network', 'uptime', 'processes'] as const;

export function parseSystemSettings(def: Record<string, unknown>): Result<SystemSettings> {
  const flags = Object.fromEntries(FLAGS.map((f) => [f, def[f] === true || def[f] === 'true'])) as Record<(typeof FLAGS)[number], boolean>;
  if (!FLAGS.some((f) => flags[f])) return fail('nothing selected');
  const interval = Number(def['interval'] ?? 10);
  if (!Number.isFinite(interval) || interval < 0 || (interval > 0 && interval < 1))
    return fail(`interval ${String(def['interval'])} s: 0 or at least 1`);
  const top = Number(def['top'] ?? 5);
  if (!Number.isInteger(top) || top < 1 || top > 50) return fail(`top ${String(def['top'])}: 1 to 50 processes`);
  const disks = (typeof def['disks'] === 'string' ? def['disks'] : '/')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (flags.disk && (disks.length === 0 || disks.some((d) => !d.startsWith('/'))))
    return fail(`disks "${disks.join(',')}": absolute paths, comma separated`);
  return ok({ ...flags, interval, top, disks });
}

/** Series name of a disk: `disk` for `/`, else `disk` + the path in camel case (`/boot/firmware` → `diskBootFirmware`). */
export function diskName(p: string): string {
  const parts = p.split(/[^A-Za-z0-9]+/).filter((s) => s !== '');
  return 'disk' + parts.map((s) => (s[0] ?? '').toUpperCase() + s.slice(1)).join('');
}

export type Series = Record<string, { value: number; unit: string }>;

export function systemSeries(s: SystemSnapshot): Series {
  const out: Series = {};
  const put = (name: string, value: number | undefined, unit: string): void => {
    if (value !== undefined && Number.isFinite(value)) out[name] = { value, unit };
  };
  put('cpuLoad', s.cpuLoad, '%');
  put('cpuTemperature', s.cpuTemperature, '°C');
  if (s.memory) {
    put('memoryTotal', s.memory.total, 'MB');
    put('memoryAvailable', s.memory.available, 'MB');
    put('memoryUsed', s.memory.used, '%');
    put('swapUsed', s.memory.swapUsed, 'MB');
  }
  for (const d of s.disks ?? []) {
    put(`${diskName(d.path)}Used`, d.used, '%');
    put(`${diskName(d.path)}Free`, d.free, 'MB');
  }
  if (s.network) {
    put('networkRx', s.network.rx, 'B/s');
    put('networkTx', s.network.tx, 'B/s');
  }
  put('uptime', s.uptime, 's');
  return out;
}
