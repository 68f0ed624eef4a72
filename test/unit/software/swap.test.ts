import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StepLog } from '../../../devices/software/interface';
import { dropBackup, swapBack, swapIn, type SwapPlan } from '../../../devices/software/swap';
import { treeHash } from '../../support/archives';

function steps(): StepLog {
  const data: Record<string, unknown> = {};
  return { data, save: (c) => Object.assign(data, c) };
}

describe('swap by rename', () => {
  let tmp: string;
  let plan: SwapPlan;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'da-swap-'));
    plan = {
      live: path.join(tmp, 'live'),
      staging: path.join(tmp, 'w', 'staging'),
      backup: path.join(tmp, 'w', 'backup'),
      trash: path.join(tmp, 'w', 'trash'),
      items: ['app', 'conf.json', 'new-only'],
    };
    fs.mkdirSync(path.join(plan.live, 'app'), { recursive: true });
    fs.writeFileSync(path.join(plan.live, 'app', 'v'), 'old');
    fs.writeFileSync(path.join(plan.live, 'conf.json'), '{"v":1}');
    fs.mkdirSync(path.join(plan.staging, 'app'), { recursive: true });
    fs.writeFileSync(path.join(plan.staging, 'app', 'v'), 'new');
    fs.writeFileSync(path.join(plan.staging, 'conf.json'), '{"v":2}');
    fs.writeFileSync(path.join(plan.staging, 'new-only'), 'n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('swaps in, is idempotent, and drops the backup on commit', () => {
    const s = steps();
    swapIn(plan, s);
    swapIn(plan, s);
    assert.equal(fs.readFileSync(path.join(plan.live, 'app', 'v'), 'utf8'), 'new');
    assert.equal(fs.readFileSync(path.join(plan.live, 'new-only'), 'utf8'), 'n');
    dropBackup(plan);
    assert.ok(!fs.existsSync(path.join(tmp, 'w')), 'backup, staging and their emptied parent removed');
  });

  it('restores the old tree byte for byte after every prefix of the renames', () => {
    const before = treeHash(plan.live);
    // The renames swapIn makes, in order; a crash can stop after any of them.
    const renames: [string, string][] = [
      [path.join(plan.live, 'app'), path.join(plan.backup, 'app')],
      [path.join(plan.staging, 'app'), path.join(plan.live, 'app')],
      [path.join(plan.live, 'conf.json'), path.join(plan.backup, 'conf.json')],
      [path.join(plan.staging, 'conf.json'), path.join(plan.live, 'conf.json')],
      [path.join(plan.staging, 'new-only'), path.join(plan.live, 'new-only')],
    ];
    const pristine = path.join(tmp, 'pristine');
    for (const d of ['live', 'w']) fs.cpSync(path.join(tmp, d), path.join(pristine, d), { recursive: true });
    for (let n = 0; n <= renames.length; n += 1) {
      for (const d of ['live', 'w']) {
        fs.rmSync(path.join(tmp, d), { recursive: true, force: true });
        fs.cpSync(path.join(pristine, d), path.join(tmp, d), { recursive: true });
      }
      const s = steps();
      s.save({ existed: { app: true, 'conf.json': true, 'new-only': false } });
      fs.mkdirSync(plan.backup, { recursive: true });
      for (const [from, to] of renames.slice(0, n)) fs.renameSync(from, to);
      swapBack(plan, s);
      swapBack(plan, s); // idempotent
      assert.equal(treeHash(plan.live), before, `after ${n} renames`);
      assert.ok(!fs.existsSync(plan.staging) && !fs.existsSync(plan.trash), 'staging and trash removed');
    }
  });

  it('rolls back nothing when the swap never started', () => {
    const before = treeHash(plan.live);
    swapBack(plan, steps());
    assert.equal(treeHash(plan.live), before);
    assert.ok(!fs.existsSync(plan.staging));
  });
});
