/**
 * Runs one software-update job in a child process for the kill -9 tests. Reads
 * `{ stateDir, job, stopAtWrite?, stopAtPhase? }` (JSON) from the file named in argv[2], prints
 * `W <n> <phase>` after every journal write and `P <phase>` on every phase, and freezes (so the
 * parent can SIGKILL it at that exact point) at the chosen write or phase. Prints `DONE <status>`.
 */
import * as fs from 'node:fs';
import { DEFAULT_DOWNLOAD } from '../../devices/software/download';
import { Journal, type Job } from '../../devices/software/journal';
import { runJob } from '../../devices/software/updater';

interface ChildSpec {
  stateDir: string;
  job: Job;
  stopAtWrite?: number;
  stopAtPhase?: string;
}

function freeze(what: string): void {
  fs.writeSync(1, `STOP ${what}\n`);
  // Block the event loop for good: nothing after this point runs until the parent kills us.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

const spec = JSON.parse(fs.readFileSync(process.argv[2] ?? '', 'utf8')) as ChildSpec;
let lastPhase = '';
runJob(
  spec.job,
  {
    journal: new Journal(spec.stateDir),
    disk: () => 1024 * 1024 * 1024,
    minFreeBytes: 0,
    download: { ...DEFAULT_DOWNLOAD, allowHttp: true, retryDelaysMs: [50] },
    requireChecksum: false,
    progress: (p) => {
      const key = p.phase === 'downloading' && (p.bytes ?? 0) > 0 ? 'downloading-bytes' : p.phase;
      if (key !== lastPhase) fs.writeSync(1, `P ${key}\n`);
      lastPhase = key;
      if (spec.stopAtPhase === key) freeze(key);
    },
    restartNodeRed: () => undefined,
    onJournal: (job, n) => {
      fs.writeSync(1, `W ${n} ${job.phase}\n`);
      if (spec.stopAtWrite === n) freeze(`write ${n}`);
    },
    now: Date.now,
  },
  new AbortController().signal,
).then(
  (j) => {
    fs.writeSync(1, `DONE ${j.outcome?.status ?? j.phase}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    fs.writeSync(1, `ERROR ${String(err)}\n`);
    process.exit(2);
  },
);
