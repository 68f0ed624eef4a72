// Reconnect delays and takeover detection (transport/backoff.ts; protocol reference §1.2:
// 1 s, 2 s, 4 s … capped at 300 s, full jitter, reset after 60 s up; 3 short sessions in 5 min).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffCeiling, backoffDelay, DEFAULT_BACKOFF, TakeoverDetector } from '../../transport/backoff';

/** A `random` that returns the given values in turn, then repeats the last one. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[Math.min(i, values.length - 1)] ?? 0;
    i += 1;
    return v;
  };
}
/** Largest double below 1: the top of Math.random's range. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

describe('backoff defaults', () => {
  it('start at 1 s, cap at 300 s and call a session stable after 60 s (§1.2)', () => {
    assert.deepEqual(DEFAULT_BACKOFF, { initialMs: 1000, maxMs: 300_000, stableMs: 60_000 });
  });
});

describe('backoffCeiling', () => {
  it('doubles from 1 s: 1, 2, 4 … 256 s, then stays at the 300 s cap', () => {
    const ceilings = Array.from({ length: 12 }, (_, attempt) => backoffCeiling(attempt, DEFAULT_BACKOFF));
    assert.deepEqual(ceilings, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('stays at the cap for huge attempt counts instead of overflowing to Infinity or NaN', () => {
    for (const attempt of [31, 100, 1024, 1e6, Number.MAX_SAFE_INTEGER]) {
      assert.equal(backoffCeiling(attempt, DEFAULT_BACKOFF), 300_000, String(attempt));
    }
  });

  it('follows other options', () => {
    const opts = { initialMs: 50, maxMs: 500, stableMs: 1 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((a) => backoffCeiling(a, opts)),
      [50, 100, 200, 400, 500, 500],
    );
  });
});

describe('backoffDelay: full jitter', () => {
  it('is 0 when random gives 0', () => {
    for (const attempt of [0, 3, 20])
      assert.equal(
        backoffDelay(attempt, DEFAULT_BACKOFF, () => 0),
        0,
      );
  });

  it('scales the ceiling by random, in whole milliseconds', () => {
    assert.equal(
      backoffDelay(0, DEFAULT_BACKOFF, () => 0.5),
      500,
    );
    assert.equal(
      backoffDelay(2, DEFAULT_BACKOFF, () => 0.25),
      1000,
    );
    assert.equal(
      backoffDelay(0, DEFAULT_BACKOFF, () => 0.12345),
      123,
    );
    assert.equal(
      backoffDelay(40, DEFAULT_BACKOFF, () => 0.5),
      150_000,
    );
  });

  it('stays below the ceiling at the top of the random range', () => {
    for (let attempt = 0; attempt < 15; attempt += 1) {
      const ceiling = backoffCeiling(attempt, DEFAULT_BACKOFF);
      const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => ALMOST_ONE);
      assert.ok(d < ceiling && d >= ceiling - 1, `attempt ${attempt}: ${d} vs ceiling ${ceiling}`);
      assert.ok(Number.isInteger(d));
    }
  });

  it('stays within [0, ceiling) for many random draws', () => {
    let seed = 42; // MINSTD: exact in doubles, values in (0, 1)
    const lcg = (): number => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let i = 0; i < 2000; i += 1) {
      const attempt = i % 14;
      const d = backoffDelay(attempt, DEFAULT_BACKOFF, lcg);
      assert.ok(d >= 0 && d < backoffCeiling(attempt, DEFAULT_BACKOFF), `${d} at attempt ${attempt}`);
    }
  });
});

describe('Backoff', () => {
  it('grows the delay with every retry until the cap', () => {
    const b = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    const delays = Array.from({ length: 11 }, () => b.next());
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000]);
    assert.equal(b.attempts, 11);
  });

  it('draws a fresh random value for every delay', () => {
    const b = new Backoff(DEFAULT_BACKOFF, sequence(0.1, 0.9, 0.5));
    assert.deepEqual([b.next(), b.next(), b.next()], [100, 1800, 2000]);
  });

  it('uses Math.random by default, staying within the ceilings', () => {
    const b = new Backoff(DEFAULT_BACKOFF);
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const d = b.next();
      assert.ok(d >= 0 && d < backoffCeiling(attempt, DEFAULT_BACKOFF));
    }
  });

  it('starts again at 1 s after a session that stayed up for 60 s', () => {
    const b = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    for (let i = 0; i < 5; i += 1) b.next();
    b.sessionEnded(60_000);
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 500);
  });

  it('keeps growing after a session shorter than 60 s', () => {
    const b = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    for (let i = 0; i < 5; i += 1) b.next();
    b.sessionEnded(59_999);
    assert.equal(b.attempts, 5);
    assert.equal(b.next(), 16_000);
  });

  it('reset() starts again at the first delay', () => {
    const b = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 500);
  });
});

describe('TakeoverDetector (§1.2)', () => {
  const MIN = 60_000;

  it('reports a takeover on the third session in 5 minutes that ended within 10 s of CONNACK', () => {
    const t = new TakeoverDetector();
    assert.equal(t.sessionEnded(0, 2000, false), false);
    assert.equal(t.sessionEnded(1 * MIN, 9999, false), false);
    assert.equal(t.sessionEnded(5 * MIN, 0, false), true);
  });

  it('keeps reporting while short sessions continue', () => {
    const t = new TakeoverDetector();
    t.sessionEnded(0, 1000, false);
    t.sessionEnded(10_000, 1000, false);
    assert.equal(t.sessionEnded(20_000, 1000, false), true);
    assert.equal(t.sessionEnded(30_000, 1000, false), true);
  });

  it('does not count short sessions older than 5 minutes', () => {
    const t = new TakeoverDetector();
    t.sessionEnded(0, 1000, false);
    t.sessionEnded(3 * MIN, 1000, false);
    assert.equal(t.sessionEnded(5 * MIN + 1, 1000, false), false);
    assert.equal(t.sessionEnded(6 * MIN, 1000, false), true);
  });

  it('a session that lasted 10 s or more is not short and starts the count again', () => {
    const t = new TakeoverDetector();
    t.sessionEnded(0, 1000, false);
    t.sessionEnded(1000, 1000, false);
    assert.equal(t.sessionEnded(2000, 10_000, false), false);
    assert.equal(t.sessionEnded(3000, 1000, false), false);
    assert.equal(t.sessionEnded(4000, 1000, false), false);
    assert.equal(t.sessionEnded(5000, 1000, false), true);
  });

  it('a session ended by a local cause is not a takeover and starts the count again', () => {
    const t = new TakeoverDetector();
    t.sessionEnded(0, 1000, false);
    t.sessionEnded(1000, 1000, false);
    assert.equal(t.sessionEnded(2000, 1000, true), false);
    assert.equal(t.sessionEnded(3000, 1000, false), false);
    assert.equal(t.sessionEnded(4000, 1000, false), false);
    assert.equal(t.sessionEnded(5000, 1000, false), true);
  });

  it('clear() forgets the short sessions seen so far', () => {
    const t = new TakeoverDetector();
    t.sessionEnded(0, 1000, false);
    t.sessionEnded(1000, 1000, false);
    t.clear();
    assert.equal(t.sessionEnded(2000, 1000, false), false);
  });

  it('follows a custom limit, window and short-session length', () => {
    const t = new TakeoverDetector(2, 1000, 100);
    assert.equal(t.sessionEnded(0, 99, false), false);
    assert.equal(t.sessionEnded(1001, 99, false), false);
    assert.equal(t.sessionEnded(1500, 50, false), true);
    assert.equal(t.sessionEnded(1600, 100, false), false);
  });

  describe('a storm of refusals (reliability.md R7)', () => {
    /** Deterministic PRNG (mulberry32) so the hour is the same on every run. */
    function prng(seed: number): () => number {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    for (const seed of [1, 2, 3, 42, 1234]) {
      it(`makes at most 25 attempts in an hour of CONNACK 5 with equal jitter (seed ${seed})`, () => {
        const b = new Backoff(DEFAULT_BACKOFF, prng(seed));
        let t = 0;
        let attempts = 0;
        while (t < 3_600_000) {
          attempts += 1;
          t += b.next(0.5);
        }
        assert.ok(attempts <= 25, `${attempts} attempts`);
        assert.ok(attempts >= 15, `${attempts} attempts: still retrying`);
      });
    }

    it('never waits less than half the ceiling with floor 0.5, even when random() is 0', () => {
      const b = new Backoff(DEFAULT_BACKOFF, () => 0);
      assert.deepEqual([b.next(0.5), b.next(0.5), b.next(0.5)], [500, 1000, 2000]);
    });
  });
});
