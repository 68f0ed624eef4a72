// Device-side operation lifecycle (agent/operations.ts; protocol reference §9): EXECUTING on
// receipt, exactly one final status, FAILED on timeout or when nothing handles the fragment,
// duplicates ignored, static mode one-at-a-time per fragment, restart markers across processes.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  OperationTracker,
  PROCESS_STARTED_AT,
  type OperationConsumer,
  type StatusSink,
  type TrackedOperation,
  type TrackerOptions,
} from '../../agent/operations';
import type { Operation, OperationStatus } from '../../dialects/types';

interface Sent {
  op: Operation;
  status: OperationStatus;
  reason?: string | undefined;
  result?: string[] | undefined;
}

/** The name a test gave an operation (`params.n`). */
function nameOf(op: Operation): string {
  const p = op.params;
  return typeof p === 'object' && p !== null && 'n' in p && typeof p.n === 'string' ? p.n : '?';
}

function op(fragment: string, n: string, id?: string, deviceId = 'rpi-1'): Operation {
  return { id, fragment, deviceId, params: { n } };
}

interface TestConsumer extends OperationConsumer {
  got: TrackedOperation[];
}

/** Records statuses and deliveries in one log, and lets a test wait for a status without sleeping. */
class Recorder {
  readonly sent: Sent[] = [];
  /** `<name> <STATUS>` and `<name> delivered`, in the order they happened. */
  readonly log: string[] = [];
  private waiters: { match: (s: Sent) => boolean; resolve: (s: Sent) => void }[] = [];

  readonly sink: StatusSink = (o, status, reason, result) => {
    const s: Sent = { op: o, status, reason, result };
    this.sent.push(s);
    this.log.push(`${nameOf(o)} ${status}`);
    for (const w of [...this.waiters]) {
      if (!w.match(s)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(s);
    }
  };

  consumer(
    fragments: string[],
    opts: { timeoutSec?: number; completeOnRestart?: boolean; onDeliver?: (t: TrackedOperation) => void } = {},
  ): TestConsumer {
    const got: TrackedOperation[] = [];
    return {
      fragments,
      completeOnRestart: opts.completeOnRestart ?? false,
      timeoutSec: opts.timeoutSec ?? 0,
      got,
      deliver: (t) => {
        got.push(t);
        this.log.push(`${nameOf(t.operation)} delivered`);
        opts.onDeliver?.(t);
      },
    };
  }

  /** The first status (sent already or later) of the named operation in a final state. */
  final(name: string, guardMs = 2000): Promise<Sent> {
    const match = (s: Sent): boolean => nameOf(s.op) === name && s.status !== 'EXECUTING';
    const done = this.sent.find(match);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      // A referenced timer keeps the event loop alive while the tracker's unref'd timer runs.
      const guard = setTimeout(() => reject(new Error(`no final status for ${name} within ${guardMs} ms`)), guardMs);
      this.waiters.push({
        match,
        resolve: (s) => {
          clearTimeout(guard);
          resolve(s);
        },
      });
    });
  }

  statusesOf(name: string): string[] {
    return this.sent.filter((s) => nameOf(s.op) === name).map((s) => s.status);
  }
}

describe('OperationTracker', () => {
  let dir = '';
  let markerFile = '';
  let trackers: OperationTracker[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'device-agent-ops-'));
    markerFile = path.join(dir, 'state', 'operations.json');
    trackers = [];
  });

  afterEach(() => {
    for (const t of trackers) t.close('test finished');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function setup(
    mode: 'id' | 'static',
    over: Partial<TrackerOptions> = {},
    now?: () => number,
  ): { rec: Recorder; tracker: OperationTracker } {
    const rec = new Recorder();
    const opts: TrackerOptions = { mode, markerFile, restartTimeoutSec: 3600, duplicateWindowMs: 30_000, ...over };
    const tracker = new OperationTracker(opts, rec.sink, now);
    trackers.push(tracker);
    return { rec, tracker };
  }

  /** Reports SUCCESSFUL for every delivered operation, including those delivered meanwhile. */
  function reportAll(tracker: OperationTracker, c: TestConsumer): void {
    for (let i = 0; i < c.got.length; i += 1) {
      const t = c.got[i];
      if (t) tracker.report(t.key, 'SUCCESSFUL');
    }
  }

  function writeMarkers(markers: unknown): void {
    fs.mkdirSync(path.dirname(markerFile), { recursive: true });
    fs.writeFileSync(markerFile, JSON.stringify(markers));
  }

  function readMarkers(): unknown {
    return JSON.parse(fs.readFileSync(markerFile, 'utf8')) as unknown;
  }

  describe('delivery and reports', () => {
    it('sends EXECUTING before it hands the operation to the consumer, keyed by the operation id', () => {
      const { rec, tracker } = setup('id', {}, () => 123_456);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      const o = op('c8y_Command', 'A', '4711');
      tracker.accept(o);
      assert.deepEqual(rec.log, ['A EXECUTING', 'A delivered']);
      assert.deepEqual(c.got, [{ key: '4711', operation: o, receivedAt: 123_456 }]);
      assert.equal(tracker.openCount, 1);
    });

    it('sends the reported final status with its result once, then refuses a second report', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.equal(tracker.report('1', 'SUCCESSFUL', undefined, ['total 0']), undefined);
      const last = rec.sent.at(-1);
      assert.deepEqual(last && { status: last.status, reason: last.reason, result: last.result }, {
        status: 'SUCCESSFUL',
        reason: undefined,
        result: ['total 0'],
      });
      assert.equal(tracker.openCount, 0);
      assert.match(tracker.report('1', 'FAILED', 'late') ?? '', /operation 1 is not open/);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'SUCCESSFUL']);
    });

    it('passes the reason of a FAILED report', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.report('1', 'FAILED', 'disk full');
      assert.equal(rec.sent.at(-1)?.reason, 'disk full');
      assert.equal(rec.sent.at(-1)?.status, 'FAILED');
    });

    it('accepts an EXECUTING report without sending anything and keeps the operation open', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.equal(tracker.report('1', 'EXECUTING'), undefined);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING']);
      assert.equal(tracker.openCount, 1);
      assert.equal(tracker.report('1', 'SUCCESSFUL'), undefined);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'SUCCESSFUL']);
    });

    it('answers a report for an unknown key with an error text and sends nothing', () => {
      const { rec, tracker } = setup('id');
      assert.equal(tracker.report('nope', 'SUCCESSFUL'), 'operation nope is not open (already reported, timed out or unknown)');
      assert.deepEqual(rec.sent, []);
    });

    it('fails an operation nothing handles: EXECUTING then FAILED with a reason, never delivered', () => {
      const { rec, tracker } = setup('id');
      const c = rec.consumer(['c8y_Restart']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Firmware', 'F', '9'));
      assert.deepEqual(rec.log, ['F EXECUTING', 'F FAILED']);
      assert.equal(rec.sent[1]?.reason, 'operation c8y_Firmware is not supported by this device');
      assert.equal(c.got.length, 0);
      assert.equal(tracker.openCount, 0);
    });

    it("hands fragments that no consumer names to the '*' consumer, but a named consumer wins", () => {
      const { rec, tracker } = setup('id');
      const any = rec.consumer(['*']);
      const named = rec.consumer(['c8y_Command']);
      tracker.addConsumer(any);
      tracker.addConsumer(named);
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.accept(op('c8y_Custom', 'B', '2'));
      assert.deepEqual(
        named.got.map((t) => t.key),
        ['1'],
      );
      assert.deepEqual(
        any.got.map((t) => t.key),
        ['2'],
      );
      assert.deepEqual(rec.statusesOf('B'), ['EXECUTING']);
    });

    it('lists supported fragments in registration order, without duplicates or the wildcard', () => {
      const { rec, tracker } = setup('id');
      const a = rec.consumer(['c8y_Restart', 'c8y_Command']);
      const b = rec.consumer(['*', 'c8y_Command', 'c8y_Configuration']);
      tracker.addConsumer(a);
      tracker.addConsumer(b);
      assert.deepEqual(tracker.supportedFragments(), ['c8y_Restart', 'c8y_Command', 'c8y_Configuration']);
      tracker.removeConsumer(a);
      assert.deepEqual(tracker.supportedFragments(), ['c8y_Command', 'c8y_Configuration']);
    });

    it('fails operations for a fragment whose consumer was removed', () => {
      const { rec, tracker } = setup('id');
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.removeConsumer(c);
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'FAILED']);
      assert.equal(c.got.length, 0);
    });

    it('lets a consumer report synchronously from deliver', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command'], { onDeliver: (t) => tracker.report(t.key, 'SUCCESSFUL') }));
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.deepEqual(rec.log, ['A EXECUTING', 'A delivered', 'A SUCCESSFUL']);
      assert.equal(tracker.openCount, 0);
    });
  });

  describe('id mode', () => {
    it('ignores a second delivery of an operation that is still open', () => {
      const { rec, tracker } = setup('id');
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.equal(c.got.length, 1);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING']);
    });

    it('ignores a redelivery of an operation that already finished, also an unsupported one', () => {
      const { rec, tracker } = setup('id');
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.report('1', 'SUCCESSFUL');
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.accept(op('c8y_Unknown', 'U', '2'));
      tracker.accept(op('c8y_Unknown', 'U', '2'));
      assert.equal(c.got.length, 1);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'SUCCESSFUL']);
      assert.deepEqual(rec.statusesOf('U'), ['EXECUTING', 'FAILED']);
    });

    it('runs two operations of the same fragment side by side when they have ids', () => {
      const { rec, tracker } = setup('id');
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.accept(op('c8y_Command', 'B', '2'));
      assert.deepEqual(
        c.got.map((t) => t.key),
        ['1', '2'],
      );
      assert.equal(tracker.openCount, 2);
    });
  });

  describe('static mode', () => {
    it('runs one operation per fragment at a time, queued ones in arrival order, other fragments alongside', () => {
      const { rec, tracker } = setup('static');
      const cmd = rec.consumer(['c8y_Command']);
      const cfg = rec.consumer(['c8y_Configuration']);
      tracker.addConsumer(cmd);
      tracker.addConsumer(cfg);
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A2'));
      tracker.accept(op('c8y_Configuration', 'B1'));
      tracker.accept(op('c8y_Command', 'A3'));
      assert.deepEqual(rec.log, ['A1 EXECUTING', 'A1 delivered', 'B1 EXECUTING', 'B1 delivered']);
      const a1 = cmd.got[0];
      assert.ok(a1);
      tracker.report(a1.key, 'SUCCESSFUL');
      const a2 = cmd.got[1];
      assert.ok(a2);
      assert.equal(nameOf(a2.operation), 'A2');
      tracker.report(a2.key, 'FAILED', 'no');
      assert.deepEqual(
        cmd.got.map((t) => nameOf(t.operation)),
        ['A1', 'A2', 'A3'],
      );
      assert.deepEqual(rec.log.slice(4), ['A1 SUCCESSFUL', 'A2 EXECUTING', 'A2 delivered', 'A2 FAILED', 'A3 EXECUTING', 'A3 delivered']);
    });

    it('gives each operation without an id its own key, prefixed by the fragment', () => {
      const { rec, tracker } = setup('static');
      const c = rec.consumer(['c8y_Command', 'c8y_Restart']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A'));
      tracker.accept(op('c8y_Restart', 'B'));
      const keys = c.got.map((t) => t.key);
      assert.equal(keys.length, 2);
      assert.ok(keys[0]?.startsWith('c8y_Command#'));
      assert.ok(keys[1]?.startsWith('c8y_Restart#'));
      assert.notEqual(keys[0], keys[1]);
    });

    it('starts the next queued operation when the running one times out', async () => {
      const { rec, tracker } = setup('static');
      const c = rec.consumer(['c8y_Command'], { timeoutSec: 0.02 });
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A2'));
      const failed = await rec.final('A1');
      assert.equal(failed.status, 'FAILED');
      assert.deepEqual(
        c.got.map((t) => nameOf(t.operation)),
        ['A1', 'A2'],
      );
      assert.deepEqual(rec.log.slice(0, 5), ['A1 EXECUTING', 'A1 delivered', 'A1 FAILED', 'A2 EXECUTING', 'A2 delivered']);
    });

    it('ignores a line identical to a running or queued one within the window after subscribe', () => {
      let t = 1_700_000_000_000;
      const { rec, tracker } = setup('static', { duplicateWindowMs: 30_000 }, () => t);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.subscribed();
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A2'));
      t += 10_000;
      tracker.accept(op('c8y_Command', 'A1')); // running
      tracker.accept(op('c8y_Command', 'A2')); // queued
      tracker.accept(op('c8y_Command', 'A1', undefined, 'rpi-1-child')); // other device: not a duplicate
      reportAll(tracker, c);
      assert.deepEqual(
        c.got.map((x) => `${nameOf(x.operation)}@${x.operation.deviceId}`),
        ['A1@rpi-1', 'A2@rpi-1', 'A1@rpi-1-child'],
      );
      assert.equal(tracker.openCount, 0);
    });

    it('treats the same fragment with other parameters as a new operation inside the window', () => {
      const t = 1_700_000_000_000;
      const { rec, tracker } = setup('static', {}, () => t);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.subscribed();
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A2'));
      const first = c.got[0];
      assert.ok(first);
      tracker.report(first.key, 'SUCCESSFUL');
      assert.deepEqual(
        c.got.map((x) => nameOf(x.operation)),
        ['A1', 'A2'],
      );
    });

    it('accepts an identical line again once the window after subscribe has passed', () => {
      let t = 1_700_000_000_000;
      const { rec, tracker } = setup('static', { duplicateWindowMs: 30_000 }, () => t);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.subscribed();
      tracker.accept(op('c8y_Command', 'A1'));
      t += 30_001;
      tracker.accept(op('c8y_Command', 'A1'));
      assert.equal(c.got.length, 1, 'queued behind the running one');
      const first = c.got[0];
      assert.ok(first);
      tracker.report(first.key, 'SUCCESSFUL');
      assert.equal(c.got.length, 2);
      assert.deepEqual(rec.statusesOf('A1'), ['EXECUTING', 'SUCCESSFUL', 'EXECUTING']);
    });

    it('does not suppress identical lines before subscribed() was called', () => {
      const t = 1_700_000_000_000;
      const { rec, tracker } = setup('static', {}, () => t);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A1'));
      const first = c.got[0];
      assert.ok(first);
      tracker.report(first.key, 'SUCCESSFUL');
      assert.equal(c.got.length, 2);
    });

    it('reopens the window on every subscribed()', () => {
      let t = 1_700_000_000_000;
      const { rec, tracker } = setup('static', { duplicateWindowMs: 1000 }, () => t);
      const c = rec.consumer(['c8y_Command']);
      tracker.addConsumer(c);
      tracker.subscribed();
      t += 5000;
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.subscribed();
      t += 500;
      tracker.accept(op('c8y_Command', 'A1'));
      const first = c.got[0];
      assert.ok(first);
      tracker.report(first.key, 'SUCCESSFUL');
      assert.equal(c.got.length, 1);
      assert.equal(tracker.openCount, 0);
    });

    it('fails unsupported operations at once instead of queueing them', () => {
      const { rec, tracker } = setup('static');
      tracker.accept(op('c8y_Nope', 'N1'));
      tracker.accept(op('c8y_Nope', 'N2'));
      assert.deepEqual(rec.log, ['N1 EXECUTING', 'N1 FAILED', 'N2 EXECUTING', 'N2 FAILED']);
    });
  });

  describe('timeouts', () => {
    it('fails an operation the flow does not report in time, with a reason, and refuses a late report', async () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command'], { timeoutSec: 0.02 }));
      tracker.accept(op('c8y_Command', 'A', '1'));
      const s = await rec.final('A');
      assert.equal(s.status, 'FAILED');
      assert.match(s.reason ?? '', /^no status reported by the flow within \d+ s$/);
      assert.equal(tracker.openCount, 0);
      assert.match(tracker.report('1', 'SUCCESSFUL') ?? '', /is not open/);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'FAILED']);
    });

    it('does not time out an operation that was reported in time', async () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command'], { timeoutSec: 0.01 }));
      tracker.addConsumer(rec.consumer(['c8y_Other'], { timeoutSec: 0.05 }));
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.report('1', 'SUCCESSFUL');
      tracker.accept(op('c8y_Other', 'B', '2'));
      await rec.final('B'); // later than A's timeout would have fired
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'SUCCESSFUL']);
    });

    it('never times out an operation whose consumer has timeout 0', async () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command'], { timeoutSec: 0 }));
      tracker.addConsumer(rec.consumer(['c8y_Other'], { timeoutSec: 0.03 }));
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.accept(op('c8y_Other', 'B', '2'));
      await rec.final('B');
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING']);
      assert.equal(tracker.openCount, 1);
    });
  });

  describe('operations that complete by a restart', () => {
    it('writes the restart marker before delivering the operation', () => {
      const { rec, tracker } = setup('id');
      let markersAtDelivery: unknown;
      tracker.addConsumer(
        rec.consumer(['c8y_Restart'], {
          completeOnRestart: true,
          onDeliver: () => {
            markersAtDelivery = readMarkers();
          },
        }),
      );
      const o = op('c8y_Restart', 'R', '77');
      const before = Date.now();
      tracker.accept(o);
      assert.ok(Array.isArray(markersAtDelivery));
      assert.equal(markersAtDelivery.length, 1);
      const m: unknown = markersAtDelivery[0];
      assert.ok(typeof m === 'object' && m !== null && 'since' in m && typeof m.since === 'number');
      assert.ok(m.since >= before && m.since <= Date.now());
      assert.deepEqual(m, { key: '77', operation: o, since: m.since });
      assert.deepEqual(rec.log, ['R EXECUTING', 'R delivered']);
    });

    it('removes the marker when the flow reports the outcome', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      tracker.accept(op('c8y_Restart', 'R', '77'));
      assert.ok(fs.existsSync(markerFile));
      tracker.report('77', 'FAILED', 'refused');
      assert.equal(fs.existsSync(markerFile), false);
      assert.deepEqual(rec.statusesOf('R'), ['EXECUTING', 'FAILED']);
    });

    it('keeps the markers of other operations when one is reported', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Restart', 'c8y_Firmware'], { completeOnRestart: true }));
      tracker.accept(op('c8y_Restart', 'R', '1'));
      tracker.accept(op('c8y_Firmware', 'F', '2'));
      tracker.report('1', 'SUCCESSFUL');
      const left = readMarkers();
      assert.ok(Array.isArray(left));
      assert.deepEqual(
        left.map((m: { key?: unknown }) => m.key),
        ['2'],
      );
    });

    it('does not write a marker for other operations', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.accept(op('c8y_Command', 'A', '1'));
      assert.equal(fs.existsSync(markerFile), false);
    });

    it('fails the operation after the restart timeout, not the consumer timeout, and removes the marker', async () => {
      const { rec, tracker } = setup('id', { restartTimeoutSec: 0.02 });
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true, timeoutSec: 0 }));
      tracker.accept(op('c8y_Restart', 'R', '1'));
      const s = await rec.final('R');
      assert.equal(s.status, 'FAILED');
      assert.match(s.reason ?? '', /^no restart within \d+ s$/);
      assert.equal(fs.existsSync(markerFile), false);
    });

    it('close() fails open operations with the reason but leaves restart operations open on disk', () => {
      const { rec, tracker } = setup('static');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      tracker.accept(op('c8y_Command', 'A1'));
      tracker.accept(op('c8y_Command', 'A2')); // queued: never started, so no status at all
      tracker.accept(op('c8y_Restart', 'R'));
      tracker.close('flow stopped');
      assert.deepEqual(rec.statusesOf('A1'), ['EXECUTING', 'FAILED']);
      assert.equal(rec.sent.find((s) => nameOf(s.op) === 'A1' && s.status === 'FAILED')?.reason, 'flow stopped');
      assert.deepEqual(rec.statusesOf('A2'), []);
      assert.deepEqual(rec.statusesOf('R'), ['EXECUTING']);
      assert.equal(tracker.openCount, 0);
      assert.ok(fs.existsSync(markerFile));
    });

    it('refuses reports after close()', () => {
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Command']));
      tracker.accept(op('c8y_Command', 'A', '1'));
      tracker.close('bye');
      assert.match(tracker.report('1', 'SUCCESSFUL') ?? '', /is not open/);
      assert.deepEqual(rec.statusesOf('A'), ['EXECUTING', 'FAILED']);
    });
  });

  describe('recoverMarkers', () => {
    const restartOp = op('c8y_Restart', 'R', '77');

    it('reports SUCCESSFUL for a marker written before this process started, and removes it', () => {
      writeMarkers([{ key: '77', operation: restartOp, since: PROCESS_STARTED_AT - 5000 }]);
      const { rec, tracker } = setup('id');
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      // Settled markers still name their fragment, so the caller sends no 507 for it.
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.deepEqual(rec.sent, [{ op: restartOp, status: 'SUCCESSFUL', reason: undefined, result: undefined }]);
      assert.equal(fs.existsSync(markerFile), false);
      assert.equal(tracker.openCount, 0);
    });

    it('reports SUCCESSFUL even when no consumer handles the fragment any more', () => {
      writeMarkers([{ key: '77', operation: restartOp, since: PROCESS_STARTED_AT - 1 }]);
      const { rec, tracker } = setup('id');
      tracker.recoverMarkers();
      assert.deepEqual(rec.statusesOf('R'), ['SUCCESSFUL']);
    });

    it('reports FAILED for a marker from this process older than the restart timeout, and removes it', () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      const { rec, tracker } = setup('id', { restartTimeoutSec: 3600 }, () => since + 3_600_001);
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.deepEqual(rec.sent, [{ op: restartOp, status: 'FAILED', reason: 'no restart within 3600 s', result: undefined }]);
      assert.equal(fs.existsSync(markerFile), false);
    });

    it('keeps a recent marker of this process open (redeploy) without a status or a second delivery', () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      const { rec, tracker } = setup('id', {}, () => since + 1000);
      const c = rec.consumer(['c8y_Restart'], { completeOnRestart: true });
      tracker.addConsumer(c);
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.deepEqual(rec.sent, []);
      assert.equal(c.got.length, 0);
      assert.equal(tracker.openCount, 1);
      assert.ok(fs.existsSync(markerFile));
      tracker.accept(restartOp); // redelivered by the platform: a duplicate now
      assert.deepEqual(rec.sent, []);
      assert.equal(tracker.report('77', 'SUCCESSFUL'), undefined);
      assert.deepEqual(rec.statusesOf('R'), ['SUCCESSFUL']);
      assert.equal(fs.existsSync(markerFile), false);
    });

    it('keeps a recent marker on disk but not open when no consumer handles it yet', () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      const { rec, tracker } = setup('id', {}, () => since + 1000);
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.equal(tracker.openCount, 0);
      assert.deepEqual(rec.sent, []);
      assert.ok(fs.existsSync(markerFile));
    });

    it('carries an operation over a redeploy: the next tracker keeps it open and the flow can still report', () => {
      const first = setup('id');
      first.tracker.addConsumer(first.rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      first.tracker.accept(restartOp);
      first.tracker.close('redeploy');
      assert.deepEqual(first.rec.statusesOf('R'), ['EXECUTING']);

      const second = setup('id');
      second.tracker.addConsumer(second.rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      assert.deepEqual(second.tracker.recoverMarkers(), ['c8y_Restart']);
      assert.equal(second.tracker.report('77', 'SUCCESSFUL'), undefined);
      assert.deepEqual(second.rec.statusesOf('R'), ['SUCCESSFUL']);
    });

    it('keeps reporting the fragment of an open marker on later sessions without a second status', () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      const { rec, tracker } = setup('id', {}, () => since + 1000);
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      tracker.recoverMarkers();
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.equal(tracker.openCount, 1);
      assert.deepEqual(rec.sent, []);
    });

    it('fails a reopened marker when the rest of its timeout runs out, naming the whole timeout', async () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      // 1 s timeout, 980 ms already gone: 20 ms left.
      const { rec, tracker } = setup('id', { restartTimeoutSec: 1 }, () => since + 980);
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      tracker.recoverMarkers();
      const s = await rec.final('R');
      assert.deepEqual({ status: s.status, reason: s.reason }, { status: 'FAILED', reason: 'no restart within 1 s' });
      assert.equal(fs.existsSync(markerFile), false);
    });

    it('fails a reopened marker whose timeout ends exactly now instead of keeping it open for good', async () => {
      const since = Date.now();
      writeMarkers([{ key: '77', operation: restartOp, since }]);
      const { rec, tracker } = setup('id', { restartTimeoutSec: 1 }, () => since + 1000);
      tracker.addConsumer(rec.consumer(['c8y_Restart'], { completeOnRestart: true }));
      tracker.recoverMarkers();
      const s = await rec.final('R');
      assert.equal(s.status, 'FAILED');
    });

    it('handles each marker of a file on its own', () => {
      const since = Date.now();
      const fw = op('c8y_Firmware', 'F', '78');
      const cmd = op('c8y_Restart', 'R2', '79');
      writeMarkers([
        { key: '77', operation: restartOp, since: PROCESS_STARTED_AT - 1 },
        { key: '78', operation: fw, since },
        { key: '79', operation: cmd, since: since + 3_000_000 },
      ]);
      // An hour and a millisecond after the first marker of this process: 78 expired, 79 not.
      const { rec, tracker } = setup('id', { restartTimeoutSec: 3600 }, () => since + 3_600_001);
      tracker.addConsumer(rec.consumer(['c8y_Restart', 'c8y_Firmware'], { completeOnRestart: true }));
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart', 'c8y_Firmware', 'c8y_Restart']);
      assert.deepEqual(rec.log, ['R SUCCESSFUL', 'F FAILED']);
      const left = readMarkers();
      assert.ok(Array.isArray(left));
      assert.deepEqual(
        left.map((m: { key?: unknown }) => m.key),
        ['79'],
      );
    });

    it('reports a static-mode marker (no id) by its operation', () => {
      const staticOp = op('c8y_Restart', 'S');
      writeMarkers([{ key: 'c8y_Restart#1-1', operation: staticOp, since: PROCESS_STARTED_AT - 1 }]);
      const { rec, tracker } = setup('static');
      tracker.recoverMarkers();
      assert.equal(rec.sent[0]?.op.id, undefined);
      assert.equal(rec.sent[0]?.op.fragment, 'c8y_Restart');
      assert.equal(rec.sent[0]?.status, 'SUCCESSFUL');
    });

    it('finds nothing when the file is missing, torn or not a list', () => {
      const { rec, tracker } = setup('id');
      assert.deepEqual(tracker.recoverMarkers(), []);
      fs.mkdirSync(path.dirname(markerFile), { recursive: true });
      fs.writeFileSync(markerFile, '[{"key":"77","oper');
      assert.deepEqual(tracker.recoverMarkers(), []);
      writeMarkers({ key: '77', operation: restartOp, since: 1 });
      assert.deepEqual(tracker.recoverMarkers(), []);
      assert.deepEqual(rec.sent, []);
    });

    it('skips malformed markers instead of throwing, and still handles the valid ones', () => {
      writeMarkers([
        { key: 'no-op', since: PROCESS_STARTED_AT - 1 },
        { key: 'bad-op', operation: 'c8y_Restart', since: PROCESS_STARTED_AT - 1 },
        { key: 'no-since', operation: restartOp },
        { operation: restartOp, since: PROCESS_STARTED_AT - 1 },
        null,
        7,
        { key: '77', operation: restartOp, since: PROCESS_STARTED_AT - 1 },
      ]);
      const { rec, tracker } = setup('id');
      assert.deepEqual(tracker.recoverMarkers(), ['c8y_Restart']);
      assert.deepEqual(rec.log, ['R SUCCESSFUL']);
    });
  });

  it('collects the log types its consumers offer, once each, for the 118 list', () => {
    const { tracker } = setup('id');
    const base = { completeOnRestart: false, timeoutSec: 60, deliver: () => undefined };
    tracker.addConsumer({ ...base, fragments: ['c8y_LogfileRequest'], logTypes: ['syslog', 'nodered'] });
    tracker.addConsumer({ ...base, fragments: ['c8y_Command'] });
    tracker.addConsumer({ ...base, fragments: ['c8y_LogfileRequest'], logTypes: ['nodered', 'agent'] });
    assert.deepEqual(tracker.supportedLogTypes(), ['syslog', 'nodered', 'agent']);
  });
});
