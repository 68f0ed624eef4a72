/**
 * The Trinity settings Smart may change, persisted per device (trinity.md §9). The seed's rule
 * "stored values win over the constructor" made users clear an INI file by hand after changing
 * their code; ours: a stored value wins only while the node's own setting is the one it was
 * stored with, so editing the node in Node-RED takes effect and a change made by Smart survives
 * restarts and redeploys otherwise.
 */
import * as path from 'node:path';
import { SETTING_KEYS, type TrinitySettings } from '../dialects/trinity';
import { readJson, writeJsonAtomic } from './state-store';

interface Stored {
  /** The node's settings when this file was written. */
  configured: TrinitySettings;
  /** The settings in force (the node's, changed by Smart). */
  current: TrinitySettings;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function isSettings(v: unknown): v is TrinitySettings {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['pdr_interval'] === 'number' &&
    typeof o['use_rtc'] === 'boolean' &&
    typeof o['keep_alive'] === 'number' &&
    typeof o['default_qos'] === 'number' &&
    typeof o['clean_session'] === 'boolean' &&
    Array.isArray(o['trusted_senders']) &&
    o['trusted_senders'].every((x) => typeof x === 'string') &&
    typeof o['host'] === 'string'
  );
}

/** The settings in force: each stored value whose node setting did not change since it was stored, else the node's. */
export function mergeSettings(configured: TrinitySettings, stored: unknown): TrinitySettings {
  if (typeof stored !== 'object' || stored === null) return { ...configured };
  const s = stored as Partial<Stored>;
  if (!isSettings(s.configured) || !isSettings(s.current)) return { ...configured };
  const out: TrinitySettings = { ...configured, trusted_senders: [...configured.trusted_senders] };
  for (const k of SETTING_KEYS) {
    if (same(s.configured[k], configured[k])) Object.assign(out, { [k]: s.current[k] });
  }
  return out;
}

export class TrinitySettingsStore {
  readonly file: string;
  private current: TrinitySettings;

  constructor(
    dir: string,
    private readonly configured: TrinitySettings,
  ) {
    this.file = path.join(dir, 'trinity-settings.json');
    this.current = mergeSettings(configured, readJson(this.file));
  }

  get settings(): TrinitySettings {
    return this.current;
  }

  /** Applies a change and writes it through (atomically, fsync'd). */
  update(change: Partial<TrinitySettings>): void {
    this.current = { ...this.current, ...change };
    const stored: Stored = { configured: this.configured, current: this.current };
    writeJsonAtomic(this.file, stored);
  }
}
