/**
 * bench/results/latest.json and a timestamped copy (so runs can be compared), latest.md, and
 * with `--readme` the README's benchmark section between its two marker comments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'prettier';
import type { Machine } from './machine';
import { goalText, markdownTable, notes, ratioOf, verdictOf, type Row } from './table';
import { ROOT } from './util';

const DIR = path.join(ROOT, 'bench', 'results');
export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

export interface RunInfo {
  seconds: number;
  quick: boolean;
  /** Some lines only (`--only`). */
  partial: boolean;
  failures: string[];
  readme: boolean;
}

function gitCommit(): string | undefined {
  try {
    const head = fs.readFileSync(path.join(ROOT, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    return fs.readFileSync(path.join(ROOT, '.git', head.slice(5)), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export async function writeResults(rows: readonly Row[], m: Machine, info: RunInfo): Promise<void> {
  const at = new Date();
  const doc = {
    at: at.toISOString(),
    commit: gitCommit(),
    machine: m,
    seconds: Math.round(info.seconds),
    quick: info.quick,
    partial: info.partial,
    failures: info.failures,
    lines: rows.map((r) => ({
      id: r.id,
      what: r.what,
      unit: r.unit,
      ours: r.ours,
      baselineName: r.baselineName,
      baseline: r.baseline ?? null,
      ratio: ratioOf(r) ?? null,
      goal: goalText(r),
      result: verdictOf(r),
      note: r.note ?? null,
      samples: r.samples ?? {},
    })),
  };
  fs.mkdirSync(DIR, { recursive: true });
  // Formatted as Prettier would (npm run lint checks every JSON file of the repository).
  const json = await format(JSON.stringify(doc), { parser: 'json', printWidth: 140 });
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  // Only a complete, full-size run becomes "latest" (and may go into the README).
  const complete = !info.quick && !info.partial;
  const file = `${stamp}${complete ? '' : '-partial'}.json`;
  fs.writeFileSync(path.join(DIR, file), json);
  if (!complete) {
    console.log(`\nresults: ${path.relative(process.cwd(), path.join(DIR, file))} (not latest: --quick or --only)`);
    return;
  }
  fs.writeFileSync(path.join(DIR, 'latest.json'), json);
  const md = markdown(rows, m, at, info);
  fs.writeFileSync(path.join(DIR, 'latest.md'), md);
  console.log(`\nresults: ${path.relative(process.cwd(), path.join(DIR, 'latest.json'))} and ${file}`);
  if (info.readme) updateReadme(md);
}

function markdown(rows: readonly Row[], m: Machine, at: Date, info: RunInfo): string {
  const lines = [
    `Last run ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${m.summary}; ${Math.round(info.seconds)} s.`,
    '',
    markdownTable(rows),
    '',
    ...notes(rows).map((n) => `- ${n}`),
  ];
  if (info.failures.length > 0) lines.push('', `Failed lines: ${info.failures.map((f) => f.split('\n')[0]).join('; ')}`);
  return `${lines.join('\n')}\n`;
}

function updateReadme(md: string): void {
  const file = path.join(ROOT, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(README_START);
  const b = text.indexOf(README_END);
  if (a < 0 || b < a) {
    console.log(`README.md has no ${README_START} … ${README_END} section: not updated`);
    return;
  }
  fs.writeFileSync(file, `${text.slice(0, a + README_START.length)}\n${md}${text.slice(b)}`);
  console.log('README.md: benchmark table updated');
}
