/** Free space and sizes on the real file system (software-update.md §3: check before touching anything). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UpdateError, type DiskProbe } from './interface';

/** Free bytes for an unprivileged process (`bavail`), on the file system of `dir` or its nearest existing parent. */
export const statfsProbe: DiskProbe = (dir) => {
  let d = path.resolve(dir);
  for (let i = 0; i < 64 && !fs.existsSync(d); i += 1) d = path.dirname(d);
  const s = fs.statfsSync(d);
  return s.bavail * s.bsize;
};

/** Throws E_DISK unless `need` bytes fit on the file system of `dir` and `floor` bytes stay free. */
export function requireSpace(probe: DiskProbe, dir: string, need: number, floor: number, what: string): void {
  const free = probe(dir);
  if (free - floor < need) {
    throw new UpdateError(
      'E_DISK',
      `not enough disk space for ${what}: ${mib(need)} needed, ${mib(Math.max(0, free))} free and ${mib(floor)} must stay free`,
    );
  }
}

/** Bytes of the regular files under `p` (symlinks not followed), stopping after `maxEntries` entries. */
export function treeBytes(p: string, maxEntries = 1_000_000): number {
  let total = 0;
  let seen = 0;
  const stack = [p];
  while (stack.length > 0 && seen < maxEntries) {
    const cur = stack.pop() as string;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      continue;
    }
    seen += 1;
    if (st.isFile()) total += st.size;
    else if (st.isDirectory()) for (const name of fs.readdirSync(cur)) stack.push(path.join(cur, name));
  }
  return total;
}

export function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}
