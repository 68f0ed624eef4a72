/**
 * Liveness of the pyaiot gateway (pyaiot.md §4, §5, G7, G8, G10) with a controllable clock and
 * timers, against a real broker and simulated nodes: no test waits 120 s. The clock only moves
 * when the test says so; MQTT traffic runs in real time.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { PyaiotGateway } from '../../agent/pyaiot-gateway';
import type { Emitted } from '../../dialects/pyaiot';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { PyaiotNodeSim } from '../sim-pyaiot/node';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A clock and interval timers that move only when told. */
class FakeTime {
  now = 1_000_000;
  private timers: Array<{ every: number; next: number; fn: () => void }> = [];
  every = (ms: number, fn: () => void): (() => void) => {
    const t = { every: ms, next: this.now + ms, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  };
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.every;
      due.fn();
    }
    this.now = end;
  }
}

describe('pyaiot gateway liveness (controllable clock)', { timeout: 60_000 }, () => {
  let broker: PyaiotBroker;
  const time = new FakeTime();
  let gw: PyaiotGateway;
  const out: Emitted[] = [];
  let a: PyaiotNodeSim;
  let b: PyaiotNodeSim;

  before(async () => {
    broker = await PyaiotBroker.start();
    let n = 0;
    gw = new PyaiotGateway(
      { url: broker.url, clientId: 'gw-test', keepaliveSec: 60, maxTimeSec: 120, checkPeriodSec: 30, maxNodes: 100, maxResources: 16 },
      { now: () => time.now, every: time.every, newUid: () => `uid-${(n += 1)}` },
    );
    gw.on('message', (e: Emitted) => out.push(e));
    gw.start();
    await until(() => gw.status.state === 'connected', 5000, 'the gateway to connect');
    // The simulated nodes check in only when told (a period longer than the test).
    a = await PyaiotNodeSim.start({ url: broker.url, id: 'nr-a', checkMs: 3_600_000, temperatureMs: 0, pressureMs: 0 });
    b = await PyaiotNodeSim.start({ url: broker.url, id: 'nr-b', checkMs: 3_600_000, temperatureMs: 0, pressureMs: 0 });
    await until(
      () => gw.table.get('nr-a')?.values['led'] !== undefined && gw.table.get('nr-b')?.values['led'] !== undefined,
      5000,
      'discovery',
    );
  });

  after(async () => {
    await a.stop();
    await b.stop();
    await gw.stop();
    await broker.stop();
  });

  const outs = (): string[] => out.filter((e) => e.payload.type === 'out').map((e) => e.node.id);

  it('G10: gateway/check every 30 s of the clock, empty', () => {
    const before = broker.on('gateway/check').length;
    time.advance(90_000 - 1);
    return until(() => broker.on('gateway/check').length === before + 2, 2000, 'two checks').then(() => {
      assert.ok(broker.on('gateway/check').every((s) => s.payload === '' && s.qos === 1 && !s.retain));
    });
  });

  it('G7: values do not keep a node alive; only node/check does; removal after more than 120 s', async () => {
    // Start both at a known time: both check in now.
    time.advance(1);
    const t0 = time.now;
    a.check();
    b.check();
    await until(() => gw.table.get('nr-a')!.lastSeen === t0 && gw.table.get('nr-b')!.lastSeen === t0, 2000, 'checks at t0');
    // b keeps publishing values but never checks; a checks every 30 s.
    for (let s = 30; s <= 150; s += 30) {
      time.advance(30_000);
      a.check();
      b.value('led');
      const at = time.now;
      await until(() => gw.table.get('nr-a')!.lastSeen === at, 2000, `a's check at ${s} s`);
      if (s === 120) assert.deepEqual(outs(), [], 'exactly 120 s after its last check b is still there');
    }
    // At 150 s b is gone (swept at 121 s by the 1 s timer), a is not.
    assert.deepEqual(outs(), ['nr-b']);
    const bOut = out.find((e) => e.payload.type === 'out')!;
    assert.equal(bOut.payload.uid, 'uid-2');
    assert.ok(gw.table.get('nr-a'));
    assert.equal(gw.table.get('nr-b'), undefined);
  });

  it('G8: a removed node that checks in again gets a new uid and a full rediscovery', async () => {
    const discovers = broker.on('gateway/nr-b/discover').length;
    b.check();
    await until(() => gw.table.get('nr-b')?.values['led'] !== undefined, 5000, 'rediscovery');
    const news = out.filter((e) => e.payload.type === 'new' && e.node.id === 'nr-b');
    assert.deepEqual(
      news.map((e) => e.payload.uid),
      ['uid-2', 'uid-3'],
    );
    assert.deepEqual(
      broker
        .on('gateway/nr-b/discover')
        .slice(discovers)
        .map((s) => s.payload),
      ['resources', 'values'],
    );
  });

  it('our own broker outage removes nobody: no sweep while down, a fresh max time after', async () => {
    const outsBefore = outs().length;
    a.check();
    b.check();
    const t = time.now;
    await until(() => gw.table.get('nr-a')!.lastSeen >= t && gw.table.get('nr-b')!.lastSeen >= t, 2000, 'checks');
    // Simulate the session dropping: while down, sweeps are skipped even far past max time.
    const s = (gw as unknown as { session: { drop(): void } }).session;
    s.drop();
    await until(() => gw.status.state === 'disconnected', 5000, 'down');
    time.advance(600_000);
    assert.equal(outs().length, outsBefore);
    await until(() => gw.status.state === 'connected', 10_000, 'back up');
    time.advance(1000);
    assert.equal(outs().length, outsBefore, 'everyone got a fresh max time on reconnect');
    assert.ok(gw.table.get('nr-a') && gw.table.get('nr-b'));
  });
});
