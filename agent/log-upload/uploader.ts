/**
 * One node's log upload service: a `c8y_LogfileRequest` in, the filtered log on the platform and
 * its URL out (issue 11). Every refusal is a reason for FAILED; nothing outside the allow-list is
 * read.
 */
import { fail, ok, type Result } from '../../dialects/types';
import type { PlatformHttpAccess } from '../platform';
import { managedObjectId, uploadLogFile } from './c8y-upload';
import { LogCollector, parseLogRequest, type LogRequest } from './filter';
import { collectFromFile, collectFromJournal, type ReadOutcome } from './read';
import { openLogFile, type LogSource } from './sources';

export interface LogUploadConfig {
  sources: readonly LogSource[];
  /** Upper bound of the uploaded file. */
  maxBytes: number;
  /** Lines when the request gives no maximum, and the most a request may ask for. */
  defaultLines: number;
  maxLines: number;
  scanBytes: number;
  maxLineBytes: number;
  journalctl: string;
  journalTimeoutMs: number;
}

export interface LogUploaded {
  type: string;
  url: string;
  lines: number;
  bytes: number;
  /** Matching lines left out to keep within the line and byte limits. */
  dropped: number;
  /** Only the end of the source was read. */
  partial: boolean;
}

export type PlatformHttp = () => PlatformHttpAccess | undefined;

function describe(req: LogRequest): string {
  const parts: string[] = [];
  if (req.from) parts.push(`from ${req.from.toISOString()}`);
  if (req.to) parts.push(`to ${req.to.toISOString()}`);
  if (req.search !== '') parts.push(`containing "${req.search.slice(0, 60)}"`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** `20261120T100000Z`: a time for file names. */
function fileStamp(t: Date): string {
  return t
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export class LogUploader {
  private moId: string | undefined;

  constructor(
    private readonly cfg: LogUploadConfig,
    private readonly http: PlatformHttp,
    private readonly deviceId: string,
    private readonly now: () => Date = () => new Date(),
    /** The reason when `http` gives nothing. */
    private readonly noHttp = 'no platform credentials for the HTTP side yet (the device is not registered, or in certificate mode the platform has not sent a device token)',
  ) {}

  get types(): string[] {
    return this.cfg.sources.map((s) => s.type);
  }

  /** Never rejects: resolves with the upload or the reason it failed. */
  async handle(params: unknown): Promise<Result<LogUploaded>> {
    try {
      return await this.run(params);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
  }

  private async run(params: unknown): Promise<Result<LogUploaded>> {
    const parsed = parseLogRequest(params, { defaultLines: this.cfg.defaultLines, maxLines: this.cfg.maxLines });
    if (!parsed.ok) return parsed;
    const req = parsed.value;
    const src = this.cfg.sources.find((s) => s.type === req.type);
    if (!src)
      return fail(`log type "${req.type.slice(0, 64)}" is not offered by this device (offered: ${this.types.join(', ') || 'none'})`);
    const now = this.now();
    const collector = new LogCollector({
      from: req.from,
      to: req.to,
      search: req.search,
      maxLines: req.maxLines,
      maxBytes: this.cfg.maxBytes,
      now,
      order: src.kind === 'journal' ? 'newest-first' : 'oldest-first',
    });
    const limits = { scanBytes: this.cfg.scanBytes, maxLineBytes: this.cfg.maxLineBytes, timeoutMs: this.cfg.journalTimeoutMs };
    let outcome: ReadOutcome;
    if (src.kind === 'file') {
      const opened = await openLogFile(src);
      if (!opened.ok) return opened;
      outcome = await collectFromFile(opened.value, collector, limits);
    } else {
      const r = await collectFromJournal(this.cfg.journalctl, src.unit, req, collector, limits);
      if (!r.ok) return r;
      outcome = r.value;
    }
    // text() first: it also takes in the last journal entry, which is only complete at the end.
    const content = Buffer.from(collector.text(), 'utf8');
    if (collector.lines === 0) return fail(`no lines of "${req.type}" match the request${describe(req)}`);
    const http = this.http();
    if (!http) return fail(this.noHttp);
    const limited = collector.dropped > 0 ? ` (newest ${collector.lines} matching lines; ${collector.dropped} older ones left out)` : '';
    const scanned =
      outcome.partial && src.kind === 'file' ? `; only the last ${Math.round(outcome.scanned / 1048576)} MiB were searched` : '';
    // Kept only while uploads with it work: after a failure it is looked up again (the device may
    // have been deleted and created anew).
    const moId = this.moId ?? (await managedObjectId(http, this.deviceId));
    this.moId = undefined;
    const url = await uploadLogFile(http, moId, {
      name: `${req.type}-${fileStamp(now)}.log`,
      content,
      text: `Log file "${req.type}"${describe(req)}: ${collector.lines} lines${limited}${scanned}`,
      time: now,
    });
    this.moId = moId;
    return ok({ type: req.type, url, lines: collector.lines, bytes: content.length, dropped: collector.dropped, partial: outcome.partial });
  }
}
