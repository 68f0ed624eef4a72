/**
 * The `node-red-package` install type: a Node-RED node package at a pinned version in the
 * Node-RED user directory. `node_modules`, `package.json` and `package-lock.json` are copied into
 * a staging directory, npm installs (or uninstalls) there — from the verified tarball when the
 * operation gave a URL, else `name@version` from the configured registry — with lifecycle
 * scripts off; the staged package is checked (name, version, a `node-red` section, every node
 * file loads in a child process); then the three are swapped in by rename (swap.ts). New node
 * code runs only after Node-RED restarts: `ask` says so in the result, `perform` restarts
 * Node-RED through its supervisor and checks the package again after the restart.
 * Touches only those three entries of the user directory and `<userDir>/.device-agent-software/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireSpace, treeBytes } from './disk';
import { UpdateError, type DiskProbe, type InstallContext, type InstalledSoftware, type SoftwareHandler } from './interface';
import { commandEnv, run } from './run';
import { dropBackup, swapBack, swapIn, type SwapPlan } from './swap';

export interface NodeRedPackageSettings {
  userDir: string;
  /** The npm command (argv prefix). */
  npm: readonly string[];
  restart: 'ask' | 'perform';
  timeoutSec: number;
  minFreeBytes: number;
  /** Registry for named installs; npm's own configuration when absent. */
  registry?: string | undefined;
}

const ITEMS = ['node_modules', 'package.json', 'package-lock.json'] as const;
const WORK = '.device-agent-software';
/** npm's package-name rules (lower case, optional scope). */
const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
/** A pinned version: exact semver, no ranges or tags. */
const PINNED = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** Loads every file given and checks it exports a function, as Node-RED node files do. */
const LOAD_CHECK =
  "for (const f of process.argv.slice(1)) { const m = require(f); if (typeof m !== 'function' && typeof (m && m.default) !== 'function') { console.error(f + ' does not export a node-red init function'); process.exit(2); } }";

interface PackageJson {
  name?: unknown;
  version?: unknown;
  dependencies?: Record<string, string>;
  'node-red'?: { nodes?: Record<string, unknown> };
  packages?: Record<string, { dependencies?: Record<string, string>; resolved?: string }>;
}

function readPackage(file: string): PackageJson | undefined {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

/** npm takes a path as a tarball only by its extension: give the verified download one, beside staging. */
function tarballFor(file: string, staging: string): string {
  const tgz = path.join(path.dirname(staging), 'package.tgz');
  fs.rmSync(tgz, { force: true });
  try {
    fs.linkSync(file, tgz);
  } catch {
    fs.copyFileSync(file, tgz);
  }
  return tgz;
}

export class NodeRedPackageHandler implements SoftwareHandler {
  readonly type = 'node-red-package';

  constructor(
    private readonly s: NodeRedPackageSettings,
    private readonly disk: DiskProbe,
  ) {}

  list(): Promise<InstalledSoftware[]> {
    const deps = readPackage(path.join(this.s.userDir, 'package.json'))?.dependencies ?? {};
    const out: InstalledSoftware[] = [];
    for (const name of Object.keys(deps).sort()) {
      const v = readPackage(path.join(this.s.userDir, 'node_modules', name, 'package.json'))?.version;
      if (typeof v === 'string') out.push({ name, version: v, type: this.type, url: '' });
    }
    return Promise.resolve(out);
  }

  restartMode(): 'ask' | 'perform' {
    return this.s.restart;
  }

  private plan(ctx: InstallContext): SwapPlan {
    const work = path.join(this.s.userDir, WORK, ctx.jobId);
    return {
      live: this.s.userDir,
      staging: path.join(work, 'staging'),
      backup: path.join(work, 'backup'),
      trash: path.join(work, 'trash'),
      items: ITEMS,
    };
  }

  async apply(ctx: InstallContext): Promise<void> {
    const m = ctx.module;
    if (!NPM_NAME.test(m.name) || m.name.length > 214) throw new UpdateError('E_INPUT', `"${m.name}" is not an npm package name`);
    if (m.action === 'install' && !PINNED.test(m.version)) {
      throw new UpdateError('E_INPUT', `${m.name}: a pinned version (like 1.2.3) is needed, not "${m.version}"`);
    }
    const plan = this.plan(ctx);
    const live = (item: string): string => path.join(this.s.userDir, item);
    const modules = live('node_modules');
    const need = treeBytes(modules) + 3 * (ctx.file ? fs.statSync(ctx.file).size : 0);
    requireSpace(this.disk, this.s.userDir, need, this.s.minFreeBytes, `a staged copy of ${modules}`);
    ctx.progress('staging');
    fs.rmSync(plan.staging, { recursive: true, force: true });
    fs.mkdirSync(plan.staging, { recursive: true });
    if (fs.existsSync(modules)) fs.cpSync(modules, path.join(plan.staging, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    for (const f of ['package.json', 'package-lock.json']) if (fs.existsSync(live(f))) fs.copyFileSync(live(f), path.join(plan.staging, f));
    if (!fs.existsSync(path.join(plan.staging, 'package.json'))) {
      fs.writeFileSync(
        path.join(plan.staging, 'package.json'),
        JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }, null, 2),
      );
    }
    await this.npm(ctx, plan.staging);
    if (m.action === 'install') this.checkStaged(ctx, plan.staging);
    if (m.action === 'install') await this.loadCheck(ctx, plan.staging);
    ctx.signal.throwIfAborted();
    ctx.progress('swap');
    swapIn(plan, ctx.steps);
  }

  private async npm(ctx: InstallContext, staging: string): Promise<void> {
    const m = ctx.module;
    const common = ['--prefix', staging, '--no-audit', '--no-fund', '--no-update-notifier', '--ignore-scripts'];
    if (this.s.registry) common.push('--registry', this.s.registry);
    const args =
      m.action === 'install'
        ? [
            'install',
            ...common,
            '--omit=dev',
            '--save',
            '--save-exact',
            ctx.file ? tarballFor(ctx.file, staging) : `${m.name}@${m.version}`,
          ]
        : ['uninstall', ...common, '--save', m.name];
    ctx.progress(m.action === 'install' ? 'npm-install' : 'npm-uninstall');
    const r = await run([...this.s.npm, ...args], {
      cwd: staging,
      env: commandEnv({ npm_config_loglevel: 'warn', NODE_ENV: 'production' }),
      timeoutMs: this.s.timeoutSec * 1000,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    if (r.code !== 0) throw new UpdateError('E_INSTALL', `npm ${args[0] ?? ''} failed (${r.code}): ${r.output.slice(-300)}`);
    if (m.action === 'install' && ctx.file) this.pinInsteadOfFile(staging, m.name, m.version);
  }

  /** npm records an install from a file as `file:<path>`; the file goes away, so record the version. */
  private pinInsteadOfFile(staging: string, name: string, version: string): void {
    const pj = path.join(staging, 'package.json');
    const pkg = readPackage(pj);
    if (pkg?.dependencies && name in pkg.dependencies) {
      pkg.dependencies[name] = version;
      fs.writeFileSync(pj, `${JSON.stringify(pkg, null, 2)}\n`);
    }
    const lj = path.join(staging, 'package-lock.json');
    const lock = readPackage(lj);
    const root = lock?.packages?.[''];
    if (lock && root?.dependencies && name in root.dependencies) {
      root.dependencies[name] = version;
      const entry = lock.packages?.[`node_modules/${name}`];
      if (entry?.resolved?.startsWith('file:')) delete entry.resolved;
      fs.writeFileSync(lj, `${JSON.stringify(lock, null, 2)}\n`);
    }
  }

  /** The staged package is the one asked for and is a Node-RED package. Returns its node files. */
  private checkStaged(ctx: InstallContext, base: string): string[] {
    const m = ctx.module;
    const dir = path.join(base, 'node_modules', m.name);
    const pkg = readPackage(path.join(dir, 'package.json'));
    if (!pkg) throw new UpdateError('E_INSTALL', `${m.name} is not in node_modules after npm install`);
    if (pkg.name !== m.name || pkg.version !== m.version) {
      throw new UpdateError('E_INSTALL', `the package is ${String(pkg.name)}@${String(pkg.version)}, not ${m.name}@${m.version}`);
    }
    const nodes = pkg['node-red']?.nodes;
    if (typeof nodes !== 'object' || nodes === null || Object.keys(nodes).length === 0) {
      throw new UpdateError('E_INSTALL', `${m.name} has no "node-red"."nodes" section: not a Node-RED node package`);
    }
    const files: string[] = [];
    for (const rel of Object.values(nodes)) {
      const f = typeof rel === 'string' ? path.resolve(dir, rel) : '';
      if (f === '' || path.relative(dir, f).startsWith('..'))
        throw new UpdateError('E_INSTALL', `${m.name}: a node file outside the package`);
      files.push(f);
    }
    return files;
  }

  /** Every node file of the package loads (its dependencies resolve) in a separate process. */
  private async loadCheck(ctx: InstallContext, base: string): Promise<void> {
    const files = this.checkStaged(ctx, base);
    ctx.progress('load-check');
    const r = await run([process.execPath, '-e', LOAD_CHECK, ...files], {
      cwd: base,
      env: commandEnv({ NODE_ENV: 'production' }),
      timeoutMs: 60_000,
      signal: ctx.signal,
    });
    if (r.code !== 0) throw new UpdateError('E_INSTALL', `${ctx.module.name} does not load: ${r.output.slice(-300)}`);
  }

  /** After the restart: the live package is the new version and loads. */
  async verifyAfterRestart(ctx: InstallContext): Promise<void> {
    if (ctx.module.action !== 'install') return;
    try {
      await this.loadCheck(ctx, this.s.userDir);
    } catch (err) {
      throw new UpdateError('E_HEALTH', err instanceof Error ? err.message : String(err));
    }
  }

  rollback(ctx: InstallContext): Promise<void> {
    const plan = this.plan(ctx);
    swapBack(plan, ctx.steps);
    this.removeWork(plan);
    return Promise.resolve();
  }

  commit(ctx: InstallContext): Promise<void> {
    const plan = this.plan(ctx);
    dropBackup(plan);
    this.removeWork(plan);
    return Promise.resolve();
  }

  /** The job's work directory (tarball copy, emptied staging) and, once empty, ours. */
  private removeWork(plan: SwapPlan): void {
    const work = path.dirname(plan.staging);
    fs.rmSync(work, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(work));
    } catch {
      // other jobs' work, or already gone
    }
  }
}
