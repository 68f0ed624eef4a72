/**
 * The switch from the old version to the new one by renames on one file system
 * (software-update.md §6): every live item moves into the backup directory, then the staged item
 * moves into its place. Which items existed is journaled before the first rename; after that the
 * state is read off the file system (an item is either in backup or not, staged or not), so
 * `swapIn`, `swapBack` and `dropBackup` are idempotent and finish correctly whatever prefix of
 * them ran before a crash. Items are removed by renaming them into a trash directory first, so a
 * crash never leaves a half-deleted live item.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepLog } from './interface';

export interface SwapPlan {
  /** Directory holding the live items. */
  live: string;
  /** Directory holding the new items (same file system as `live`). */
  staging: string;
  backup: string;
  trash: string;
  /** Item names inside those directories. */
  items: readonly string[];
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every file system can fsync a directory; the renames are still atomic.
  }
}

let trashCounter = 0;

function toTrash(p: string, trash: string): void {
  fs.mkdirSync(trash, { recursive: true });
  trashCounter += 1;
  fs.renameSync(p, path.join(trash, `${path.basename(p)}.${process.pid}.${Date.now()}.${trashCounter}`));
}

function existedMap(steps: StepLog): Record<string, boolean> | undefined {
  const v = steps.data['existed'];
  return typeof v === 'object' && v !== null ? (v as Record<string, boolean>) : undefined;
}

/** Backs up the live items and moves the staged ones in. */
export function swapIn(plan: SwapPlan, steps: StepLog): void {
  let existed = existedMap(steps);
  if (!existed) {
    existed = Object.fromEntries(plan.items.map((i) => [i, exists(path.join(plan.live, i))]));
    fs.mkdirSync(plan.backup, { recursive: true });
    steps.save({ existed });
  }
  for (const item of plan.items) {
    const live = path.join(plan.live, item);
    const backup = path.join(plan.backup, item);
    const staged = path.join(plan.staging, item);
    if (existed[item] && !exists(backup) && exists(live)) fs.renameSync(live, backup);
    if (exists(staged)) {
      if (exists(live)) toTrash(live, plan.trash); // only when it did not exist at the start: a stray item
      fs.renameSync(staged, live);
    }
  }
  syncDir(plan.backup);
  syncDir(plan.live);
  steps.save({ swapped: true });
}

/** Puts the backed-up items back (undoing any prefix of `swapIn`) and removes staging and trash. */
export function swapBack(plan: SwapPlan, steps: StepLog): void {
  const existed = existedMap(steps);
  if (existed) {
    for (const item of [...plan.items].reverse()) {
      const live = path.join(plan.live, item);
      const backup = path.join(plan.backup, item);
      const staged = path.join(plan.staging, item);
      if (exists(backup)) {
        if (exists(live)) toTrash(live, plan.trash);
        fs.renameSync(backup, live);
      } else if (!existed[item] && exists(live) && !exists(staged)) {
        toTrash(live, plan.trash); // new item that had no old version
      }
    }
    syncDir(plan.live);
    steps.save({ rolledBack: true });
  }
  clean(plan, false);
}

/** After success: the backup, staging and trash go. */
export function dropBackup(plan: SwapPlan): void {
  clean(plan, true);
}

function clean(plan: SwapPlan, withBackup: boolean): void {
  const dirs = withBackup ? [plan.staging, plan.trash, plan.backup] : [plan.staging, plan.trash];
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (!withBackup) removeIfEmpty(plan.backup);
  // Parents shared by several jobs (`.device-agent/staging` …) go once empty, so nothing is left behind.
  for (const d of [plan.staging, plan.trash, plan.backup]) removeIfEmpty(path.dirname(d));
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}
