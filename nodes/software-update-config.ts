/**
 * The software update node's settings, validated (pure): the node's own fields plus
 * `deviceAgentSoftwareUpdate` from settings.js, which holds what a flow author must not be able
 * to switch on alone (apt, the npm command, the restart supervisor) and test tuning.
 */
import type { KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { fail, ok, type Result } from '../dialects/types';
import { DEFAULT_APT, type AptSettings } from '../devices/software/apt';
import { DEFAULT_ARCHIVE } from '../devices/software/archive';
import { DEFAULT_DOWNLOAD, type DownloadOptions } from '../devices/software/download';
import { DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from '../devices/software/extract';
import type { HandlerSettings } from '../devices/software/handlers';
import type { RequestDefaults } from '../devices/software/request';
import { parsePublicKey } from '../devices/software/verify';

/** The node's fields as the editor saves them. */
export interface SoftwareUpdateDef {
  connection?: string;
  installType?: string;
  archiveDir?: string;
  healthCheck?: string;
  healthTimeout?: string | number;
  allowSymlinks?: boolean;
  npmRestart?: string;
  firmwareType?: string;
  listMode?: string;
  timeout?: string | number;
  maxSizeMb?: string | number;
  allowHttp?: boolean;
  requireChecksum?: boolean;
  publicKey?: string;
  caFile?: string;
}

/** `deviceAgentSoftwareUpdate` in settings.js; every field has a default. */
export interface SoftwareUpdateSettings {
  /** Allow the `apt` install type (default false). */
  apt?: boolean;
  aptSudo?: string[];
  aptGet?: string;
  dpkg?: string;
  dpkgQuery?: string;
  npm?: string[];
  registry?: string;
  /** Node-RED runs under a supervisor that restarts it when it exits (systemd, pm2, Docker). */
  supervised?: boolean;
  minFreeBytes?: number;
  download?: Partial<Pick<DownloadOptions, 'connectTimeoutMs' | 'idleTimeoutMs' | 'retryDelaysMs' | 'maxRedirects'>>;
  limits?: Partial<Omit<ExtractLimits, 'diskBudget' | 'reserved' | 'allowSymlinks'>>;
}

export interface SoftwareUpdateConfig {
  connection: string;
  defaults: RequestDefaults;
  handlers: HandlerSettings;
  timeoutSec: number;
  download: Omit<DownloadOptions, 'signal' | 'onProgress' | 'diskBudget' | 'auth'>;
  minFreeBytes: number;
  requireChecksum: boolean;
  publicKey?: KeyObject | undefined;
  /** The types that are on, for `143`. */
  types: string[];
}

export interface ConfigEnv {
  userDir: string;
  /** Whether a supervisor restarts Node-RED when it exits (systemd's INVOCATION_ID, pm2's pm_id, or the setting). */
  supervised: boolean;
  readFile: (file: string) => Result<string>;
}

const TYPES = ['archive', 'node-red-package', 'apt'];

function num(v: unknown, dflt: number, min: number, max: number, what: string): Result<number> {
  if (v === undefined || v === '') return ok(dflt);
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? ok(n) : fail(`${what} must be a number from ${min} to ${max}`);
}

export function parseSoftwareUpdateConfig(def: SoftwareUpdateDef, s: SoftwareUpdateSettings, env: ConfigEnv): Result<SoftwareUpdateConfig> {
  const timeout = num(def.timeout, 1800, 10, 86400, 'timeout (s)');
  const maxMb = num(def.maxSizeMb, 256, 1, 65536, 'maximum size (MiB)');
  const health = num(def.healthTimeout, 120, 1, 3600, 'health check timeout (s)');
  if (!timeout.ok) return timeout;
  if (!maxMb.ok) return maxMb;
  if (!health.ok) return health;
  const minFreeBytes = s.minFreeBytes ?? 100 * 1024 * 1024;
  const handlers: HandlerSettings = {};
  const archiveDir = (def.archiveDir ?? '').trim();
  if (archiveDir !== '') {
    // `${VAR}` left as it is means the environment variable is not set.
    if (/\$\{/.test(archiveDir)) return fail(`the archive directory "${archiveDir}" names an environment variable that is not set`);
    const maxBytes = maxMb.value * 1024 * 1024;
    handlers.archive = {
      ...DEFAULT_ARCHIVE,
      // Relative to the Node-RED user directory, so an example flow works anywhere.
      root: path.resolve(env.userDir, archiveDir),
      healthCheck: (def.healthCheck ?? '').trim() || undefined,
      healthTimeoutSec: health.value,
      minFreeBytes,
      limits: { ...DEFAULT_EXTRACT_LIMITS, maxTotalBytes: 4 * maxBytes, ...s.limits, allowSymlinks: def.allowSymlinks === true },
    };
  }
  const restart = def.npmRestart === 'perform' ? 'perform' : 'ask';
  // Restarting by exiting only works when something starts Node-RED again: refuse it otherwise.
  if (restart === 'perform' && !env.supervised) {
    return fail('"restart Node-RED" needs a supervisor (systemd, pm2, Docker restart policy): set deviceAgentSoftwareUpdate.supervised');
  }
  handlers.nodeRed = {
    userDir: env.userDir,
    npm: s.npm ?? ['npm'],
    restart,
    timeoutSec: 900,
    minFreeBytes,
    registry: s.registry,
  };
  if (s.apt === true) {
    const apt: AptSettings = {
      ...DEFAULT_APT,
      ...(s.aptSudo ? { sudo: s.aptSudo } : {}),
      ...(s.aptGet ? { aptGet: s.aptGet } : {}),
      ...(s.dpkg ? { dpkg: s.dpkg } : {}),
      ...(s.dpkgQuery ? { dpkgQuery: s.dpkgQuery } : {}),
    };
    handlers.apt = apt;
  }
  const types = TYPES.filter((t) => (t === 'archive' ? !!handlers.archive : t === 'apt' ? !!handlers.apt : true));
  const installType = (def.installType ?? '').trim() || (handlers.archive ? 'archive' : 'node-red-package');
  if (!TYPES.includes(installType)) return fail(`unknown install type "${installType}"`);
  if (!types.includes(installType)) {
    return fail(
      installType === 'apt' ? 'apt is off: set deviceAgentSoftwareUpdate.apt in settings.js' : 'the archive type needs a target directory',
    );
  }
  const firmwareType = (def.firmwareType ?? '').trim();
  if (firmwareType !== '' && !types.includes(firmwareType)) return fail(`firmware install type "${firmwareType}" is not on`);
  const listMode = def.listMode === 'legacy' || def.listMode === 'advanced' ? def.listMode : 'auto';
  let publicKey: KeyObject | undefined;
  if ((def.publicKey ?? '').trim() !== '') {
    const k = parsePublicKey(def.publicKey ?? '');
    if (!k.ok) return k;
    publicKey = k.value;
  }
  let ca: string | undefined;
  // An optional `${VAR}` left unresolved by Node-RED (the variable is not set) means no extra CA.
  const caFile = (def.caFile ?? '').trim();
  if (caFile !== '' && !/^\$\{\w+\}$/.test(caFile)) {
    const r = env.readFile(caFile);
    if (!r.ok) return fail(`cannot read the CA file: ${r.error}`);
    ca = r.value;
  }
  return ok({
    connection: (def.connection ?? '').trim(),
    defaults: { type: installType, firmwareType, listMode },
    handlers,
    timeoutSec: timeout.value,
    download: { ...DEFAULT_DOWNLOAD, ...s.download, maxBytes: maxMb.value * 1024 * 1024, allowHttp: def.allowHttp === true, ca },
    minFreeBytes,
    requireChecksum: def.requireChecksum === true,
    publicKey,
    types,
  });
}
