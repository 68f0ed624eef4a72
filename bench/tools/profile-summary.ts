/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`):
 * self time per function and per file, and inclusive time of the functions of this package.
 *
 *   node dist/bench/tools/profile-summary.js bench/results/profiles/throughput-unbatched.cpuprofile [top]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, ROOT } from '../lib/util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isProfile(v: unknown): v is Profile {
  return isRecord(v) && Array.isArray(v['nodes']) && Array.isArray(v['samples']) && Array.isArray(v['timeDeltas']);
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) return path.relative(ROOT, u);
  return u === '' ? '(native)' : u;
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

function main(): void {
  const file = process.argv[2];
  const count = Number(process.argv[3] ?? 25);
  if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [top]');
    process.exitCode = 2;
    return;
  }
  const p: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!isProfile(p)) throw new Error(`${file} is not a V8 CPU profile`);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const v of self.values()) total += v;

  const selfByFn = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusiveOurs = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName;
    if (name === '(idle)') idle += us;
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
    const f = shortUrl(n.callFrame.url);
    selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
    // Inclusive time of our own functions: each sample counts once per distinct frame on its stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur);
      if (!c || !c.callFrame.url.includes(`${ROOT}/dist/`) || c.callFrame.url.includes('/dist/bench/')) continue;
      const l = label(c);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusiveOurs.set(l, (inclusiveOurs.get(l) ?? 0) + us);
    }
  }
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${((100 * idle) / total).toFixed(1)}% idle\n`);
  console.log('self time by function');
  for (const l of top(selfByFn, total, count)) console.log(l);
  console.log('\nself time by file');
  for (const l of top(selfByFile, total, count)) console.log(l);
  console.log('\ninclusive time of package functions');
  for (const l of top(inclusiveOurs, total, count)) console.log(l);
}

main();
