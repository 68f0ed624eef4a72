import { EventEmitter } from 'node:events';
import type { BatchRule } from '../dialects/types';
import type { Lane, Outbox, OutboxRecord } from './outbox';

const MAX_FAILURES = 3;

/** Publishes one payload at QoS 1 and resolves on PUBACK. */
export type PublishFn = (topic: string, payload: string) => Promise<void>;

/**
 * Moves records from the outbox to the broker: lanes in priority order, consecutive batchable
 * records of one topic joined by the dialect's {@link BatchRule}, up to `window` publishes in
 * flight. A record leaves the outbox only on PUBACK; on a lost session its records go back, in order.
 *
 * Events: `idle` when nothing is pending or in flight; `rejected` (records, error) when a publish
 * failed while the session was still attached (the records are dropped so they cannot block the queue).
 */
export class Courier extends EventEmitter {
  private publishFn: PublishFn | undefined;
  private lanes: readonly Lane[] = [];
  private inFlight = new Map<number, OutboxRecord[]>();
  private generation = 0;
  private nextPublish = 0;
  private readonly failures = new Map<number, number>();
  private readonly separatorBytes: number;
  private readonly onChange = (): void => this.pump();

  constructor(
    private readonly outbox: Outbox,
    private readonly rule: BatchRule,
    private readonly window = 64,
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

  /** Stops delivering; everything in flight goes back to the outbox. */
  detach(): void {
    this.generation += 1;
    this.publishFn = undefined;
    this.lanes = [];
    const seqs: number[] = [];
    for (const run of this.inFlight.values()) for (const r of run) seqs.push(r.seq);
    this.inFlight.clear();
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
    while (this.inFlight.size < this.window) {
      const run = this.outbox.takeRun(this.lanes, this.rule.maxPayloadBytes, this.separatorBytes);
      if (run.length === 0) break;
      const first = run[0];
      if (!first) break;
      const id = this.nextPublish++;
      const gen = this.generation;
      this.inFlight.set(id, run);
      const payload = run.length === 1 ? first.payload : run.map((r) => r.payload).join(this.rule.separator);
      publish(first.topic, payload).then(
        () => this.settle(id, gen, undefined),
        (err: unknown) => this.settle(id, gen, err instanceof Error ? err : new Error(String(err))),
      );
    }
    if (this.inFlight.size === 0 && this.outbox.stats().pending === 0) this.emit('idle');
  }

  private settle(id: number, gen: number, err: Error | undefined): void {
    if (gen !== this.generation) return; // already released by detach()
    const run = this.inFlight.get(id);
    if (!run) return;
    this.inFlight.delete(id);
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
