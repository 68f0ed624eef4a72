/** Settings of the log-upload node, validated (pure): the editor checks them too, a hand-edited flow is caught here. */
import { fail, ok, type Result } from '../dialects/types';
import { parseLogSources } from '../agent/log-upload/sources';
import type { LogUploadConfig } from '../agent/log-upload/uploader';

export interface LogUploadDef {
  sources?: unknown;
  maxKiB?: unknown;
  defaultLines?: unknown;
  timeout?: unknown;
}

/** `deviceAgentLogUpload` in settings.js: what the editor does not show. */
export interface LogUploadSettings {
  /** The journalctl program, default `journalctl` (found on PATH). */
  journalctl?: string;
  /** Bytes of a log read at most (its end), default 64 MiB. */
  scanBytes?: number;
}

export interface LogUploadNodeConfig {
  upload: LogUploadConfig;
  timeoutSec: number;
}

const MAX_LINES = 100_000;
const DEFAULT_SCAN = 64 * 1024 * 1024;

function int(v: unknown, dflt: number, min: number, max: number, what: string): Result<number> {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (text === '') return ok(dflt);
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) return fail(`${what} must be a whole number from ${min} to ${max}, not "${text}"`);
  return ok(n);
}

export function parseLogUploadDef(def: LogUploadDef, settings: LogUploadSettings = {}): Result<LogUploadNodeConfig> {
  const sources = parseLogSources(typeof def.sources === 'string' ? def.sources : '');
  if (!sources.ok) return sources;
  // 50 MiB: the platform's default limit for one binary (REST reference, event binaries).
  const kib = int(def.maxKiB, 1024, 1, 51_200, 'maximum size (KiB)');
  if (!kib.ok) return kib;
  const lines = int(def.defaultLines, 1000, 1, MAX_LINES, 'default lines');
  if (!lines.ok) return lines;
  const timeout = int(def.timeout, 120, 10, 3600, 'timeout');
  if (!timeout.ok) return timeout;
  const maxBytes = kib.value * 1024;
  const scan = typeof settings.scanBytes === 'number' && settings.scanBytes >= 1024 ? settings.scanBytes : DEFAULT_SCAN;
  return ok({
    timeoutSec: timeout.value,
    upload: {
      sources: sources.value,
      maxBytes,
      defaultLines: lines.value,
      maxLines: MAX_LINES,
      scanBytes: Math.max(scan, maxBytes),
      maxLineBytes: Math.min(64 * 1024, maxBytes),
      journalctl: typeof settings.journalctl === 'string' && settings.journalctl !== '' ? settings.journalctl : 'journalctl',
      journalTimeoutMs: Math.min(30_000, (timeout.value * 1000) / 2),
    },
  });
}
