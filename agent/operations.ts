import type { Operation, OperationStatus } from '../dialects/types';
import { readJson, writeJsonAtomic, removeFile } from './state-store';

/** An operation handed to the flow; `key` is how the flow's status report finds it again. */
export interface TrackedOperation {
  key: string;
  operation: Operation;
  receivedAt: number;
}

/** A flow-side consumer of operations (one per operation node). */
export interface OperationConsumer {
  /** Fragments this consumer handles; `*` handles any fragment no other consumer names. */
  fragments: readonly string[];
  /** The operation completes when the process restarts (c8y_Restart): persisted, longer timeout. */
  completeOnRestart: boolean;
  /** Seconds before the operation is reported FAILED if the flow said nothing. */
  timeoutSec: number;
  /** Log types this consumer can upload (`c8y_LogfileRequest`), announced with `118`. */
  logTypes?: readonly string[];
  deliver(op: TrackedOperation): void;
}

/** What the tracker wants sent: statuses in order. */
export interface StatusSink {
  (op: Operation, status: OperationStatus, reason?: string, result?: string[]): void;
}

interface Marker {
  key: string;
  operation: Operation;
  since: number;
  /** The consumer reports the outcome itself, also after a restart (see `defer`); until `deadline`. */
  deferred?: boolean;
  deadline?: number;
}

interface Open {
  tracked: TrackedOperation;
  timer: NodeJS.Timeout | undefined;
  consumer: OperationConsumer;
  marker: boolean;
  deferred?: boolean;
}

/** When this process started: a restart marker older than this means the restart happened. */
export const PROCESS_STARTED_AT = Date.now() - Math.round(process.uptime() * 1000);

export interface TrackerOptions {
  mode: 'id' | 'static';
  /** File keeping operations that complete after a restart. */
  markerFile: string;
  /** A restart that has not happened after this long is FAILED. */
  restartTimeoutSec: number;
  /** Static mode: ignore a line identical to a queued or running one within this window after subscribe. */
  duplicateWindowMs: number;
}

/**
 * Operation lifecycle on the device side (cumulocity.md §9): EXECUTING on receipt, exactly one
 * final status, FAILED with a reason on timeout or when nothing handles the fragment, duplicates
 * ignored, in static mode one operation per fragment at a time in arrival order, and operations
 * that complete by a restart persisted so the outcome is reported in the next process.
 */
export class OperationTracker {
  private readonly consumers = new Set<OperationConsumer>();
  private readonly open = new Map<string, Open>();
  private readonly finished: string[] = [];
  private readonly waiting = new Map<string, Operation[]>();
  private counter = 0;
  private subscribedAt = 0;

  constructor(
    private readonly opts: TrackerOptions,
    private readonly sink: StatusSink,
    private readonly now: () => number = Date.now,
  ) {}

  addConsumer(c: OperationConsumer): void {
    this.consumers.add(c);
  }

  removeConsumer(c: OperationConsumer): void {
    this.consumers.delete(c);
  }

  /** Every fragment some consumer names, in registration order, for the `114` list. */
  supportedFragments(): string[] {
    const out: string[] = [];
    for (const c of this.consumers) for (const f of c.fragments) if (f !== '*' && !out.includes(f)) out.push(f);
    return out;
  }

  /** Every log type some consumer offers, for the `118` list. */
  supportedLogTypes(): string[] {
    const out: string[] = [];
    for (const c of this.consumers) for (const t of c.logTypes ?? []) if (!out.includes(t)) out.push(t);
    return out;
  }

  /** Whether some consumer would take an operation of this fragment (by name or by `*`). */
  hasConsumerFor(fragment: string): boolean {
    return this.consumerFor(fragment) !== undefined;
  }

  /** Call after the operation topic was (re)subscribed: opens the static-mode duplicate window. */
  subscribed(): void {
    this.subscribedAt = this.now();
  }

  get openCount(): number {
    return this.open.size;
  }

  /** An operation arrived from the platform. */
  accept(op: Operation): void {
    if (this.isDuplicate(op)) return;
    if (this.opts.mode === 'static') {
      const busy = [...this.open.values()].some((o) => o.tracked.operation.fragment === op.fragment);
      if (busy) {
        const q = this.waiting.get(op.fragment) ?? [];
        q.push(op);
        this.waiting.set(op.fragment, q);
        return;
      }
    }
    this.start(op);
  }

  /** The flow reports an outcome. Returns an error text when the key is unknown or already final. */
  report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined {
    const o = this.open.get(key);
    if (!o) return `operation ${key} is not open (already reported, timed out or unknown)`;
    if (status === 'EXECUTING') return undefined;
    this.finish(o, status, reason, result);
    return undefined;
  }

  /**
   * The consumer will report this operation's outcome itself, possibly in a later process (a
   * software update that restarts Node-RED or is interrupted by a crash and recovered from its
   * journal): persisted like a restart marker so no `507` fails it at the next session start, but
   * never settled as SUCCESSFUL by a restart alone — reopened until reported, and FAILED when
   * nothing is reported within `timeoutSec` from now. Returns an error text if the key is not open.
   */
  defer(key: string, timeoutSec: number): string | undefined {
    const o = this.open.get(key);
    if (!o) return `operation ${key} is not open (already reported, timed out or unknown)`;
    if (o.timer) clearTimeout(o.timer);
    const ms = Math.max(1, timeoutSec * 1000);
    o.marker = true;
    o.deferred = true;
    o.timer = this.timer(key, ms);
    this.saveMarker({ key, operation: o.tracked.operation, since: o.tracked.receivedAt, deferred: true, deadline: this.now() + ms });
    return undefined;
  }

  /**
   * Start of a session in a new process (or after a redeploy): restart markers whose restart
   * happened become SUCCESSFUL, expired ones FAILED, the rest stay open. Returns the fragments
   * of every marker found, settled or not: the caller fails stale EXECUTING operations of the
   * other fragments only (a `507` for a settled one would fail it before its status arrives).
   */
  recoverMarkers(): string[] {
    const markers = this.loadMarkers();
    const keep: string[] = [];
    for (const m of markers) {
      if (m.deferred) {
        keep.push(m.operation.fragment);
        this.reopenDeferred(m);
        continue;
      }
      if (this.open.has(m.key)) {
        keep.push(m.operation.fragment);
        continue;
      }
      keep.push(m.operation.fragment);
      if (PROCESS_STARTED_AT > m.since) {
        this.sink(m.operation, 'SUCCESSFUL');
        this.dropMarker(m.key);
      } else if (this.now() - m.since > this.opts.restartTimeoutSec * 1000) {
        this.sink(m.operation, 'FAILED', `no restart within ${this.opts.restartTimeoutSec} s`);
        this.dropMarker(m.key);
      } else {
        // Same process (redeploy): the flow may still report, or the restart may still come.
        const consumer = this.consumerFor(m.operation.fragment);
        if (consumer) {
          const tracked = { key: m.key, operation: m.operation, receivedAt: m.since };
          const limitMs = this.opts.restartTimeoutSec * 1000;
          const remaining = limitMs - (this.now() - m.since);
          // At least 1 ms: a timer of 0 means "no timeout" and the operation would stay open for good.
          const timer = this.timer(m.key, Math.max(1, remaining), limitMs);
          this.open.set(m.key, { tracked, consumer, marker: true, timer });
        }
      }
    }
    return keep;
  }

  /** A deferred operation after a restart or redeploy: open again for its consumer's report, or FAILED when overdue. */
  private reopenDeferred(m: Marker): void {
    if (this.open.has(m.key)) return;
    const deadline = m.deadline ?? m.since;
    const consumer = this.consumerFor(m.operation.fragment);
    const remaining = deadline - this.now();
    if (remaining <= 0 || !consumer) {
      const why = consumer ? `no outcome reported within ${Math.round((deadline - m.since) / 1000)} s` : 'nothing handles it any more';
      this.sink(m.operation, 'FAILED', why);
      this.dropMarker(m.key);
      return;
    }
    const tracked = { key: m.key, operation: m.operation, receivedAt: m.since };
    const timer = this.timer(m.key, remaining, deadline - m.since);
    this.open.set(m.key, { tracked, consumer, marker: true, deferred: true, timer });
  }

  /** Redeploy or shutdown: every open operation that does not complete by a restart is FAILED. */
  close(reason: string): void {
    for (const o of [...this.open.values()]) {
      if (o.timer) clearTimeout(o.timer);
      if (o.marker) continue;
      this.sink(o.tracked.operation, 'FAILED', reason);
    }
    this.open.clear();
    this.waiting.clear();
  }

  private start(op: Operation): void {
    this.counter += 1;
    const key = op.id ?? `${op.fragment}#${this.now()}-${this.counter}`;
    const consumer = this.consumerFor(op.fragment);
    this.sink(op, 'EXECUTING');
    if (!consumer) {
      this.sink(op, 'FAILED', `operation ${op.fragment} is not supported by this device`);
      this.remember(key);
      this.next(op.fragment);
      return;
    }
    const tracked: TrackedOperation = { key, operation: op, receivedAt: this.now() };
    const timeoutMs = (consumer.completeOnRestart ? this.opts.restartTimeoutSec : consumer.timeoutSec) * 1000;
    const o: Open = { tracked, consumer, marker: consumer.completeOnRestart, timer: this.timer(key, timeoutMs) };
    this.open.set(key, o);
    if (o.marker) {
      try {
        this.saveMarker({ key, operation: op, since: tracked.receivedAt });
      } catch (err) {
        // Without the marker the outcome could not be reported after the restart: refuse it now.
        o.marker = false;
        this.finish(o, 'FAILED', `cannot persist the operation before acting on it: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    consumer.deliver(tracked);
  }

  /** `limitMs` is the whole timeout for the reason text when only the rest of it (`ms`) is left to wait. */
  private timer(key: string, ms: number, limitMs = ms): NodeJS.Timeout | undefined {
    if (!(ms > 0)) return undefined;
    const t = setTimeout(() => {
      const o = this.open.get(key);
      if (!o) return;
      const what = o.deferred ? 'no outcome reported' : o.marker ? 'no restart' : 'no status reported by the flow';
      this.finish(o, 'FAILED', `${what} within ${Math.round(limitMs / 1000)} s`);
    }, ms);
    t.unref();
    return t;
  }

  private finish(o: Open, status: OperationStatus, reason?: string, result?: string[]): void {
    if (o.timer) clearTimeout(o.timer);
    const key = o.tracked.key;
    this.open.delete(key);
    if (o.marker) this.dropMarker(key);
    this.sink(o.tracked.operation, status, reason, result);
    this.remember(key);
    this.next(o.tracked.operation.fragment);
  }

  private next(fragment: string): void {
    const q = this.waiting.get(fragment);
    const op = q?.shift();
    if (q && q.length === 0) this.waiting.delete(fragment);
    if (op) this.start(op);
  }

  private consumerFor(fragment: string): OperationConsumer | undefined {
    let wildcard: OperationConsumer | undefined;
    for (const c of this.consumers) {
      if (c.fragments.includes(fragment)) return c;
      if (!wildcard && c.fragments.includes('*')) wildcard = c;
    }
    return wildcard;
  }

  private isDuplicate(op: Operation): boolean {
    if (op.id !== undefined) return this.open.has(op.id) || this.finished.includes(op.id);
    if (this.now() - this.subscribedAt > this.opts.duplicateWindowMs) return false;
    const same = (o: Operation): boolean =>
      o.fragment === op.fragment && o.deviceId === op.deviceId && JSON.stringify(o.params) === JSON.stringify(op.params);
    if ([...this.open.values()].some((o) => same(o.tracked.operation))) return true;
    return (this.waiting.get(op.fragment) ?? []).some(same);
  }

  private remember(key: string): void {
    this.finished.push(key);
    if (this.finished.length > 1000) this.finished.shift();
  }

  private loadMarkers(): Marker[] {
    const v = readJson(this.opts.markerFile);
    if (!Array.isArray(v)) return [];
    // A marker without an operation would make recoverMarkers throw at every session start.
    const isOperation = (o: unknown): o is Operation =>
      typeof o === 'object' && o !== null && typeof (o as Operation).fragment === 'string' && typeof (o as Operation).deviceId === 'string';
    return v.filter(
      (m): m is Marker =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as Marker).key === 'string' &&
        typeof (m as Marker).since === 'number' &&
        isOperation((m as Marker).operation) &&
        ((m as Marker).deferred === undefined || typeof (m as Marker).deadline === 'number'),
    );
  }

  private saveMarker(m: Marker): void {
    const all = this.loadMarkers().filter((x) => x.key !== m.key);
    all.push(m);
    writeJsonAtomic(this.opts.markerFile, all);
  }

  private dropMarker(key: string): void {
    const all = this.loadMarkers().filter((x) => x.key !== key);
    if (all.length === 0) removeFile(this.opts.markerFile);
    else writeJsonAtomic(this.opts.markerFile, all);
  }
}
