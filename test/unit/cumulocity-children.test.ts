// The Cumulocity child relay (agent/cumulocity-children.ts): which pyaiot values become
// measurements, and the exact SmartREST records it queues, encoded by the real dialect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CumulocityChildRelay, numericValue, type ChildSink } from '../../agent/cumulocity-children';
import * as c8y from '../../dialects/cumulocity';
import type { NodeInfo } from '../../dialects/pyaiot';
import type { Outbound, Result } from '../../dialects/types';

/** Collects the records an agent would put into its outbox. */
class RecordingSink implements ChildSink {
  readonly records: Outbound[] = [];
  send(rec: Result<Outbound>): Promise<void> {
    if (!rec.ok) return Promise.reject(new Error(rec.error));
    this.records.push(rec.value);
    return Promise.resolve();
  }
  sendMeasurement(m: Parameters<ChildSink['sendMeasurement']>[0]): Promise<void> {
    return this.send(c8y.encodeMeasurement(m));
  }
  sendEvent(e: Parameters<ChildSink['sendEvent']>[0]): Promise<void> {
    return this.send(c8y.encodeEvent(e));
  }
  lines(): string[] {
    return this.records.map((r) => `${r.topic} ${r.payload.replace(/,[^,]*Z$/, ',<time>')}`);
  }
}

const info = (id: string, values: Record<string, unknown> = {}): NodeInfo => ({
  id,
  uid: 'u',
  protocol: 'MQTT',
  firstSeen: 0,
  lastSeen: 0,
  resources: Object.keys(values),
  values,
});

describe('cumulocity child relay', () => {
  it('numericValue: numbers, dashboard strings with units, booleans; texts are not numbers', () => {
    assert.deepEqual(numericValue(22.5), { value: 22.5 });
    assert.deepEqual(numericValue('21°C'), { value: 21, unit: '°C' });
    assert.deepEqual(numericValue('1003hPa'), { value: 1003, unit: 'hPa' });
    assert.deepEqual(numericValue('45%'), { value: 45, unit: '%' });
    assert.deepEqual(numericValue('-3.5e2 mV'), { value: -350, unit: 'mV' });
    assert.deepEqual(numericValue('1'), { value: 1 });
    assert.deepEqual(numericValue(true), { value: 1 });
    for (const t of ['riot', 'Node-RED node', '', '{"lat": 1, "lng": 2}', '12,5', Number.NaN, null, [1], { a: 1 }, '1.2.3'])
      assert.equal(numericValue(t), undefined, JSON.stringify(t));
  });

  it('registers a child once (101 on s/us, 117 on s/us/<child>), values as measurements, texts skipped', async () => {
    const sink = new RecordingSink();
    let now = 1_000_000;
    const r = new CumulocityChildRelay(sink, {
      rootId: 'gw',
      type: 'c8y_PyaiotNode',
      requiredIntervalMin: 3,
      heartbeatSec: 60,
      now: () => now,
    });
    await r.appear(info('nr1'));
    await r.appear(info('nr1'));
    assert.equal(await r.value(info('nr1'), 'temperature', '21.5°C'), true);
    assert.equal(await r.value(info('nr1'), 'os', 'riot'), false);
    assert.equal(await r.value(info('nr1'), 'id', 'nr1'), false);
    assert.deepEqual(sink.lines(), [
      's/us 101,gw-nr1,pyaiot nr1,c8y_PyaiotNode',
      's/us/gw-nr1 117,3',
      's/us/gw-nr1 200,pyaiot,temperature,21.5,°C,<time>',
    ]);
    assert.equal(r.skipped, 1);
    // Heartbeat only when nothing else went to the child within the period.
    await r.alive(info('nr1'));
    assert.equal(sink.records.length, 3);
    now += 61_000;
    await r.alive(info('nr1'));
    assert.equal(sink.lines().at(-1), 's/us/gw-nr1 125');
    await r.out(info('nr1'), 120);
    assert.match(sink.lines().at(-1)!, /^s\/us 400,c8y_PyaiotNodeLost,pyaiot node nr1 \(child gw-nr1\) sent no node\/check for 120 s/);
  });

  it('refuses a node id Cumulocity cannot take as a child id', async () => {
    const r = new CumulocityChildRelay(new RecordingSink(), { rootId: 'gw', type: 't', requiredIntervalMin: 3, heartbeatSec: 60 });
    await assert.rejects(r.appear(info('a:b')), /cannot be a child device/);
  });
});
