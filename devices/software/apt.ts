/**
 * The `apt` install type, off unless `deviceAgentSoftwareUpdate.apt` is set in settings.js: a
 * Debian package at a pinned version (`name=version` from the configured repositories, or the
 * verified `.deb` when the operation gave a URL) through `sudo -n apt-get`, simulated first,
 * waiting up to 5 min for the dpkg lock. Rollback reinstalls the version installed before (or
 * removes a package that was not installed) — only possible while that version is still in a
 * repository or apt's cache, which the failure reason says. Touches what apt-get touches.
 */
import * as fs from 'node:fs';
import { UpdateError, type InstallContext, type InstalledSoftware, type SoftwareHandler } from './interface';
import { commandEnv, run, type RunResult } from './run';

export interface AptSettings {
  /** Prefix that gives root rights (a narrow sudo rule); [] when Node-RED runs as root. */
  sudo: readonly string[];
  aptGet: string;
  dpkg: string;
  dpkgQuery: string;
  timeoutSec: number;
}

export const DEFAULT_APT: AptSettings = {
  sudo: ['sudo', '-n'],
  aptGet: 'apt-get',
  dpkg: 'dpkg',
  dpkgQuery: 'dpkg-query',
  timeoutSec: 900,
};

/** Debian package names and versions (policy §5.6.1, §5.6.12); nothing a command could misread. */
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]{1,}$/;
const DEB_VERSION = /^[0-9][A-Za-z0-9.+~:-]*$/;

/** apt-get takes a local package only by a path ending in `.deb`: give the verified download one. */
function debFor(file: string): string {
  const deb = `${file}.deb`;
  fs.rmSync(deb, { force: true });
  try {
    fs.linkSync(file, deb);
  } catch {
    fs.copyFileSync(file, deb);
  }
  return deb;
}

export class AptHandler implements SoftwareHandler {
  readonly type = 'apt';

  constructor(private readonly s: AptSettings) {}

  private exec(argv: readonly string[], ctx?: InstallContext, root = true): Promise<RunResult> {
    return run(root ? [...this.s.sudo, ...argv] : argv, {
      env: commandEnv({ DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' }),
      timeoutMs: this.s.timeoutSec * 1000,
      signal: ctx?.signal,
    });
  }

  private aptGet(args: readonly string[], ctx?: InstallContext, simulate = false): Promise<RunResult> {
    const base = [this.s.aptGet, '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', '-o', 'DPkg::Lock::Timeout=300'];
    return this.exec([...base, ...(simulate ? ['-s'] : []), ...args], ctx, !simulate);
  }

  async list(): Promise<InstalledSoftware[]> {
    const r = await this.exec([this.s.dpkgQuery, '-W', '-f', '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'], undefined, false);
    if (r.code !== 0) return [];
    const out: InstalledSoftware[] = [];
    for (const line of r.output.split('\n')) {
      const [name, version, status] = line.split('\t');
      if (name && version && status?.startsWith('ii')) out.push({ name, version, type: this.type, url: '' });
    }
    return out;
  }

  /** The installed version, '' when not installed. */
  private async installed(name: string, ctx: InstallContext): Promise<string> {
    const r = await this.exec([this.s.dpkgQuery, '-W', '-f', '${Version}\\t${db:Status-Abbrev}', name], ctx, false);
    if (r.code !== 0) return '';
    const [version, status] = r.output.trim().split('\t');
    return status?.startsWith('ii') && version ? version : '';
  }

  async apply(ctx: InstallContext): Promise<void> {
    const m = ctx.module;
    if (!DEB_NAME.test(m.name)) throw new UpdateError('E_INPUT', `"${m.name}" is not a Debian package name`);
    if (m.action === 'install' && !ctx.file && !DEB_VERSION.test(m.version)) {
      throw new UpdateError('E_INPUT', `${m.name}: a pinned version is needed, not "${m.version}"`);
    }
    const previous = await this.installed(m.name, ctx);
    ctx.steps.save({ previous, touched: true });
    const target = m.action === 'delete' ? ['remove', m.name] : ['install', ctx.file ? debFor(ctx.file) : `${m.name}=${m.version}`];
    if (m.action === 'delete' && previous === '') return;
    ctx.progress('simulate');
    const sim = await this.aptGet(target, ctx, true);
    if (sim.code !== 0) throw new UpdateError('E_INSTALL', `apt-get ${target[0] ?? ''} (simulated) failed: ${sim.output.slice(-300)}`);
    ctx.progress(m.action === 'delete' ? 'apt-remove' : 'apt-install');
    const r = await this.aptGet(target, ctx);
    if (r.code !== 0) throw new UpdateError('E_INSTALL', `apt-get ${target[0] ?? ''} failed (${r.code}): ${r.output.slice(-300)}`);
    const now = await this.installed(m.name, ctx);
    if (m.action === 'install' && m.version !== '' && now !== m.version) {
      throw new UpdateError('E_INSTALL', `${m.name} is at ${now || 'nothing'} after the install, not ${m.version}`);
    }
    if (m.action === 'delete' && now !== '') throw new UpdateError('E_INSTALL', `${m.name} is still installed (${now})`);
  }

  async rollback(ctx: InstallContext): Promise<void> {
    if (ctx.steps.data['touched'] !== true || ctx.steps.data['rolledBack'] === true) return;
    const previous = typeof ctx.steps.data['previous'] === 'string' ? ctx.steps.data['previous'] : '';
    const name = ctx.module.name;
    // After a crash dpkg may be half-way: finish its configuration before anything else.
    await this.exec([this.s.dpkg, '--configure', '-a'], ctx);
    const now = await this.installed(name, ctx);
    if (now !== previous) {
      const r = previous === '' ? await this.aptGet(['remove', name], ctx) : await this.aptGet(['install', `${name}=${previous}`], ctx);
      if (r.code !== 0) {
        const what =
          previous === ''
            ? `remove ${name}`
            : `reinstall ${name}=${previous} (only possible while that version is in a repository or apt's cache)`;
        throw new UpdateError('E_ROLLBACK', `could not ${what}: ${r.output.slice(-200)}`);
      }
    }
    ctx.steps.save({ rolledBack: true });
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }
}
