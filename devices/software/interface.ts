/**
 * Software on this device that the platform may change: the modules of an update, the installed
 * list, the failure codes and the contract every install type (handler) implements
 * (software-update.md §1, §2, §6).
 */

export type SoftwareAction = 'install' | 'delete';

/** One module of an update request, already validated (see request.ts). */
export interface ModuleRequest {
  name: string;
  /** Exact version; '' only for a delete of whatever is installed. */
  version: string;
  /** The install type (handler) that deals with it: `archive`, `node-red-package`, `apt`. */
  type: string;
  action: SoftwareAction;
  /** Where to download it; absent for a named package install from a registry and for deletes. */
  url?: string | undefined;
  /** Expected SHA-256 of the download, lower-case hex. */
  sha256?: string | undefined;
  /** Detached Ed25519 signature over the download's SHA-256 digest, base64 or base64url. */
  signature?: string | undefined;
}

/** An entry of the installed-software list the platform is told about. */
export interface InstalledSoftware {
  name: string;
  version: string;
  type: string;
  url?: string | undefined;
}

/** Stable prefixes of every failure reason (software-update.md §2). */
export type UpdateCode =
  | 'E_INPUT'
  | 'E_UNSUPPORTED'
  | 'E_DOWNLOAD'
  | 'E_SIZE'
  | 'E_DISK'
  | 'E_CHECKSUM'
  | 'E_SIGNATURE'
  | 'E_ARCHIVE'
  | 'E_INSTALL'
  | 'E_HEALTH'
  | 'E_ROLLBACK'
  | 'E_TIMEOUT'
  | 'E_BUSY'
  | 'E_INTERRUPTED';

/** A failure with the code the platform's reason starts with. */
export class UpdateError extends Error {
  constructor(
    readonly code: UpdateCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpdateError';
  }
}

/** Any thrown value as an UpdateError; unknown errors get `fallback`. An abort by the deadline is E_TIMEOUT. */
export function asUpdateError(err: unknown, fallback: UpdateCode): UpdateError {
  if (err instanceof UpdateError) return err;
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    const reason = (err as Error & { cause?: unknown }).cause;
    if (reason instanceof UpdateError) return reason;
    return new UpdateError('E_TIMEOUT', 'the update did not finish within its deadline', { cause: err });
  }
  return new UpdateError(fallback, err instanceof Error ? err.message : String(err), { cause: err });
}

/** The one-line reason sent to the platform: `<CODE>: <text>`. */
export function reasonOf(err: UpdateError): string {
  return `${err.code}: ${err.message.replace(/\s+/g, ' ').trim()}`;
}

/**
 * What a handler did so far for one module, kept in the job journal. `save` merges and writes the
 * journal durably before it returns: a handler saves before and after every change of the live
 * system, so that `rollback` can undo any prefix of `apply` after a crash.
 */
export interface StepLog {
  readonly data: Readonly<Record<string, unknown>>;
  save(change: Record<string, unknown>): void;
}

export interface InstallContext {
  jobId: string;
  module: ModuleRequest;
  /** The verified download, when the module had a URL. */
  file?: string | undefined;
  steps: StepLog;
  /** Aborted at the job's deadline or when the node closes. */
  signal: AbortSignal;
  /** A phase change worth showing (staging, backup, swap, health-check…). */
  progress(phase: string, message?: string): void;
}

/**
 * An install type. `apply` makes the change live and checks it (staged outside the live location,
 * backup, swap, health check); on any error the caller runs `rollback`, which must undo whatever
 * prefix of `apply` the step log shows and be idempotent, because it also runs after a crash.
 * `commit` drops the backup once the whole update succeeded.
 */
export interface SoftwareHandler {
  readonly type: string;
  list(): Promise<InstalledSoftware[]>;
  apply(ctx: InstallContext): Promise<void>;
  rollback(ctx: InstallContext): Promise<void>;
  commit(ctx: InstallContext): Promise<void>;
  /**
   * The change takes effect only after Node-RED restarts: `ask` = say so in the result, `perform`
   * = the updater restarts Node-RED and calls `verifyAfterRestart` in the next process.
   */
  restartMode?(ctx: InstallContext): 'ask' | 'perform';
  /** After that restart: does the change work? Throws E_HEALTH if not. */
  verifyAfterRestart?(ctx: InstallContext): Promise<void>;
}

/** Free bytes available to this process on the file system holding `dir`. */
export type DiskProbe = (dir: string) => number;
