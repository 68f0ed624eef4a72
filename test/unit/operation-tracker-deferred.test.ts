// Deferred operations (agent/operations.ts `defer`): a consumer that reports itself, also after a
// restart — the software update node's journal decides, never the restart alone.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OperationTracker, type OperationConsumer, type TrackedOperation } from '../../agent/operations';
import type { Operation, OperationStatus } from '../../dialects/types';

interface Sent {
  fragment: string;
  id: string | undefined;
  status: OperationStatus;
  reason?: string | undefined;
}

describe('operation tracker: deferred operations', () => {
  let dir: string;
  let markerFile: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-defer-'));
    markerFile = path.join(dir, 'operations.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function tracker(now: () => number = Date.now): { t: OperationTracker; sent: Sent[]; got: TrackedOperation[] } {
    const sent: Sent[] = [];
    const got: TrackedOperation[] = [];
    const t = new OperationTracker(
      { mode: 'id', markerFile, restartTimeoutSec: 3600, duplicateWindowMs: 30_000 },
      (op, status, reason) => sent.push({ fragment: op.fragment, id: op.id, status, reason }),
      now,
    );
    const c: OperationConsumer = {
      fragments: ['c8y_SoftwareUpdate'],
      completeOnRestart: false,
      timeoutSec: 60,
      deliver: (x) => got.push(x),
    };
    t.addConsumer(c);
    return { t, sent, got };
  }
  const op: Operation = { id: '17', fragment: 'c8y_SoftwareUpdate', deviceId: 'd', params: [] };

  it('keeps a deferred operation over a restart and lets the consumer report it then', () => {
    const a = tracker();
    a.t.accept(op);
    assert.equal(a.t.defer('17', 600), undefined);
    a.t.close('redeployed');
    assert.deepEqual(
      a.sent.map((s) => s.status),
      ['EXECUTING'],
      'not failed on close',
    );
    const b = tracker(); // the next process
    assert.deepEqual(b.t.recoverMarkers(), ['c8y_SoftwareUpdate'], 'no 507 for this fragment');
    assert.deepEqual(b.sent, [], 'no SUCCESSFUL just because a restart happened');
    assert.equal(b.t.report('17', 'FAILED', 'E_INTERRUPTED: rolled back'), undefined);
    assert.deepEqual(b.sent, [{ fragment: 'c8y_SoftwareUpdate', id: '17', status: 'FAILED', reason: 'E_INTERRUPTED: rolled back' }]);
    assert.ok(!fs.existsSync(markerFile), 'marker dropped once reported');
  });

  it('fails a deferred operation whose deadline passed while Node-RED was down', () => {
    const a = tracker();
    a.t.accept(op);
    a.t.defer('17', 10);
    a.t.close('stopped');
    const b = tracker(() => Date.now() + 60_000);
    b.t.recoverMarkers();
    assert.equal(b.sent[0]?.status, 'FAILED');
    assert.match(b.sent[0]?.reason ?? '', /no outcome reported within 10 s/);
  });

  it('replaces the consumer timeout and fails with its own reason when nothing is reported', async () => {
    const a = tracker();
    a.t.accept(op);
    a.t.defer('17', 0.05);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(a.sent.at(-1)?.status, 'FAILED');
    assert.match(a.sent.at(-1)?.reason ?? '', /no outcome reported/);
    a.t.close('done');
  });

  it('refuses to defer an operation that is not open', () => {
    assert.match(tracker().t.defer('nope', 10) ?? '', /not open/);
  });
});
