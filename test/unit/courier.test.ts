/**
 * The courier between the outbox and a real broker (aedes in-process, mqtt.js client):
 * batching, PUBACK before removal, order, statuses overtaking a telemetry backlog, release on a
 * lost session.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Aedes, { type Client, type PublishPacket } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { BATCH_RULE } from '../../dialects/cumulocity';
import { Courier } from '../../transport/courier';
import { DurableOutbox } from '../../transport/durable-outbox';

describe('Courier', () => {
  let broker: Aedes;
  let server: net.Server;
  let client: MqttClient;
  let dir: string;
  let outbox: DurableOutbox;
  const received: string[] = [];

  beforeEach(async () => {
    received.length = 0;
    broker = new Aedes();
    broker.on('publish', (p: PublishPacket, c: Client | null) => {
      if (c) received.push(p.payload.toString());
    });
    server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, { reconnectPeriod: 0 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-courier-'));
    outbox = new DurableOutbox(dir);
  });
  afterEach(async () => {
    await outbox.close();
    await client.endAsync(true);
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const publish = (topic: string, payload: string): Promise<void> => client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined);
  const idle = (c: Courier): Promise<void> => new Promise((r) => c.once('idle', r));

  it('delivers a backlog batched into few publishes, in order, and empties the store', async () => {
    for (let i = 0; i < 3000; i += 1)
      void outbox.put({ topic: 's/us', payload: `200,c8y_N,n,${i}`, priority: 'telemetry', batchable: true });
    await outbox.put({ topic: 's/us', payload: 'end', priority: 'telemetry', batchable: true });
    const c = new Courier(outbox, BATCH_RULE);
    const done = idle(c);
    c.attach(publish, ['session', 'control', 'telemetry']);
    await done;
    const lines = received.flatMap((p) => p.split('\n'));
    assert.equal(lines.length, 3001);
    assert.deepEqual(lines.slice(0, 3), ['200,c8y_N,n,0', '200,c8y_N,n,1', '200,c8y_N,n,2']);
    assert.ok(received.length < 30, `${received.length} publishes for 3001 records`);
    assert.ok(received.every((p) => Buffer.byteLength(p) <= BATCH_RULE.maxPayloadBytes));
    assert.equal(outbox.stats().pending + outbox.stats().inFlight, 0);
    c.dispose();
  });

  it('sends a status queued during a telemetry backlog before the rest of the backlog', async () => {
    for (let i = 0; i < 20_000; i += 1)
      void outbox.put({ topic: 's/us', payload: `200,c8y_N,n,${i},,2026-01-01T00:00:00.000Z`, priority: 'telemetry', batchable: true });
    await outbox.put({ topic: 's/us', payload: 'last', priority: 'telemetry', batchable: true });
    const c = new Courier(outbox, BATCH_RULE, { publishes: 4, bytes: 1 << 20 });
    c.attach(publish, ['session', 'control', 'telemetry']);
    await new Promise((r) => setTimeout(r, 5)); // the drain is under way
    await outbox.put({ topic: 's/us', payload: '506,4711', priority: 'control', batchable: true });
    const done = idle(c);
    await done;
    const lines = received.flatMap((p) => p.split('\n'));
    const status = lines.indexOf('506,4711');
    assert.ok(status > 0, 'status delivered');
    assert.ok(status < lines.length / 2, `status at ${status} of ${lines.length}: it must not wait for the backlog`);
    c.dispose();
  });

  it('puts in-flight records back when the session is lost, and sends them again in order', async () => {
    for (let i = 0; i < 50; i += 1) await outbox.put({ topic: 's/us', payload: `r${i}`, priority: 'control', batchable: false });
    const c = new Courier(outbox, BATCH_RULE, { publishes: 8, bytes: 1 << 20 });
    const never = (): Promise<void> => new Promise(() => undefined); // a broker that never answers
    c.attach(never, ['session', 'control', 'telemetry']);
    assert.equal(outbox.stats().inFlight, 8);
    c.detach();
    assert.equal(outbox.stats().inFlight, 0);
    const done = idle(c);
    c.attach(publish, ['session', 'control', 'telemetry']);
    await done;
    assert.deepEqual(
      received,
      Array.from({ length: 50 }, (_, i) => `r${i}`),
    );
    c.dispose();
  });

  it('keeps at most the window in flight: by publishes for small records, by bytes for big batches', async () => {
    const never = (): Promise<void> => new Promise(() => undefined);
    for (let i = 0; i < 50; i += 1) await outbox.put({ topic: 's/us', payload: `r${i}`, priority: 'control', batchable: false });
    const small = new Courier(outbox, BATCH_RULE, { publishes: 10, bytes: 1 << 20 });
    small.attach(never, ['session', 'control', 'telemetry']);
    assert.equal(small.inFlightCount, 10, 'the publish limit holds for small records');
    small.dispose();
    for (let i = 0; i < 50; i += 1) await outbox.put({ topic: 's/us', payload: 'x'.repeat(1000), priority: 'control', batchable: false });
    const big = new Courier(outbox, BATCH_RULE, { publishes: 1000, bytes: 4500 });
    big.attach(never, ['session', 'control', 'telemetry']);
    // 50 small ones (r0…r49, about 150 bytes) fit, then 1000-byte records until the budget is passed: the 5th crosses it.
    const records = outbox.stats().inFlight;
    assert.ok(records >= 50 + 4 && records <= 50 + 5, `${records} records in flight`);
    big.dispose();
  });

  it('paces a backlog after a reconnect, then sends live records at full speed', async () => {
    for (let i = 0; i < 150; i += 1) await outbox.put({ topic: 's/us', payload: `b${i}`, priority: 'control', batchable: false });
    const c = new Courier(outbox, BATCH_RULE);
    const started = Date.now();
    c.paceBacklog(100); // as the agent does: before the lanes open
    c.attach(publish, ['session', 'control', 'telemetry']);
    assert.equal(c.pacing, true);
    assert.ok(outbox.stats().inFlight <= 100, `a burst of at most one second's worth: ${outbox.stats().inFlight} in flight`);
    await idle(c);
    // 100 at once, then 100/s: the other 50 cannot be out before about half a second.
    assert.ok(Date.now() - started >= 450, `150 records at 100/s after a burst of 100 took only ${Date.now() - started} ms`);
    assert.equal(c.pacing, false, 'the backlog is out: no more pacing');
    const live = Date.now();
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i += 1) puts.push(outbox.put({ topic: 's/us', payload: `live${i}`, priority: 'control', batchable: false }));
    await Promise.all(puts);
    while (outbox.stats().pending + outbox.stats().inFlight > 0) await idle(c);
    // Paced, 200 records would need at least a second (burst 100, then 100/s).
    const took = Date.now() - live;
    assert.ok(took < 1000, `200 live records took ${took} ms: they were paced`);
    // The broker's publish event may trail its PUBACK by a tick.
    for (let i = 0; i < 100 && received.length < 350; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(received, [...Array.from({ length: 150 }, (_, i) => `b${i}`), ...Array.from({ length: 200 }, (_, i) => `live${i}`)]);
    c.dispose();
  });

  it('does not pace when nothing is queued at the reconnect, or with a rate of 0', async () => {
    const c = new Courier(outbox, BATCH_RULE);
    c.attach(publish, ['session', 'control', 'telemetry']);
    c.paceBacklog(10);
    assert.equal(c.pacing, false, 'nothing queued');
    c.detach();
    for (let i = 0; i < 40; i += 1) await outbox.put({ topic: 's/us', payload: `z${i}`, priority: 'control', batchable: false });
    c.paceBacklog(0);
    c.attach(publish, ['session', 'control', 'telemetry']);
    assert.equal(c.pacing, false, 'rate 0');
    assert.equal(outbox.stats().inFlight, 40);
    await idle(c);
    c.dispose();
  });
});
