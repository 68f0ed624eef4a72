// The in-memory outbox (transport/outbox.ts): lanes, FIFO, batching into one publish,
// acknowledgement and release, the bound on telemetry and its statistics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LANES, MemoryOutbox, type Lane, type OutboxRecord } from '../../transport/outbox';
import type { Outbound, Priority } from '../../dialects/types';

function rec(payload: string, opts: { topic?: string; priority?: Priority; batchable?: boolean } = {}): Outbound {
  return { topic: opts.topic ?? 's/us', payload, priority: opts.priority ?? 'telemetry', batchable: opts.batchable ?? true };
}
const single = (payload: string, priority: Priority = 'telemetry'): Outbound => rec(payload, { priority, batchable: false });
const payloads = (run: readonly OutboxRecord[]): string[] => run.map((r) => r.payload);
const seqs = (run: readonly OutboxRecord[]): number[] => run.map((r) => r.seq);
const BIG = 1_000_000;

/** Takes single runs from all lanes until the outbox has nothing pending; acks each. */
function drain(box: MemoryOutbox, lanes: readonly Lane[] = LANES): string[] {
  const out: string[] = [];
  for (let run = box.takeRun(lanes, BIG, 1); run.length > 0; run = box.takeRun(lanes, BIG, 1)) {
    out.push(...payloads(run));
    box.ack(seqs(run));
  }
  return out;
}

describe('MemoryOutbox: storing', () => {
  it('numbers records from 1 upwards and resolves once stored', async () => {
    const box = new MemoryOutbox();
    assert.equal(await box.put(single('a')), 1);
    assert.equal(await box.put(single('b', 'control')), 2);
    assert.equal(await box.put(single('c'), 'session'), 3);
    assert.deepEqual(box.stats(), { pending: 3, inFlight: 0, bytes: 3, dropped: 0 });
  });

  it('puts a record in the lane of its priority unless a lane is given', async () => {
    const box = new MemoryOutbox();
    await box.put(single('t', 'telemetry'));
    await box.put(single('c', 'control'));
    await box.put(single('s', 'control'), 'session');
    assert.deepEqual(payloads(box.takeRun(['session'], BIG, 1)), ['s']);
    assert.deepEqual(payloads(box.takeRun(['control'], BIG, 1)), ['c']);
    assert.deepEqual(payloads(box.takeRun(['telemetry'], BIG, 1)), ['t']);
  });

  it('keeps topic, payload, lane, batchable and the UTF-8 byte size on the record', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('Grüße 🌡', { topic: 's/us/child', priority: 'control', batchable: false }));
    assert.deepEqual(box.takeRun(LANES, BIG, 1), [
      { seq: 1, topic: 's/us/child', payload: 'Grüße 🌡', lane: 'control', batchable: false, bytes: 12 },
    ]);
  });
});

describe('MemoryOutbox: order', () => {
  it('drains session before control before telemetry, whatever the order of arrival', async () => {
    const box = new MemoryOutbox();
    await box.put(single('t1'));
    await box.put(single('c1', 'control'));
    await box.put(single('s1'), 'session');
    await box.put(single('t2'));
    await box.put(single('c2', 'control'));
    await box.put(single('s2'), 'session');
    assert.deepEqual(drain(box), ['s1', 's2', 'c1', 'c2', 't1', 't2']);
  });

  it('takes newly arrived control records before older telemetry', async () => {
    const box = new MemoryOutbox();
    await box.put(single('t1'));
    await box.put(single('t2'));
    const first = box.takeRun(LANES, BIG, 1);
    box.ack(seqs(first));
    await box.put(single('c1', 'control'));
    assert.deepEqual(drain(box), ['c1', 't2']);
    assert.deepEqual(payloads(first), ['t1']);
  });

  it('takes only from the lanes asked for, in the order asked for', async () => {
    const box = new MemoryOutbox();
    await box.put(single('t1'));
    await box.put(single('c1', 'control'));
    await box.put(single('s1'), 'session');
    assert.deepEqual(payloads(box.takeRun(['telemetry', 'control'], BIG, 1)), ['t1']);
    assert.deepEqual(payloads(box.takeRun(['telemetry'], BIG, 1)), []);
    assert.deepEqual(payloads(box.takeRun(['session'], BIG, 1)), ['s1']);
    assert.deepEqual(payloads(box.takeRun([], BIG, 1)), []);
  });

  it('returns an empty run when nothing is pending', () => {
    assert.deepEqual(new MemoryOutbox().takeRun(LANES, BIG, 1), []);
  });

  it('is first in, first out within a lane', async () => {
    const box = new MemoryOutbox();
    for (let i = 0; i < 20; i += 1) await box.put(single(`m${i}`));
    assert.deepEqual(
      drain(box),
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
  });
});

describe('MemoryOutbox: batching in takeRun', () => {
  it('joins consecutive batchable records of the same lane and topic', async () => {
    const box = new MemoryOutbox();
    for (const p of ['a', 'b', 'c']) await box.put(rec(p));
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['a', 'b', 'c']);
    assert.deepEqual(box.stats(), { pending: 0, inFlight: 3, bytes: 3, dropped: 0 });
  });

  it('stops at a record for another topic and does not skip ahead past it', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('a'));
    await box.put(rec('x', { topic: 's/us/child' }));
    await box.put(rec('b'));
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['a']);
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['x']);
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['b']);
  });

  it('stops at a record that is not batchable', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('a'));
    await box.put(rec('b'));
    await box.put(single('n'));
    await box.put(rec('c'));
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['a', 'b']);
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['n']);
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['c']);
  });

  it('takes a record that is not batchable alone even when batchable ones follow', async () => {
    const box = new MemoryOutbox();
    await box.put(single('n'));
    await box.put(rec('a'));
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['n']);
  });

  it('never joins records of different lanes', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('c', { priority: 'control' }));
    await box.put(rec('t'));
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['c']);
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['t']);
  });

  it('counts the separator bytes between records against maxBytes', async () => {
    const box = new MemoryOutbox();
    for (const p of ['aaaa', 'bbbb', 'cccc']) await box.put(rec(p));
    // 4 + 1 + 4 = 9 fits exactly; one more would be 14.
    assert.deepEqual(payloads(box.takeRun(LANES, 9, 1)), ['aaaa', 'bbbb']);
    box.release([1, 2]);
    // Without the separator 8 bytes would hold two records.
    assert.deepEqual(payloads(box.takeRun(LANES, 8, 1)), ['aaaa']);
    assert.deepEqual(payloads(box.takeRun(LANES, 8, 0)), ['bbbb', 'cccc']);
  });

  it('counts a multi-byte separator once per join', async () => {
    const box = new MemoryOutbox();
    for (const p of ['aa', 'bb', 'cc']) await box.put(rec(p));
    // 2 + 3 + 2 + 3 + 2 = 12
    assert.deepEqual(payloads(box.takeRun(LANES, 11, 3)), ['aa', 'bb']);
    box.release([1, 2]);
    assert.deepEqual(payloads(box.takeRun(LANES, 12, 3)), ['aa', 'bb', 'cc']);
  });

  it('measures payloads in UTF-8 bytes, not characters', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('üü'));
    await box.put(rec('üü'));
    // 4 + 1 + 4 = 9 bytes, although only 5 characters.
    assert.deepEqual(payloads(box.takeRun(LANES, 8, 1)), ['üü']);
  });

  it('still sends a single record larger than maxBytes, alone, so it cannot block the lane', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('x'.repeat(50)));
    await box.put(rec('y'));
    assert.deepEqual(seqs(box.takeRun(LANES, 10, 1)), [1]);
    assert.deepEqual(seqs(box.takeRun(LANES, 10, 1)), [2]);
  });
});

describe('MemoryOutbox: ack and release', () => {
  it('keeps a record pending until the broker acknowledged it', async () => {
    const box = new MemoryOutbox();
    const seq = await box.put(single('a'));
    assert.equal(box.isPending(seq), true);
    const run = box.takeRun(LANES, BIG, 1);
    assert.equal(box.isPending(seq), true, 'in flight is still pending');
    box.ack(seqs(run));
    assert.equal(box.isPending(seq), false);
    assert.deepEqual(box.stats(), { pending: 0, inFlight: 0, bytes: 0, dropped: 0 });
  });

  it('does not know sequence numbers it never issued', () => {
    assert.equal(new MemoryOutbox().isPending(1), false);
  });

  it('ignores an ack for a record that is not in flight', async () => {
    const box = new MemoryOutbox();
    const seq = await box.put(single('a'));
    box.ack([seq, 99]);
    assert.equal(box.isPending(seq), true);
    assert.deepEqual(box.stats(), { pending: 1, inFlight: 0, bytes: 1, dropped: 0 });
    assert.deepEqual(drain(box), ['a']);
  });

  it('acknowledges only the records named, leaving the rest of the run in flight', async () => {
    const box = new MemoryOutbox();
    for (const p of ['a', 'b', 'c']) await box.put(rec(p));
    box.takeRun(LANES, BIG, 1);
    box.ack([2]);
    assert.deepEqual(box.stats(), { pending: 0, inFlight: 2, bytes: 2, dropped: 0 });
    assert.equal(box.isPending(2), false);
    assert.equal(box.isPending(1), true);
  });

  it('puts released records back in front of newer ones, in their original order', async () => {
    const box = new MemoryOutbox();
    await box.put(rec('a'));
    await box.put(rec('b'));
    const run = box.takeRun(LANES, BIG, 1);
    assert.deepEqual(payloads(run), ['a', 'b']);
    await box.put(rec('c'));
    box.release([2, 1]); // order of the argument must not matter
    assert.deepEqual(payloads(box.takeRun(LANES, BIG, 1)), ['a', 'b', 'c']);
  });

  it('merges records released one at a time back into seq order among pending ones', async () => {
    const box = new MemoryOutbox();
    for (const p of ['a', 'b', 'c']) await box.put(single(p));
    const a = box.takeRun(LANES, BIG, 1);
    const b = box.takeRun(LANES, BIG, 1);
    await box.put(single('d'));
    box.release(seqs(b));
    box.release(seqs(a));
    assert.equal(box.stats().inFlight, 0);
    assert.deepEqual(drain(box), ['a', 'b', 'c', 'd']);
  });

  it('merges an interleaved release (oldest and a middle record) correctly', async () => {
    const box = new MemoryOutbox();
    for (const p of ['a', 'b', 'c', 'd']) await box.put(single(p));
    const taken = [box.takeRun(LANES, BIG, 1), box.takeRun(LANES, BIG, 1), box.takeRun(LANES, BIG, 1)];
    box.ack(seqs(taken[1] ?? []));
    box.release([...seqs(taken[2] ?? []), ...seqs(taken[0] ?? [])]);
    assert.deepEqual(drain(box), ['a', 'c', 'd']);
  });

  it('returns released records to their own lanes', async () => {
    const box = new MemoryOutbox();
    await box.put(single('c1', 'control'));
    await box.put(single('t1'));
    const c = box.takeRun(LANES, BIG, 1);
    const t = box.takeRun(LANES, BIG, 1);
    box.release([...seqs(t), ...seqs(c)]);
    assert.deepEqual(payloads(box.takeRun(['telemetry'], BIG, 1)), ['t1']);
    assert.deepEqual(payloads(box.takeRun(['control'], BIG, 1)), ['c1']);
  });

  it('ignores a release of records that are not in flight', async () => {
    const box = new MemoryOutbox();
    await box.put(single('a'));
    const run = box.takeRun(LANES, BIG, 1);
    box.ack(seqs(run));
    box.release(seqs(run));
    box.release([42]);
    assert.deepEqual(box.stats(), { pending: 0, inFlight: 0, bytes: 0, dropped: 0 });
    assert.deepEqual(box.takeRun(LANES, BIG, 1), []);
  });

  it('keeps order across a long queue whose storage has been compacted', async () => {
    const box = new MemoryOutbox();
    const n = 3000;
    for (let i = 0; i < n; i += 1) await box.put(single(`m${i}`));
    for (let i = 0; i < 2100; i += 1) box.ack(seqs(box.takeRun(LANES, BIG, 1)));
    const x = box.takeRun(LANES, BIG, 1);
    const y = box.takeRun(LANES, BIG, 1);
    await box.put(single('late'));
    box.release([...seqs(y), ...seqs(x)]);
    const rest = drain(box);
    assert.deepEqual(rest, [...Array.from({ length: n - 2100 }, (_, i) => `m${i + 2100}`), 'late']);
  });
});

describe('MemoryOutbox: clearLane', () => {
  it('forgets pending and in-flight records of one lane only', async () => {
    const box = new MemoryOutbox();
    const s1 = await box.put(single('s1'), 'session');
    const s2 = await box.put(single('s2'), 'session');
    await box.put(single('c1', 'control'));
    await box.put(single('t1'));
    box.takeRun(LANES, BIG, 1); // s1 in flight
    box.clearLane('session');
    assert.equal(box.isPending(s1), false);
    assert.equal(box.isPending(s2), false);
    assert.deepEqual(box.stats(), { pending: 2, inFlight: 0, bytes: 4, dropped: 0 });
    assert.deepEqual(drain(box), ['c1', 't1']);
  });

  it('ignores a late ack or release of a cleared record', async () => {
    const box = new MemoryOutbox();
    await box.put(single('s1'), 'session');
    await box.put(single('t1'));
    const run = box.takeRun(LANES, BIG, 1);
    box.clearLane('session');
    box.ack(seqs(run));
    box.release(seqs(run));
    assert.deepEqual(box.stats(), { pending: 1, inFlight: 0, bytes: 2, dropped: 0 });
    assert.deepEqual(drain(box), ['t1']);
  });
});

describe('MemoryOutbox: bound', () => {
  it('drops the oldest pending telemetry beyond the bound and counts it', async () => {
    const box = new MemoryOutbox({ maxBytes: 10 });
    const s1 = await box.put(single('t1..'));
    await box.put(single('t2..'));
    await box.put(single('t3..'));
    assert.equal(box.isPending(s1), false);
    assert.deepEqual(box.stats(), { pending: 2, inFlight: 0, bytes: 8, dropped: 1 });
    await box.put(single('t4..'));
    assert.deepEqual(box.stats(), { pending: 2, inFlight: 0, bytes: 8, dropped: 2 });
    assert.deepEqual(drain(box), ['t3..', 't4..']);
  });

  it('keeps exactly the bound', async () => {
    const box = new MemoryOutbox({ maxBytes: 8 });
    await box.put(single('aaaa'));
    await box.put(single('bbbb'));
    assert.deepEqual(box.stats(), { pending: 2, inFlight: 0, bytes: 8, dropped: 0 });
  });

  it('never drops control records, dropping telemetry to make room for them instead', async () => {
    const box = new MemoryOutbox({ maxBytes: 10 });
    await box.put(single('tele'));
    await box.put(single('ctrl-1..', 'control'));
    assert.deepEqual(box.stats(), { pending: 1, inFlight: 0, bytes: 8, dropped: 1 });
    await box.put(single('ctrl-2..', 'control'));
    await box.put(single('sess-1..'), 'session');
    assert.deepEqual(box.stats(), { pending: 3, inFlight: 0, bytes: 24, dropped: 1 });
    assert.deepEqual(drain(box), ['sess-1..', 'ctrl-1..', 'ctrl-2..']);
  });

  it('does not drop telemetry that is in flight', async () => {
    const box = new MemoryOutbox({ maxBytes: 10 });
    await box.put(single('t1..'));
    const run = box.takeRun(LANES, BIG, 1);
    await box.put(single('t2..'));
    await box.put(single('t3..'));
    assert.deepEqual(box.stats(), { pending: 1, inFlight: 1, bytes: 8, dropped: 1 });
    assert.equal(box.isPending(1), true);
    box.ack(seqs(run));
    assert.deepEqual(drain(box), ['t3..']);
  });
});

describe('MemoryOutbox: events and close', () => {
  it("emits 'change' on put, ack, release and clearLane", async () => {
    const box = new MemoryOutbox();
    let changes = 0;
    box.on('change', () => {
      changes += 1;
    });
    await box.put(single('a'));
    assert.equal(changes, 1);
    const run = box.takeRun(LANES, BIG, 1);
    box.release(seqs(run));
    assert.equal(changes, 2);
    box.ack(seqs(box.takeRun(LANES, BIG, 1)));
    assert.equal(changes, 3);
    box.clearLane('telemetry');
    assert.equal(changes, 4);
  });

  it('close() removes the listeners', async () => {
    const box = new MemoryOutbox();
    box.on('change', () => assert.fail('listener kept after close'));
    await box.close();
    assert.equal(box.listenerCount('change'), 0);
    await box.put(single('a'));
  });
});
