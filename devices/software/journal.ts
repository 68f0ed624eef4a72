/**
 * The persistent record of an update (software-update.md §7): written atomically (temp file,
 * fsync, rename, fsync of the directory) before every step that changes something, so a restart
 * at any moment finds where the job was; and the lock that keeps two installs from running at
 * once, also across processes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, removeFile, writeJsonAtomic } from '../../agent/state-store';
import type { HandlerSettings } from './handlers';
import type { InstalledSoftware, ModuleRequest, UpdateCode } from './interface';

/** The operation a job reports to, when it came from the platform. */
export interface JobOperation {
  key: string;
  id?: string | undefined;
  fragment: string;
  deviceId: string;
  /** Connection node id. */
  connection: string;
}

export type ModuleState = 'pending' | 'downloaded' | 'applying' | 'applied' | 'rolled-back' | 'committed';

export interface JobModule {
  request: ModuleRequest;
  state: ModuleState;
  file?: string | undefined;
  steps: Record<string, unknown>;
}

export type JobPhase = 'downloading' | 'applying' | 'restarting' | 'committing' | 'done' | 'failed';

export interface JobOutcome {
  status: 'SUCCESSFUL' | 'FAILED';
  code?: UpdateCode | undefined;
  reason?: string | undefined;
  installed: InstalledSoftware[];
  /** A Node-RED package changed and Node-RED was not restarted (restart `ask`). */
  restartRequired?: boolean | undefined;
  /** Firmware jobs: what is installed now. */
  firmware?: { name: string; version: string; url: string } | undefined;
}

export interface Job {
  version: 1;
  id: string;
  /** Node that started it (its id). */
  node: string;
  createdAt: number;
  /** Past this (ms since epoch) the job is aborted and rolled back. */
  deadline: number;
  /** Processes that started working on it (a crash loop stops after a few). */
  attempts: number;
  kind: 'software' | 'firmware';
  listMode: 'legacy' | 'advanced';
  operation?: JobOperation | undefined;
  /** Correlation for plain-message inputs: `_msgid` of the input. */
  msgid?: string | undefined;
  handlers: HandlerSettings;
  modules: JobModule[];
  phase: JobPhase;
  outcome?: JobOutcome | undefined;
}

export function isJob(v: unknown): v is Job {
  if (typeof v !== 'object' || v === null) return false;
  const j = v as Partial<Job>;
  return (
    j.version === 1 && typeof j.id === 'string' && Array.isArray(j.modules) && typeof j.phase === 'string' && typeof j.handlers === 'object'
  );
}

export class Journal {
  readonly jobsDir: string;
  constructor(readonly stateDir: string) {
    this.jobsDir = path.join(stateDir, 'jobs');
  }

  private file(id: string): string {
    return path.join(this.jobsDir, `${id}.json`);
  }

  save(job: Job): void {
    writeJsonAtomic(this.file(job.id), job);
  }

  load(id: string): Job | undefined {
    const v = readJson(this.file(id));
    return isJob(v) ? v : undefined;
  }

  /** Every readable job, oldest first. */
  all(): Job[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.jobsDir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const jobs = names.map((n) => readJson(path.join(this.jobsDir, n))).filter(isJob);
    return jobs.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The job is reported: its record and downloads go. */
  remove(id: string): void {
    removeFile(this.file(id));
    fs.rmSync(this.downloadDir(id), { recursive: true, force: true });
  }

  downloadDir(id: string): string {
    return path.join(this.stateDir, 'downloads', id);
  }
}

const STALE_AFTER_MS = 6 * 3600 * 1000;

/** Lock files held by this process, so a second job in the same process is refused too. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<stateDir>/update.lock` (pid + start time). A lock whose process is gone, one left by an
 * earlier process that had our pid, or one older than 6 h is stale and taken over. Returns undefined when busy.
 */
export function acquireLock(stateDir: string, jobId: string): { release(): void } | undefined {
  const file = path.join(stateDir, 'update.lock');
  if (held.has(file)) return undefined;
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, since: Date.now(), job: jobId }));
      fs.closeSync(fd);
      held.add(file);
      return {
        release: () => {
          if (!held.delete(file)) return;
          removeFile(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const v = readJson(file) as { pid?: unknown; since?: unknown } | undefined;
      const pid = typeof v?.pid === 'number' ? v.pid : undefined;
      // A pid can be reused after a reboot: a lock older than any job may run is stale too.
      const fresh = typeof v?.since === 'number' && Date.now() - v.since < STALE_AFTER_MS;
      if (pid !== undefined && pid !== process.pid && fresh && alive(pid)) return undefined;
      removeFile(file); // stale: its process died (or it is ours from before a restart)
    }
  }
  return undefined;
}
