/**
 * The log sources a node offers for `c8y_LogfileRequest` (static `522`, cumulocity.md §6.2): an
 * allow-list of log type → file, or the systemd journal. A request can only name a type; the
 * file is the one the node's owner wrote down, and it is opened only if its real path (links and
 * `..` resolved) still lies under the directory named in the entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, ok, type Result } from '../../dialects/types';

export type LogSource = { type: string; kind: 'file'; path: string } | { type: string; kind: 'journal'; unit: string | undefined };

/** Log types travel in the `118` list: no commas, quotes or spaces. */
const TYPE = /^[A-Za-z0-9_.-]{1,64}$/;
/** systemd unit names, never starting with "-" (they become a journalctl argument). */
const UNIT = /^[A-Za-z0-9@_.:\\][A-Za-z0-9@_.:\\-]{0,254}$/;

/**
 * One entry per line, `type = source`: an absolute path (`syslog = /var/log/syslog`), `journal`
 * (the whole journal) or `journal:<unit>` (`nodered = journal:nodered.service`). `#` comments.
 */
export function parseLogSources(text: string): Result<LogSource[]> {
  const out: LogSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) return fail(`"${line}" is not "type = /path/to/file" or "type = journal"`);
    const type = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!TYPE.test(type)) return fail(`log type "${type}" may only use letters, digits, "_", "." and "-"`);
    if (out.some((s) => s.type === type)) return fail(`log type "${type}" is listed twice`);
    if (value === 'journal') {
      out.push({ type, kind: 'journal', unit: undefined });
    } else if (value.startsWith('journal:')) {
      const unit = value.slice('journal:'.length).trim();
      if (!UNIT.test(unit)) return fail(`"${unit}" is not a systemd unit name`);
      out.push({ type, kind: 'journal', unit });
    } else {
      // Refused rather than normalised: an entry with ".." or "//" is not what its reader sees.
      if (!path.posix.isAbsolute(value) || path.posix.normalize(value) !== value || value.endsWith('/')) {
        return fail(`the file of "${type}" must be an absolute path without "..", like /var/log/syslog`);
      }
      out.push({ type, kind: 'file', path: value });
    }
  }
  return ok(out);
}

export interface OpenedLog {
  handle: fs.promises.FileHandle;
  size: number;
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/**
 * Opens a file source for reading. Refused: a file that does not exist, is not a regular file,
 * or whose real path leaves the entry's directory (a link to /etc/shadow in place of the log).
 */
export async function openLogFile(src: { type: string; path: string }): Promise<Result<OpenedLog>> {
  const dir = path.dirname(src.path);
  let real: string;
  let realDir: string;
  try {
    real = await fs.promises.realpath(src.path);
    realDir = await fs.promises.realpath(dir);
  } catch (err) {
    const c = code(err);
    if (c === 'ENOENT' || c === 'ENOTDIR') return fail(`the log file of "${src.type}" does not exist (${src.path})`);
    if (c === 'EACCES') return fail(`the log file of "${src.type}" cannot be read: permission denied (${src.path})`);
    return fail(`the log file of "${src.type}" cannot be opened: ${c}`);
  }
  const rel = path.relative(realDir, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    return fail(`the log file of "${src.type}" (${src.path}) leads outside ${dir}: refused`);
  }
  let handle: fs.promises.FileHandle;
  try {
    // O_NOFOLLOW: a link put in place after the check above is not followed.
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const c = code(err);
    if (c === 'EACCES') return fail(`the log file of "${src.type}" cannot be read: permission denied (${src.path})`);
    return fail(`the log file of "${src.type}" cannot be opened: ${c}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return fail(`the log source of "${src.type}" (${src.path}) is not a regular file`);
    }
    return ok({ handle, size: st.size });
  } catch (err) {
    await handle.close();
    return fail(`the log file of "${src.type}" cannot be read: ${code(err)}`);
  }
}
