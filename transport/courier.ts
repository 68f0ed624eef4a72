import { EventEmitter } from 'node:events';
import type { BatchRule } from '../dialects/types';
import type { Lane, Outbox, OutboxRecord } from './outbox';

const MAX_FAILURES = 3;

/** How much may wait for PUBACK at once. */
export interface CourierWindow {
  publishes: number;
  bytes: number;
}

/**
 * 512 publishes: one-record publishes (about 60 bytes each) keep flowing at loopback round-trip
 * times (64 held the unbatched bench line at about a third of raw mqtt.js); 256 KiB: at most that
 * much is sent again after a connection is lost mid-flight (16 full 16 KB batches).
 */
export const DEFAULT_WINDOW: CourierWindow = { publishes: 512, bytes: 256 * 1024 };

/** Publishes one payload at QoS 1 and resolves on PUBACK. */
export type PublishFn = (topic: string, payload: string) => Promise<void>;

/**
 * Moves records from the outbox to the broker: lanes in priority order, consecutive batchable
 * records of one topic joined by the dialect's {@link BatchRule}, up to `window.publishes`
 * publishes and `window.bytes` payload bytes in flight (a new publish starts while under both).
 * Many small publishes in flight keep a one-record-per-publish stream from waiting on PUBACKs;
 * the byte budget bounds what a lost connection makes us send twice when publishes are batched.
 * A record leaves the outbox only on PUBACK; on a lost session its records go back, in order.
 *
 * Events: `idle` when nothing is pending or in flight; `rejected` (records, error) when a publish
 * failed while the session was still attached (the records are dropped so they cannot block the queue).
 */
export class Courier extends EventEmitter {
  private publishFn: PublishFn | undefined;
  private lanes: readonly Lane[] = [];
  /** Per publish id: its records and its payload size (for the byte budget). */
  private inFlight = new Map<number, { run: OutboxRecord[]; bytes: number }>();
  private inFlightBytes = 0;
  private generation = 0;
  private nextPublish = 0;
  private readonly failures = new Map<number, number>();
  private readonly separatorBytes: number;
  private readonly onChange = (): void => this.pump();
  /** Backlog pacing: publishes per second while draining, tokens left, last refill (ms). */
  private pacingState: { rate: number; tokens: number; at: number } | undefined;
  private paceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly rule: BatchRule,
    private readonly window: CourierWindow = DEFAULT_WINDOW,
  ) {
    super();
    this.separatorBytes = Buffer.byteLength(rule.separator, 'utf8');
    outbox.on('change', this.onChange);
  }

  /** Starts delivering through `publish`, only from the given lanes. */
  attach(publish: PublishFn, lanes: readonly Lane[]): void {
    this.generation += 1;
    this.publishFn = publish;
    this.lanes = lanes;
    this.pump();
  }

  /** Widens or narrows the lanes being drained (e.g. all lanes once the start-up sequence is done). */
  setLanes(lanes: readonly Lane[]): void {
    this.lanes = lanes;
    this.pump();
  }

  /**
   * Drains what is queued now at no more than `perSecond` publishes per second (a burst of one
   * second's worth first), then sends at full speed again once the outbox has been empty once:
   * a device back after a long outage must not trip the platform's rate limit, which disconnects
   * it and does so again on every reconnect while still over the limit (cumulocity.md §1.2, §5
   * step 8). Live records queue behind the backlog as always; records are batched, so each paced
   * publish still carries up to a full batch. 0 = no pacing.
   */
  paceBacklog(perSecond: number): void {
    this.stopPacing();
    if (perSecond > 0 && this.outbox.stats().pending > 0) this.pacingState = { rate: perSecond, tokens: perSecond, at: Date.now() };
    this.pump();
  }

  /** A backlog is being paced. */
  get pacing(): boolean {
    return this.pacingState !== undefined;
  }

  private stopPacing(): void {
    this.pacingState = undefined;
    if (this.paceTimer) clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  /** True if a paced publish may start now; otherwise a pump is scheduled for the next token. */
  private takeToken(): boolean {
    const p = this.pacingState;
    if (!p) return true;
    const now = Date.now();
    p.tokens = Math.min(p.rate, p.tokens + ((now - p.at) / 1000) * p.rate);
    p.at = now;
    if (p.tokens >= 1) {
      p.tokens -= 1;
      return true;
    }
    if (!this.paceTimer) {
      this.paceTimer = setTimeout(
        () => {
          this.paceTimer = undefined;
          this.pump();
        },
        Math.ceil(((1 - p.tokens) / p.rate) * 1000),
      );
    }
    return false;
  }

  /** Stops delivering; everything in flight goes back to the outbox. */
  detach(): void {
    this.stopPacing();
    this.generation += 1;
    this.publishFn = undefined;
    this.lanes = [];
    const seqs: number[] = [];
    for (const { run } of this.inFlight.values()) for (const r of run) seqs.push(r.seq);
    this.inFlight.clear();
    this.inFlightBytes = 0;
    if (seqs.length > 0) this.outbox.release(seqs);
  }

  dispose(): void {
    this.detach();
    this.outbox.off('change', this.onChange);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private pump(): void {
    const publish = this.publishFn;
    if (!publish) return;
    while (this.inFlight.size < this.window.publishes && this.inFlightBytes < this.window.bytes) {
      if (this.pacingState && (this.outbox.stats().pending === 0 || !this.takeToken())) break;
      const run = this.outbox.takeRun(this.lanes, this.rule.maxPayloadBytes, this.separatorBytes);
      if (run.length === 0) break;
      const first = run[0];
      if (!first) break;
      const id = this.nextPublish++;
      const gen = this.generation;
      const payload = run.length === 1 ? first.payload : run.map((r) => r.payload).join(this.rule.separator);
      const bytes = payload.length; // UTF-16 units: close enough for a budget, and free
      this.inFlight.set(id, { run, bytes });
      this.inFlightBytes += bytes;
      publish(first.topic, payload).then(
        () => this.settle(id, gen, undefined),
        (err: unknown) => this.settle(id, gen, err instanceof Error ? err : new Error(String(err))),
      );
    }
    if (this.pacingState && this.outbox.stats().pending === 0) this.stopPacing(); // the backlog is out: live from here on
    if (this.inFlight.size === 0 && this.outbox.stats().pending === 0) this.emit('idle');
  }

  private settle(id: number, gen: number, err: Error | undefined): void {
    if (gen !== this.generation) return; // already released by detach()
    const entry = this.inFlight.get(id);
    if (!entry) return;
    this.inFlight.delete(id);
    this.inFlightBytes -= entry.bytes;
    const { run } = entry;
    const seqs = run.map((r) => r.seq);
    if (!err) {
      for (const s of seqs) this.failures.delete(s);
      this.outbox.ack(seqs);
      return;
    }
    // Still attached: most likely the connection is going down and 'down' has not arrived yet,
    // so put the records back. A record that fails this way repeatedly is poison (refused by the
    // client itself): drop it rather than block the queue forever, and say so.
    const poison = run.filter((r) => (this.failures.get(r.seq) ?? 0) >= MAX_FAILURES - 1);
    const retry = run.filter((r) => !poison.includes(r));
    for (const r of retry) this.failures.set(r.seq, (this.failures.get(r.seq) ?? 0) + 1);
    for (const r of poison) this.failures.delete(r.seq);
    if (poison.length > 0) {
      this.outbox.ack(poison.map((r) => r.seq));
      this.emit('rejected', poison, err);
    }
    if (retry.length > 0) this.outbox.release(retry.map((r) => r.seq));
  }
}
