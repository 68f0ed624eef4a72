import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Small JSON files that must survive a crash or power cut: bootstrap credentials and operations
 * that complete after a restart. Written atomically (temp file, fsync, rename, fsync of the
 * directory) with mode 0600 in a 0700 directory, because they can hold a device password.
 */
export function writeJsonAtomic(file: string, data: unknown): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Serialise first: a value that cannot be written must not leave a temp file behind.
  const text = JSON.stringify(data);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic there.
  }
}

/** Reads a JSON file; undefined when it is missing or unreadable (a torn write is treated as absent). */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** A file-name-safe form of an identifier (host names, device ids). */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

export interface StoredCredentials {
  tenant: string;
  username: string;
  password: string;
  obtainedAt: string;
}

function isStoredCredentials(v: unknown): v is StoredCredentials {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['tenant'] === 'string' && typeof o['username'] === 'string' && typeof o['password'] === 'string';
}

/** Where one device's durable state lives: `<dataDir>/<host>/<deviceId>/`. */
export class DeviceState {
  readonly dir: string;
  constructor(dataDir: string, host: string, deviceId: string) {
    this.dir = path.join(dataDir, safeName(host), safeName(deviceId));
  }

  get credentialsFile(): string {
    return path.join(this.dir, 'credentials.json');
  }

  get operationsFile(): string {
    return path.join(this.dir, 'operations.json');
  }

  loadCredentials(): StoredCredentials | undefined {
    const v = readJson(this.credentialsFile);
    return isStoredCredentials(v) ? v : undefined;
  }

  saveCredentials(c: StoredCredentials): void {
    writeJsonAtomic(this.credentialsFile, c);
  }

  forgetCredentials(): void {
    removeFile(this.credentialsFile);
  }
}
