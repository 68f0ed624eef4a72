/**
 * Running the commands install types need (npm, apt-get, a health check): argv without a shell,
 * a timeout, the job's abort signal, bounded output, and an environment that carries values
 * rather than interpolating them into a command line (software-update.md §6, archive handler).
 */
import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  /** Last few KiB of stdout + stderr, for the failure reason. */
  output: string;
}

export interface RunOptions {
  cwd?: string | undefined;
  env?: Record<string, string | undefined> | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

const KEEP = 4096;

/** Runs `argv[0]` with the rest as arguments. Resolves with the exit code (-1 when it could not start or was killed). */
export function run(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.resolve({ code: -1, output: 'empty command' });
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        signal: opts.signal,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        const output = `${String(stdout)}${String(stderr)}`.slice(-KEEP).trim();
        if (!err) {
          resolve({ code: 0, output });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        const code = typeof e.code === 'number' ? e.code : -1;
        const why =
          e.killed || e.name === 'AbortError' ? `stopped (timeout ${Math.round(opts.timeoutMs / 1000)} s or deadline)` : e.message;
        resolve({ code, output: code === -1 ? `${why} ${output}`.trim() : output });
      },
    );
    child.stdin?.end();
  });
}

/**
 * Splits a configured command line into argv: whitespace separates, single and double quotes
 * group, backslash escapes the next character. No variables, globs or pipes: there is no shell.
 */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let has = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line.charAt(++i);
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line.charAt(++i);
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur !== '') out.push(cur);
  return out;
}

/** A small environment for commands: PATH and HOME of this process plus the given values. */
export function commandEnv(extra: Record<string, string>): Record<string, string | undefined> {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], LANG: 'C', ...extra };
}
