/**
 * Reading a log source into a LogCollector: the tail of a file (at most `scanBytes`, so a huge
 * log costs bounded time), or `journalctl -r` until the collector is full. Both bounded in bytes
 * read and in the length of a line.
 */
import { spawn } from 'node:child_process';
import { fail, ok, type Result } from '../../dialects/types';
import { LineSplitter, type LogCollector, type LogRequest } from './filter';
import type { OpenedLog } from './sources';

export interface ReadLimits {
  /** Bytes read at most: the end of a file, or the journal's output. */
  scanBytes: number;
  maxLineBytes: number;
  /** journalctl only: it is stopped after this long. */
  timeoutMs: number;
}

export interface ReadOutcome {
  /** Bytes read from the source. */
  scanned: number;
  /** Only part of the source was read (the file was longer than scanBytes, or journalctl was stopped). */
  partial: boolean;
}

/** Reads the last `scanBytes` of the file (as long as it was when opened) and closes it. */
export async function collectFromFile(file: OpenedLog, collector: LogCollector, limits: ReadLimits): Promise<ReadOutcome> {
  const start = Math.max(0, file.size - limits.scanBytes);
  const splitter = new LineSplitter(limits.maxLineBytes);
  // Starting in the middle of the file: the first piece is the end of a line we did not see.
  let skip = start > 0;
  const take = (line: string): void => {
    if (skip) skip = false;
    else collector.add(line);
  };
  try {
    if (file.size > start) {
      const stream = file.handle.createReadStream({ start, end: file.size - 1, highWaterMark: 64 * 1024, autoClose: false });
      for await (const chunk of stream) splitter.push(chunk as Buffer, take);
      splitter.end(take);
    }
  } finally {
    await file.handle.close();
  }
  return { scanned: file.size - start, partial: start > 0 };
}

/**
 * `journalctl -r` (newest first, so the newest lines come first and it can stop when enough
 * matched), date range given to journalctl itself as `@<unix seconds>`.
 */
export function collectFromJournal(
  command: string,
  unit: string | undefined,
  req: LogRequest,
  collector: LogCollector,
  limits: ReadLimits,
): Promise<Result<ReadOutcome>> {
  const args = ['--no-pager', '--quiet', '--reverse', '--output=short-iso'];
  if (unit !== undefined) args.push(`--unit=${unit}`);
  if (req.from) args.push(`--since=@${Math.floor(req.from.getTime() / 1000)}`);
  if (req.to) args.push(`--until=@${Math.ceil(req.to.getTime() / 1000)}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const splitter = new LineSplitter(limits.maxLineBytes);
    let scanned = 0;
    let stopped = false;
    let stderr = '';
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
    };
    const timer = setTimeout(stop, limits.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      scanned += chunk.length;
      splitter.push(chunk, (line) => {
        if (!collector.full) collector.add(line);
      });
      if (collector.full || scanned >= limits.scanBytes) stop();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      stopped = true;
      resolve(
        fail(
          err.code === 'ENOENT'
            ? 'journalctl is not available on this device'
            : `journalctl could not be started: ${err.code ?? err.message}`,
        ),
      );
    });
    child.on('close', (code: number | null) => {
      clearTimeout(timer);
      if (!stopped) splitter.end((line) => collector.add(line));
      if (!stopped && code !== 0 && collector.lines === 0) {
        const why = stderr.trim().split('\n')[0] ?? '';
        resolve(fail(`journalctl failed (exit ${String(code)})${why ? `: ${why.slice(0, 200)}` : ''}`));
        return;
      }
      resolve(ok({ scanned, partial: stopped }));
    });
  });
}
