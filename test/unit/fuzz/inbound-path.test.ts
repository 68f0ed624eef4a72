// Fuzz of the agent's inbound path without a broker (issue 4 item 5; reliability.md §2.6): what
// CumulocityAgent does with a downstream publish — decodeDownstream, then OperationTracker.accept
// for operations and encodeStatus for every status — must never throw, whatever arrives, and
// every operation that was reported EXECUTING ends with exactly one final status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { OperationTracker, type OperationConsumer } from '../../../agent/operations';
import { decodeDownstream, encodeStatus } from '../../../dialects/cumulocity';
import type { Operation, OperationStatus } from '../../../dialects/types';
import { params, RUNS, short, TIMEOUT_MS } from './check';
import { deepJsonOperation, validJsonPayload, validStaticPayload } from './cumulocity-payloads';
import { payloads } from './text';

const ROOT = 'rpi-fuzz';

interface Run {
  tracker: OperationTracker;
  /** Statuses per operation object, in order. */
  statuses: Map<Operation, OperationStatus[]>;
  /** Operations handed to the flow. */
  delivered: Operation[];
}

/** A tracker wired like the agent's: its sink encodes every status as the agent's sendStatus does. */
function makeRun(mode: 'id' | 'static', markerFile: string, fragments: string[][], now: () => number): Run {
  const statuses = new Map<Operation, OperationStatus[]>();
  const delivered: Operation[] = [];
  const tracker = new OperationTracker(
    { mode, markerFile, restartTimeoutSec: 3600, duplicateWindowMs: 30_000 },
    (op, status, reason, result) => {
      // The agent's sendStatus: encode, and on refusal only warn (a refusal is not a throw).
      encodeStatus({ operation: op, status, reason, result }, op.id !== undefined ? 'id' : 'static', ROOT);
      const list = statuses.get(op) ?? [];
      list.push(status);
      statuses.set(op, list);
    },
    now,
  );
  for (const fs_ of fragments) {
    const consumer: OperationConsumer = {
      fragments: fs_,
      completeOnRestart: fs_.length === 1 && fs_[0] === 'c8y_Restart',
      timeoutSec: 60,
      deliver: (t) => delivered.push(t.operation),
    };
    tracker.addConsumer(consumer);
  }
  tracker.subscribed();
  return { tracker, statuses, delivered };
}

/** What CumulocityAgent.handle does with each decoded value, minus the I/O. */
function handle(run: Run, topic: string, payload: string): void {
  for (const i of decodeDownstream(topic, payload)) {
    if (i.kind === 'operation') run.tracker.accept(i.operation);
    else if (i.kind === 'bad-operation') {
      const op: Operation = { id: i.id, fragment: i.fragment, deviceId: i.deviceId, params: {} };
      encodeStatus({ operation: op, status: 'EXECUTING' }, op.id !== undefined ? 'id' : 'static', ROOT);
      encodeStatus({ operation: op, status: 'FAILED', reason: i.reason }, op.id !== undefined ? 'id' : 'static', ROOT);
    }
  }
}

const CONSUMER_SETS = fc.constantFrom<string[][]>(
  [],
  [['*']],
  [['c8y_Restart'], ['c8y_Command', 'c8y_Message'], ['*']],
  [['c8y_Command'], ['c8y_Firmware', 'c8y_SoftwareUpdate']],
  [['c8y_Restart']],
);

describe(`fuzz: inbound path decodeDownstream → OperationTracker (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-fuzz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: { mode: 'id' | 'static'; topic: string; valid: fc.Arbitrary<string> }[] = [
    { mode: 'static', topic: 's/ds', valid: validStaticPayload },
    { mode: 'id', topic: 'devicecontrol/notifications', valid: validJsonPayload },
  ];
  for (const c of cases) {
    it(`${c.mode} mode: publishes on ${c.topic} never throw and every EXECUTING gets one final status`, () => {
      let n = 0;
      fc.assert(
        fc.property(CONSUMER_SETS, fc.array(payloads(c.valid, false), { minLength: 1, maxLength: 4 }), (consumers, batch) => {
          n += 1;
          const markerFile = path.join(dir, `${c.mode}-${n}.json`);
          let clock = 1_000_000;
          const run = makeRun(c.mode, markerFile, consumers, () => clock);
          try {
            for (const payload of batch) {
              handle(run, c.topic, payload);
              clock += 10;
            }
            // A redeploy ends the run: open operations are FAILED, restart operations stay open.
            run.tracker.close('fuzz run ended');
            for (const [op, list] of run.statuses) {
              assert.equal(list[0], 'EXECUTING', `first status of ${short(op)}: ${list.join(',')}`);
              const finals = list.filter((s) => s !== 'EXECUTING');
              const restart = consumers.some((cs) => cs.length === 1 && cs[0] === 'c8y_Restart') && op.fragment === 'c8y_Restart';
              assert.ok(finals.length === 1 || (restart && finals.length === 0), `${short(op)}: ${list.join(',')}`);
            }
            for (const op of run.delivered) assert.ok(run.statuses.has(op), 'a delivered operation was reported EXECUTING');
          } finally {
            run.tracker.close('fuzz run ended');
            fs.rmSync(markerFile, { force: true });
          }
        }),
        params(),
      );
    });
  }

  it('a deeply nested c8y_Restart operation does not throw out of accept (it is FAILED instead)', () => {
    const markerFile = path.join(dir, 'deep.json');
    const run = makeRun('id', markerFile, [['c8y_Restart']], Date.now);
    try {
      for (const depth of [5_000, 10_000]) handle(run, 'devicecontrol/notifications', deepJsonOperation('c8y_Restart', depth, false));
    } finally {
      run.tracker.close('fuzz run ended');
      fs.rmSync(markerFile, { force: true });
    }
  });
});
