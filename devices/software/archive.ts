/**
 * The `archive` install type: a zip or tar(.gz) deployed as `<root>/<name>/`. The new version is
 * extracted completely into a staging directory on the same file system, the live directory is
 * renamed into a backup and the staged one into its place (swap.ts), then the optional health
 * check runs; if it fails, or anything else does, the backup is renamed back — the old version
 * returns byte for byte. Touches only `<root>/<name>` and `<root>/.device-agent/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireSpace } from './disk';
import { extractArchive, DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './extract';
import { UpdateError, type DiskProbe, type InstallContext, type InstalledSoftware, type SoftwareHandler } from './interface';
import { commandEnv, run, splitCommand } from './run';
import { dropBackup, swapBack, swapIn, type SwapPlan } from './swap';

export interface ArchiveSettings {
  /** Directory that holds one sub-directory per installed archive. */
  root: string;
  /** Command line run after the switch (argv, no shell); a non-zero exit rolls back. */
  healthCheck?: string | undefined;
  healthTimeoutSec: number;
  limits: Omit<ExtractLimits, 'diskBudget' | 'reserved'>;
  /** Bytes that must stay free on the target's file system. */
  minFreeBytes: number;
}

export const DEFAULT_ARCHIVE: Omit<ArchiveSettings, 'root'> = {
  healthTimeoutSec: 120,
  limits: DEFAULT_EXTRACT_LIMITS,
  minFreeBytes: 100 * 1024 * 1024,
};

/** Written into every installed directory: what the installed list reports. */
export const MARKER = '.device-agent-software.json';
const WORK = '.device-agent';
/** A directory name that cannot climb out of the root or hide among our own entries. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

interface Marker {
  name: string;
  version: string;
  url?: string;
  sha256?: string;
}

function readMarker(dir: string): Marker | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as Partial<Marker>;
    return typeof v.name === 'string' && typeof v.version === 'string' ? (v as Marker) : undefined;
  } catch {
    return undefined;
  }
}

export class ArchiveHandler implements SoftwareHandler {
  readonly type = 'archive';

  constructor(
    private readonly s: ArchiveSettings,
    private readonly disk: DiskProbe,
  ) {}

  list(): Promise<InstalledSoftware[]> {
    const out: InstalledSoftware[] = [];
    let names: string[] = [];
    try {
      names = fs
        .readdirSync(this.s.root)
        .filter((n) => !n.startsWith('.'))
        .sort();
    } catch {
      names = [];
    }
    for (const n of names) {
      const m = readMarker(path.join(this.s.root, n));
      if (m) out.push({ name: m.name, version: m.version, type: this.type, url: m.url ?? '' });
    }
    return Promise.resolve(out);
  }

  private plan(ctx: InstallContext): SwapPlan {
    const work = path.join(this.s.root, WORK);
    return {
      live: this.s.root,
      staging: path.join(work, 'staging', ctx.jobId),
      backup: path.join(work, 'backup', ctx.jobId),
      trash: path.join(work, 'trash', ctx.jobId),
      items: [ctx.module.name],
    };
  }

  async apply(ctx: InstallContext): Promise<void> {
    const m = ctx.module;
    if (!SAFE_NAME.test(m.name)) throw new UpdateError('E_INPUT', `"${m.name}" cannot be an archive name (letters, digits, . _ + - only)`);
    const plan = this.plan(ctx);
    const live = path.join(this.s.root, m.name);
    const previous = readMarker(live)?.version ?? '';
    fs.mkdirSync(this.s.root, { recursive: true });
    if (m.action === 'install') {
      if (!ctx.file) throw new UpdateError('E_INPUT', `archive ${m.name}: a URL to download it from is needed`);
      // At least the packed size again; the real need is checked while extracting.
      requireSpace(this.disk, this.s.root, fs.statSync(ctx.file).size, this.s.minFreeBytes, `${m.name}`);
      ctx.progress('staging');
      fs.rmSync(plan.staging, { recursive: true, force: true });
      const staged = path.join(plan.staging, m.name);
      fs.mkdirSync(staged, { recursive: true });
      const budget = this.disk(this.s.root) - this.s.minFreeBytes;
      await extractArchive(ctx.file, staged, { ...this.s.limits, diskBudget: budget, reserved: [MARKER] }, ctx.signal);
      const marker: Marker = { name: m.name, version: m.version };
      if (m.url) marker.url = m.url;
      if (m.sha256) marker.sha256 = m.sha256;
      fs.writeFileSync(path.join(staged, MARKER), JSON.stringify(marker));
    } else if (!fs.existsSync(live)) {
      return; // deleting what is not there: nothing to do
    }
    ctx.signal.throwIfAborted();
    ctx.progress('swap');
    swapIn(plan, ctx.steps);
    await this.healthCheck(ctx, live, previous);
  }

  private async healthCheck(ctx: InstallContext, live: string, previous: string): Promise<void> {
    const line = this.s.healthCheck?.trim();
    if (!line) return;
    ctx.progress('health-check');
    const r = await run(splitCommand(line), {
      cwd: fs.existsSync(live) ? live : this.s.root,
      env: commandEnv({
        DA_SOFTWARE_NAME: ctx.module.name,
        DA_SOFTWARE_VERSION: ctx.module.version,
        DA_SOFTWARE_ACTION: ctx.module.action,
        DA_SOFTWARE_DIR: live,
        DA_PREVIOUS_VERSION: previous,
        DA_JOB_ID: ctx.jobId,
      }),
      timeoutMs: this.s.healthTimeoutSec * 1000,
      signal: ctx.signal,
    });
    if (ctx.signal.aborted) ctx.signal.throwIfAborted();
    if (r.code !== 0) {
      throw new UpdateError('E_HEALTH', `health check exited with ${r.code}${r.output ? `: ${r.output.slice(-300)}` : ''}`);
    }
  }

  rollback(ctx: InstallContext): Promise<void> {
    swapBack(this.plan(ctx), ctx.steps);
    return Promise.resolve();
  }

  commit(ctx: InstallContext): Promise<void> {
    dropBackup(this.plan(ctx));
    return Promise.resolve();
  }
}
