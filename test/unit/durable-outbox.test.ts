import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Outbound } from '../../dialects/types';
import { DurableOutbox, type DurableOutboxOptions } from '../../transport/durable-outbox';
import type { Lane, OutboxRecord } from '../../transport/outbox';

const ALL: Lane[] = ['session', 'control', 'telemetry'];

function rec(payload: string, priority: 'control' | 'telemetry' = 'telemetry', topic = 's/us'): Outbound {
  return { topic, payload, priority, batchable: true };
}

/** Takes every pending record one by one (no batching), acknowledging none. */
function drain(o: DurableOutbox, lanes: Lane[] = ALL): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (let run = o.takeRun(lanes, 1, 0); run.length > 0; run = o.takeRun(lanes, 1, 0)) out.push(...run);
  return out;
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
}

function diskBytes(dir: string): number {
  return segmentFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

describe('DurableOutbox', () => {
  let dir: string;
  const opened: DurableOutbox[] = [];
  const open = (o: Partial<DurableOutboxOptions> = {}): DurableOutbox => {
    const ob = new DurableOutbox(dir, { maxBytes: 50 * 1024 * 1024, segmentBytes: 64 * 1024, fsync: 'interval', syncIntervalMs: 50, ...o });
    opened.push(ob);
    return ob;
  };
  /** A crash: the object is abandoned without close(); a new one opens the same directory. */
  const crash = (o: DurableOutbox): void => {
    o.removeAllListeners();
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-outbox-'));
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every record whose put() resolved across a crash, in order', async () => {
    const a = open();
    for (let i = 0; i < 500; i += 1) await a.put(rec(`200,c,s,${i}`));
    crash(a);
    const b = open();
    assert.deepEqual(
      drain(b).map((r) => r.payload),
      Array.from({ length: 500 }, (_, i) => `200,c,s,${i}`),
    );
  });

  it('forgets acknowledged records once the checkpoint is written', async () => {
    const a = open();
    await Promise.all([0, 1, 2, 3].map((i) => a.put(rec(`r${i}`))));
    const taken = drain(a);
    a.ack(taken.slice(0, 3).map((r) => r.seq));
    await a.close();
    const b = open();
    assert.deepEqual(
      drain(b).map((r) => r.payload),
      ['r3'],
    );
  });

  it('delivers again what was acknowledged after the last checkpoint (at least once)', async () => {
    const a = open({ syncIntervalMs: 60_000 });
    await Promise.all([0, 1].map((i) => a.put(rec(`r${i}`))));
    a.ack(drain(a).map((r) => r.seq));
    crash(a);
    const b = open();
    assert.deepEqual(
      drain(b).map((r) => r.payload),
      ['r0', 'r1'],
    );
  });

  it('sends control records before telemetry, each lane in order, and releases keep that order', async () => {
    const o = open();
    await Promise.all([o.put(rec('t1')), o.put(rec('c1', 'control')), o.put(rec('t2')), o.put(rec('c2', 'control'))]);
    const first = o.takeRun(ALL, 1, 0);
    const second = o.takeRun(ALL, 1, 0);
    assert.deepEqual(
      [...first, ...second].map((r) => r.payload),
      ['c1', 'c2'],
    );
    o.release([second[0]!.seq, first[0]!.seq]);
    assert.deepEqual(
      drain(o).map((r) => r.payload),
      ['c1', 'c2', 't1', 't2'],
    );
  });

  it('batches consecutive records of one topic up to the byte limit', async () => {
    const o = open();
    await Promise.all(['aaaa', 'bbbb', 'cccc'].map((p) => o.put(rec(p))));
    const run = o.takeRun(ALL, 9, 1);
    assert.deepEqual(
      run.map((r) => r.payload),
      ['aaaa', 'bbbb'],
    );
  });

  it('keeps the session lane in memory only: it is gone after a crash', async () => {
    const a = open();
    const seq = await a.put(rec('100,x,y', 'control'), 'session');
    assert.equal(a.isPending(seq), true);
    crash(a);
    const b = open();
    assert.equal(drain(b).length, 0);
  });

  it('reads a backlog larger than its memory window from disk, in order', async () => {
    const a = open();
    const n = 5000;
    for (let i = 0; i < n; i += 1) void a.put(rec(`m${i}`));
    await a.put(rec('last'));
    crash(a);
    const b = open();
    const got = drain(b).map((r) => r.payload);
    assert.equal(got.length, n + 1);
    assert.equal(got[0], 'm0');
    assert.equal(got[n - 1], `m${n - 1}`);
    assert.equal(got[n], 'last');
  });

  it('rotates segments and deletes them once everything in them is acknowledged', async () => {
    const o = open({ segmentBytes: 4096 });
    for (let i = 0; i < 400; i += 1) await o.put(rec(`200,c8y_T,T,${i}`.padEnd(60, '0')));
    assert.ok(segmentFiles(dir).length > 3, 'several segments');
    o.ack(drain(o).map((r) => r.seq));
    await o.put(rec('after'));
    await new Promise((r) => setTimeout(r, 150)); // a checkpoint tick
    assert.ok(segmentFiles(dir).length <= 2, `segments left: ${segmentFiles(dir).join(',')}`);
    assert.equal(o.stats().pending, 1);
  });

  it('when full, drops the oldest telemetry, never control records, and counts every drop', async () => {
    const cap = 64 * 1024;
    const o = open({ maxBytes: cap, segmentBytes: 8 * 1024 });
    const produced = 3000;
    let maxDisk = 0;
    for (let i = 0; i < produced; i += 1) {
      await o.put(rec(`200,c8y_Counter,n,${i}`.padEnd(40, ' ')));
      if (i % 60 === 0) await o.put(rec(`301,c8y_Alarm${i},hot`, 'control'));
      maxDisk = Math.max(maxDisk, diskBytes(dir));
    }
    assert.ok(maxDisk <= cap + 8 * 1024 + 1024, `disk ${maxDisk} over cap + one segment`);
    const left = drain(o);
    const control = left.filter((r) => r.lane === 'control');
    const telemetry = left.filter((r) => r.lane === 'telemetry').map((r) => Number(r.payload.split(',')[3]));
    assert.equal(control.length, 50, 'every control record kept');
    assert.equal(o.stats().dropped, produced - telemetry.length, 'drop count = produced − kept');
    assert.ok(o.stats().dropped > 0);
    // What is kept is the newest telemetry, contiguous and in order.
    assert.equal(telemetry.at(-1), produced - 1);
    assert.deepEqual(
      telemetry,
      Array.from({ length: telemetry.length }, (_, i) => produced - telemetry.length + i),
    );
  });

  it('keeps the newest records up to the bound when one burst alone is larger than the bound', async () => {
    const o = open({ maxBytes: 32 * 1024, segmentBytes: 4096 });
    await Promise.all(Array.from({ length: 3000 }, (_, i) => o.put(rec(`200,c8y_Counter,n,${i}`))));
    const kept = drain(o).map((r) => Number(r.payload.split(',')[3]));
    assert.ok(kept.length > 500, `kept ${kept.length}: a burst must not wipe the whole store`);
    assert.equal(kept.at(-1), 2999);
    assert.equal(o.stats().dropped, 3000 - kept.length);
    assert.ok(diskBytes(dir) <= 32 * 1024 + 4096);
  });

  it('keeps the drop count across a restart', async () => {
    const a = open({ maxBytes: 16 * 1024, segmentBytes: 4096 });
    for (let i = 0; i < 2000; i += 1) await a.put(rec(`r${i}`.padEnd(30, '.')));
    const dropped = a.stats().dropped;
    assert.ok(dropped > 0);
    await a.close();
    assert.equal(open().stats().dropped, dropped);
  });

  it('recovers from a write torn at any byte: keeps all complete records, drops the partial one', async () => {
    const a = open();
    for (let i = 0; i < 20; i += 1) await a.put(rec(`record-${i}`));
    await a.close();
    const file = path.join(
      dir,
      segmentFiles(dir).find((f) => f.startsWith('telemetry-'))!,
    );
    const whole = fs.readFileSync(file);
    const frames: number[] = [];
    for (let off = 0; off < whole.length; off += 8 + whole.readUInt32LE(off)) frames.push(off);
    for (let seed = 1; seed <= 200; seed += 1) {
      const cutAt = (seed * 7919) % whole.length;
      fs.writeFileSync(file, whole.subarray(0, cutAt));
      const complete = frames.filter((start, i) => (frames[i + 1] ?? whole.length) <= cutAt && start < cutAt).length;
      const o = new DurableOutbox(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: 'interval', syncIntervalMs: 1000 });
      const got = drain(o).map((r) => r.payload);
      await o.close();
      assert.deepEqual(
        got,
        Array.from({ length: complete }, (_, i) => `record-${i}`),
        `cut at ${cutAt}`,
      );
      assert.equal(fs.statSync(file).size, frames[complete] ?? whole.length, 'torn tail cut off');
    }
  });

  it('skips a damaged segment in the middle of the log and says so', async () => {
    const a = open({ segmentBytes: 1024 });
    for (let i = 0; i < 100; i += 1) await a.put(rec(`x${i}`.padEnd(40, '-')));
    await a.close();
    const files = segmentFiles(dir)
      .filter((f) => f.startsWith('telemetry-'))
      .sort((x, y) => Number(x.split(/[-.]/)[1]) - Number(y.split(/[-.]/)[1]));
    const victim = path.join(dir, files[1]!);
    const buf = fs.readFileSync(victim);
    buf[20] = (buf[20] ?? 0) ^ 0xff;
    fs.writeFileSync(victim, buf);
    const b = open({ segmentBytes: 1024 });
    const got = drain(b);
    assert.ok(got.length < 100 && got.length > 50, `kept ${got.length}`);
    assert.equal(b.corruptSegments, 1);
    assert.equal(got[0]?.payload.startsWith('x0'), true);
  });

  it('fsyncs before put() resolves in "always" mode and still delivers in order', async () => {
    const o = open({ fsync: 'always' });
    await Promise.all([1, 2, 3].map((i) => o.put(rec(`a${i}`, 'control'))));
    assert.deepEqual(
      drain(o).map((r) => r.payload),
      ['a1', 'a2', 'a3'],
    );
  });

  it('rejects put() with the file system error when the store disappears, without throwing', async () => {
    const o = open();
    await o.put(rec('before'));
    const warnings: Error[] = [];
    o.on('warning', (e: Error) => warnings.push(e));
    fs.rmSync(dir, { recursive: true, force: true });
    // The open segment file survives its directory on Linux; a new segment cannot be created.
    const big = 'x'.repeat(70 * 1024);
    await assert.rejects(
      o.put(rec(big)).then(() => o.put(rec('next'))),
      /ENOENT/,
    );
    await new Promise((r) => setTimeout(r, 120)); // checkpoint ticks must not throw either
    assert.ok(warnings.length >= 1);
    fs.mkdirSync(dir, { recursive: true });
  });

  it('refuses put() after close', async () => {
    const o = open();
    await o.close();
    await assert.rejects(o.put(rec('late')), /closed/);
  });
});
