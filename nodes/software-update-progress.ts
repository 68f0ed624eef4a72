/**
 * What the software update node shows while a job runs: the node status on every phase change
 * and at most once a second while downloading; a progress message on every phase change and
 * otherwise at most every 5 s or 10 % (software-update.md §8).
 */
import type { NodeStatus } from 'node-red';
import type { Progress } from '../devices/software/updater';

export interface ProgressPayload {
  opId: string;
  jobId: string;
  phase: string;
  module?: string | undefined;
  percent?: number | undefined;
  bytes?: number | undefined;
  total?: number | undefined;
  message?: string | undefined;
}

export interface ProgressOut {
  status(s: NodeStatus): void;
  message(p: ProgressPayload): void;
}

/** Status texts stay under 20 characters (house style): phase names are short, percent is appended. */
export function progressReporter(
  opId: string,
  out: ProgressOut,
  label: (phase: string) => string,
  now: () => number = Date.now,
): (p: Progress) => void {
  let phase = '';
  let module: string | undefined;
  let lastStatus = 0;
  let lastMsg = 0;
  let lastPercent = -100;
  return (p: Progress): void => {
    const percent = p.total !== undefined && p.total > 0 && p.bytes !== undefined ? Math.floor((p.bytes / p.total) * 100) : undefined;
    const changed = p.phase !== phase || p.module !== module;
    const t = now();
    if (changed) lastPercent = -100;
    if (changed || t - lastStatus >= 1000) {
      lastStatus = t;
      const text = percent !== undefined ? `${label(p.phase)} ${percent}%` : label(p.phase);
      out.status({ fill: 'blue', shape: 'dot', text });
    }
    if (changed || t - lastMsg >= 5000 || (percent !== undefined && percent - lastPercent >= 10)) {
      lastMsg = t;
      if (percent !== undefined) lastPercent = percent;
      out.message({ opId, jobId: p.jobId, phase: p.phase, module: p.module, percent, bytes: p.bytes, total: p.total, message: p.message });
    }
    phase = p.phase;
    module = p.module;
  };
}
