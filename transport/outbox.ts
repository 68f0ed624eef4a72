import { EventEmitter } from 'node:events';
import type { Outbound } from '../dialects/types';
import { Fifo } from './fifo';

/**
 * Delivery lanes, drained in this order. `session` holds the start-up lines of the current MQTT
 * session (regenerated on every connect, so never persisted and discarded on disconnect);
 * `control` holds operation statuses, alarms and inventory (never dropped to make room);
 * `telemetry` holds measurements and events (the oldest is dropped first when the store is full).
 */
export type Lane = 'session' | 'control' | 'telemetry';
export const LANES: readonly Lane[] = ['session', 'control', 'telemetry'];

export interface OutboxRecord {
  seq: number;
  topic: string;
  payload: string;
  lane: Lane;
  batchable: boolean;
  bytes: number;
}

export interface OutboxStats {
  pending: number;
  inFlight: number;
  bytes: number;
  dropped: number;
}

/**
 * Every publish goes through an outbox (issue 3): a record leaves it only when the broker
 * acknowledged it. Implementations: MemoryOutbox (below) and DurableOutbox (on disk, issue 4).
 * Emits 'change' whenever records are added, acknowledged or released; 'dropped' (count) when
 * telemetry was dropped to stay within the bound; 'warning' (Error) for storage trouble.
 */
export interface Outbox extends EventEmitter {
  /** Stores a record; resolves with its sequence number once stored. */
  put(record: Outbound, lane?: Lane): Promise<number>;
  /**
   * Takes the next run of records for one publish, marking them in flight: the oldest pending
   * record of the first lane in `lanes` that has one, followed, if it is batchable, by the next
   * pending batchable records of the same lane and topic while the joined size stays within
   * `maxBytes` (counting `separatorBytes` between records).
   */
  takeRun(lanes: readonly Lane[], maxBytes: number, separatorBytes: number): OutboxRecord[];
  /** The broker acknowledged these records: remove them for good. */
  ack(seqs: readonly number[]): void;
  /** Delivery of these in-flight records failed: make them pending again, in their original order. */
  release(seqs: readonly number[]): void;
  /** True while the record is stored and not yet acknowledged. */
  isPending(seq: number): boolean;
  /** Forget every record of a lane (used for `session` on disconnect). */
  clearLane(lane: Lane): void;
  stats(): OutboxStats;
  close(): Promise<void>;
}

/**
 * Takes the oldest record of a queue and, if it is batchable, the following batchable records of
 * the same topic while the joined size stays within `maxBytes`.
 */
export function takeRunFrom<R extends OutboxRecord>(q: Fifo<R>, maxBytes: number, separatorBytes: number): R[] {
  const first = q.shift();
  if (!first) return [];
  const run = [first];
  let size = first.bytes;
  if (first.batchable) {
    for (let next = q.peek(); next !== undefined; next = q.peek()) {
      if (!next.batchable || next.topic !== first.topic) break;
      if (size + separatorBytes + next.bytes > maxBytes) break;
      size += separatorBytes + next.bytes;
      run.push(next);
      q.shift();
    }
  }
  return run;
}

export interface MemoryOutboxOptions {
  /** Bound on the bytes of pending telemetry; the oldest telemetry is dropped beyond it. */
  maxBytes: number;
}

/** Outbox in process memory: survives a redeploy (kept by the connection registry), not a crash. */
export class MemoryOutbox extends EventEmitter implements Outbox {
  private seq = 0;
  private readonly queues = new Map<Lane, Fifo<OutboxRecord>>(LANES.map((l) => [l, new Fifo()]));
  private readonly inFlight = new Map<number, OutboxRecord>();
  private bytes = 0;
  private dropped = 0;
  private readonly live = new Set<number>();

  constructor(private readonly opts: MemoryOutboxOptions = { maxBytes: 16 * 1024 * 1024 }) {
    super();
  }

  put(record: Outbound, lane: Lane = record.priority): Promise<number> {
    this.seq += 1;
    const rec: OutboxRecord = {
      seq: this.seq,
      topic: record.topic,
      payload: record.payload,
      lane,
      batchable: record.batchable,
      bytes: Buffer.byteLength(record.payload, 'utf8'),
    };
    this.queue(lane).push(rec);
    this.live.add(rec.seq);
    this.bytes += rec.bytes;
    this.enforceBound();
    this.emit('change');
    return Promise.resolve(rec.seq);
  }

  takeRun(lanes: readonly Lane[], maxBytes: number, separatorBytes: number): OutboxRecord[] {
    for (const lane of lanes) {
      const run = takeRunFrom(this.queue(lane), maxBytes, separatorBytes);
      if (run.length === 0) continue;
      for (const r of run) this.inFlight.set(r.seq, r);
      return run;
    }
    return [];
  }

  ack(seqs: readonly number[]): void {
    for (const s of seqs) {
      const r = this.inFlight.get(s);
      if (!r) continue;
      this.inFlight.delete(s);
      this.live.delete(s);
      this.bytes -= r.bytes;
    }
    this.emit('change');
  }

  isPending(seq: number): boolean {
    return this.live.has(seq);
  }

  release(seqs: readonly number[]): void {
    const byLane = new Map<Lane, OutboxRecord[]>();
    for (const s of [...seqs].sort((a, b) => a - b)) {
      const r = this.inFlight.get(s);
      if (!r) continue;
      this.inFlight.delete(s);
      const list = byLane.get(r.lane) ?? [];
      list.push(r);
      byLane.set(r.lane, list);
    }
    for (const [lane, list] of byLane) this.queue(lane).unshiftSorted(list, (r) => r.seq);
    this.emit('change');
  }

  clearLane(lane: Lane): void {
    for (const r of this.queue(lane).clear()) {
      this.bytes -= r.bytes;
      this.live.delete(r.seq);
    }
    for (const [s, r] of this.inFlight) {
      if (r.lane === lane) {
        this.inFlight.delete(s);
        this.live.delete(s);
        this.bytes -= r.bytes;
      }
    }
    this.emit('change');
  }

  stats(): OutboxStats {
    let pending = 0;
    for (const q of this.queues.values()) pending += q.length;
    return { pending, inFlight: this.inFlight.size, bytes: this.bytes, dropped: this.dropped };
  }

  close(): Promise<void> {
    this.removeAllListeners();
    return Promise.resolve();
  }

  private queue(lane: Lane): Fifo<OutboxRecord> {
    const q = this.queues.get(lane);
    if (!q) throw new Error(`unknown outbox lane ${lane}`);
    return q;
  }

  /** Drops the oldest pending telemetry while over the bound; control records are never dropped. */
  private enforceBound(): void {
    const q = this.queue('telemetry');
    let n = 0;
    while (this.bytes > this.opts.maxBytes && q.length > 0) {
      const r = q.shift();
      if (!r) break;
      this.bytes -= r.bytes;
      this.live.delete(r.seq);
      n += 1;
    }
    this.dropped += n;
    if (n > 0) this.emit('dropped', n);
  }
}
