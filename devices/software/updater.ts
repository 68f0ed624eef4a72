/**
 * One update job from download to a final outcome (software-update.md §2, §6, §7): download and
 * verify every module before anything live changes; apply the modules in order; if one fails,
 * roll back it and every module applied before it, in reverse; commit only when all succeeded.
 * Every step is journaled first, and `recoverJob` continues or undoes a job found after a
 * restart: downloads resume, an interrupted install is rolled back, a deliberate Node-RED restart
 * is verified and committed (or rolled back), a commit is finished. Exactly one outcome is kept in
 * the journal until the caller reported it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { download, redact, type DownloadOptions } from './download';
import type { PlatformAuth } from './http-get';
import { createHandlers } from './handlers';
import {
  asUpdateError,
  reasonOf,
  UpdateError,
  type DiskProbe,
  type InstallContext,
  type InstalledSoftware,
  type SoftwareHandler,
} from './interface';
import type { Job, JobModule, JobOutcome, Journal } from './journal';
import { checkSha256, checkSignature } from './verify';

export interface Progress {
  jobId: string;
  phase: string;
  module?: string | undefined;
  bytes?: number | undefined;
  total?: number | undefined;
  message?: string | undefined;
}

export interface UpdaterEnv {
  journal: Journal;
  disk: DiskProbe;
  /** Bytes that must stay free where downloads are kept. */
  minFreeBytes: number;
  download: Omit<DownloadOptions, 'signal' | 'onProgress' | 'diskBudget' | 'auth'>;
  /** The platform's base URL and Authorization header, asked for at download time. */
  auth?: (() => PlatformAuth | undefined) | undefined;
  publicKey?: KeyObject | undefined;
  /** Refuse downloads that came without a SHA-256. */
  requireChecksum: boolean;
  progress(p: Progress): void;
  /** Restart Node-RED (install type with restart `perform`); the process is expected to end. */
  restartNodeRed(job: Job): void;
  /** After every journal write; tests stop a child process at a chosen write here. */
  onJournal?: ((job: Job, writes: number) => void) | undefined;
  now(): number;
}

/** Undoing must work after the deadline aborted the job: rollbacks and commits get their own time. */
const CLEANUP_TIMEOUT_MS = 10 * 60 * 1000;
/** A job that brought its process down this many times during the download is given up. */
const MAX_ATTEMPTS = 3;

class JobRun {
  private readonly handlers: Map<string, SoftwareHandler>;
  private writes = 0;

  constructor(
    private readonly job: Job,
    private readonly env: UpdaterEnv,
    private readonly signal: AbortSignal,
  ) {
    this.handlers = createHandlers(job.handlers, env.disk);
  }

  save(): void {
    this.env.journal.save(this.job);
    this.writes += 1;
    this.env.onJournal?.(this.job, this.writes);
  }

  private handler(m: JobModule): SoftwareHandler {
    const h = this.handlers.get(m.request.type);
    if (!h) {
      const on = [...this.handlers.keys()].join(', ') || 'none';
      throw new UpdateError('E_UNSUPPORTED', `install type "${m.request.type}" is off or unknown (on here: ${on})`);
    }
    return h;
  }

  private ctx(m: JobModule, signal: AbortSignal): InstallContext {
    return {
      jobId: this.job.id,
      module: m.request,
      file: m.file,
      signal,
      steps: {
        data: m.steps,
        save: (change) => {
          Object.assign(m.steps, change);
          this.save();
        },
      },
      progress: (phase, message) => this.env.progress({ jobId: this.job.id, phase, module: m.request.name, message }),
    };
  }

  private phase(phase: string, message?: string): void {
    this.env.progress({ jobId: this.job.id, phase, message });
  }

  async run(): Promise<Job> {
    try {
      for (const m of this.job.modules) this.handler(m);
      if (this.job.phase === 'downloading') {
        this.save();
        for (const m of this.job.modules) if (m.state === 'pending' && m.request.url) await this.fetch(m);
        this.job.phase = 'applying';
        this.save();
      }
      for (const m of this.job.modules) {
        if (m.state === 'applied' || m.state === 'committed') continue;
        m.state = 'applying';
        this.save();
        this.env.progress({ jobId: this.job.id, phase: 'installing', module: m.request.name });
        await this.handler(m).apply(this.ctx(m, this.signal));
        m.state = 'applied';
        this.save();
      }
      if (this.restartMode() === 'perform') {
        this.job.phase = 'restarting';
        this.save();
        this.phase('restarting', 'restarting Node-RED to load the new package');
        this.env.restartNodeRed(this.job);
        return this.job;
      }
      return await this.commit();
    } catch (err) {
      return this.fail(asUpdateError(err, 'E_INSTALL'));
    }
  }

  private async fetch(m: JobModule): Promise<void> {
    const url = m.request.url as string;
    const dir = this.env.journal.downloadDir(this.job.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dest = path.join(dir, String(this.job.modules.indexOf(m)));
    this.env.progress({ jobId: this.job.id, phase: 'downloading', module: m.request.name, bytes: 0, message: redact(url) });
    const got = await download(url, dest, {
      ...this.env.download,
      auth: this.env.auth?.(),
      diskBudget: () => this.env.disk(dir) - this.env.minFreeBytes,
      onProgress: (bytes, total) => this.env.progress({ jobId: this.job.id, phase: 'downloading', module: m.request.name, bytes, total }),
      signal: this.signal,
    });
    this.env.progress({ jobId: this.job.id, phase: 'verifying', module: m.request.name, bytes: got.bytes, total: got.bytes });
    if (m.request.sha256) checkSha256(got.sha256, m.request.sha256);
    else if (this.env.requireChecksum) throw new UpdateError('E_CHECKSUM', `${m.request.name}: no SHA-256 was given and one is required`);
    if (this.env.publicKey) checkSignature(got.sha256, m.request.signature, this.env.publicKey);
    m.file = got.file;
    m.state = 'downloaded';
    this.save();
  }

  private restartMode(): 'ask' | 'perform' | undefined {
    let mode: 'ask' | 'perform' | undefined;
    for (const m of this.job.modules) {
      const h = this.handlers.get(m.request.type);
      const r = m.state === 'applied' ? h?.restartMode?.(this.ctx(m, this.signal)) : undefined;
      if (r === 'perform') return r;
      mode = mode ?? r;
    }
    return mode;
  }

  async commit(): Promise<Job> {
    // `ask`: the new code loads at the next restart; `perform` restarted already before this commit.
    const restartRequired = this.restartMode() === 'ask' || undefined;
    this.job.phase = 'committing';
    this.save();
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    for (const m of this.job.modules) {
      if (m.state !== 'applied') continue;
      await this.handler(m).commit(this.ctx(m, signal));
      m.state = 'committed';
      this.save();
    }
    return this.finish({ status: 'SUCCESSFUL', installed: [], restartRequired });
  }

  async fail(err: UpdateError): Promise<Job> {
    let e = err;
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    const touched = this.job.modules.filter((m) => m.state === 'applying' || m.state === 'applied').reverse();
    if (touched.length > 0) this.phase('rolling-back', reasonOf(err));
    for (const m of touched) {
      try {
        const h = this.handlers.get(m.request.type);
        if (h) await h.rollback(this.ctx(m, signal));
        m.state = 'rolled-back';
        this.save();
      } catch (rb) {
        const why = rb instanceof Error ? rb.message : String(rb);
        e = new UpdateError('E_ROLLBACK', `${reasonOf(err)}; rolling back ${m.request.name} failed too: ${why}`, { cause: rb });
      }
    }
    return this.finish({ status: 'FAILED', code: e.code, reason: reasonOf(e), installed: [] });
  }

  private async finish(outcome: JobOutcome): Promise<Job> {
    outcome.installed = await this.installed();
    const first = this.job.modules[0]?.request;
    if (this.job.kind === 'firmware' && first && outcome.status === 'SUCCESSFUL') {
      outcome.firmware = { name: first.name, version: first.version, url: first.url ?? '' };
    }
    this.job.outcome = outcome;
    this.job.phase = outcome.status === 'SUCCESSFUL' ? 'done' : 'failed';
    this.save();
    // Nothing downloaded is kept: a failed checksum's file must not linger, a good one is installed.
    fs.rmSync(this.env.journal.downloadDir(this.job.id), { recursive: true, force: true });
    this.phase(this.job.phase, outcome.reason);
    return this.job;
  }

  /** The list of every install type that is on (what the platform is told is installed). */
  private async installed(): Promise<InstalledSoftware[]> {
    const out: InstalledSoftware[] = [];
    for (const h of this.handlers.values()) {
      try {
        out.push(...(await h.list()));
      } catch {
        // A list that cannot be read is left out rather than failing the report.
      }
    }
    return out;
  }

  async recover(): Promise<Job> {
    const j = this.job;
    j.attempts += 1;
    if (j.phase === 'done' || j.phase === 'failed') return j;
    this.save();
    if (j.phase === 'committing') return this.commit();
    if (this.env.now() > j.deadline) return this.fail(new UpdateError('E_TIMEOUT', 'the deadline passed while Node-RED was not running'));
    if (j.phase === 'downloading') {
      if (j.attempts > MAX_ATTEMPTS)
        return this.fail(new UpdateError('E_INTERRUPTED', `Node-RED restarted ${j.attempts - 1} times during the download`));
      return this.run(); // nothing live changed yet; downloads resume where they stopped
    }
    if (j.phase === 'restarting') {
      try {
        for (const m of j.modules) {
          if (m.state === 'applied') await this.handlers.get(m.request.type)?.verifyAfterRestart?.(this.ctx(m, this.signal));
        }
      } catch (err) {
        const failed = await this.fail(asUpdateError(err, 'E_HEALTH'));
        // Node-RED runs the code that just failed: restart again so the restored version loads.
        this.env.restartNodeRed(failed);
        return failed;
      }
      return this.commit();
    }
    return this.fail(new UpdateError('E_INTERRUPTED', 'Node-RED stopped during the install (crash, kill or power cut); rolled back'));
  }
}

export interface NewJob {
  id: string;
  node: string;
  kind: Job['kind'];
  listMode: Job['listMode'];
  modules: Job['modules'][number]['request'][];
  operation?: Job['operation'];
  msgid?: string | undefined;
  handlers: Job['handlers'];
  timeoutSec: number;
}

export function newJob(n: NewJob, now: number): Job {
  return {
    version: 1,
    id: n.id,
    node: n.node,
    createdAt: now,
    deadline: now + n.timeoutSec * 1000,
    attempts: 1,
    kind: n.kind,
    listMode: n.listMode,
    operation: n.operation,
    msgid: n.msgid,
    handlers: n.handlers,
    modules: n.modules.map((request) => ({ request, state: 'pending', steps: {} })),
    phase: 'downloading',
  };
}

/** Runs a new job to its outcome (or to a Node-RED restart it asked for). Never throws for update failures. */
export function runJob(job: Job, env: UpdaterEnv, signal: AbortSignal): Promise<Job> {
  return new JobRun(job, env, signal).run();
}

/** Continues or undoes a job found in the journal after a restart (see the file comment). */
export function recoverJob(job: Job, env: UpdaterEnv, signal: AbortSignal): Promise<Job> {
  return new JobRun(job, env, signal).recover();
}
