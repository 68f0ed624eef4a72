/**
 * `npm run bench`: every figure of issue 12 as a ratio against a baseline measured in the same
 * run on the same broker. Prints one table, writes bench/results/latest.json (+ a timestamped
 * copy) and bench/results/latest.md; `--readme` also puts the table into README.md. Runs with
 * `--only` or `--quick` write only a timestamped `-partial` copy.
 *
 * Options: `--only=1,3` runs some lines; `--quick` smaller counts (indicative only);
 * `--profile` runs the measured processes with --cpu-prof (profiles in bench/results/profiles).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './lib/context';
import { machine } from './lib/machine';
import { writeResults } from './lib/results';
import { consoleTable, notes, type Row } from './lib/table';
import { ROOT } from './lib/util';
import { libpyiotcloud } from './lines/libpyiotcloud';
import { memory } from './lines/memory';
import { outbox } from './lines/outbox';
import { pyaiot } from './lines/pyaiot';
import { remoteAccess } from './lines/remote-access';
import { roundtrip } from './lines/roundtrip';
import { startup } from './lines/startup';
import { systemInfo } from './lines/system-info';
import { throughput } from './lines/throughput';

type Line = (ctx: BenchContext) => Promise<Row[]>;
/** Lines in issue order; 8, 11 and S (system information, issue 5) are the figures of later issues (issue 12, item 6). */
const LINES: Record<string, Line> = {
  '1': throughput,
  '2': outbox,
  '3': roundtrip,
  '4': memory,
  '5': startup,
  '8': libpyiotcloud,
  '11': remoteAccess,
  S: systemInfo,
  P: pyaiot,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const profileDir = args.includes('--profile') ? path.join(ROOT, 'bench', 'results', 'profiles') : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const ctx: BenchContext = { quick: args.includes('--quick'), profileDir, log: (t) => console.log(t) };
  const started = Date.now();
  const rows: Row[] = [];
  const failures: string[] = [];
  for (const [id, line] of Object.entries(LINES)) {
    if (only && !only.includes(id)) continue;
    console.log(`line ${id}…`);
    try {
      rows.push(...(await line(ctx)));
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push(`line ${id}: ${text}`);
      console.error(`line ${id} failed: ${text}`);
    }
  }
  const m = machine();
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${m.summary}; ${seconds.toFixed(0)} s${ctx.quick ? ' (quick)' : ''}\n`);
  console.log(consoleTable(rows));
  for (const n of notes(rows)) console.log(`  ${n}`);
  await writeResults(rows, m, { seconds, quick: ctx.quick, partial: only !== undefined, failures, readme: args.includes('--readme') });
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
