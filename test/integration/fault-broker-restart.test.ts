/**
 * Issue 4 fault test (reliability.md R3, short profile): the broker goes down and comes back
 * several times during a steady stream of measurements; every record arrives, in order — at the
 * Cumulocity simulator, and at a real mosquitto (plain MQTT, counted by a raw subscriber on
 * `s/us`) where mosquitto is installed.
 */
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from '../../dialects/cumulocity';
import { CumulocitySimulator } from '../sim/simulator';
import { waitForChange } from '../sim/wait';
import { findMosquitto, Mosquitto } from '../support/mosquitto';
import { ALL_NODES, connectionNode, helper, sleep, statusMatching, useSettings, type TestNode } from '../support/red';

const DEV = 'rpi-restart';
const RESTARTS = 3;
const STREAM_EVERY_MS = 50;
/**
 * Sessions stay up longer than 10 s between restarts: three sessions in 5 minutes that each end
 * within 10 s of CONNACK are, by cumulocity.md §1.2, another client taking the device id over,
 * and the agent then waits 5 minutes (see the todo test below).
 */
const UP_MS = 11_000;
const DOWN_MS = 1000;

/** Sends the measurement node 1, 2, 3 … every `everyMs`. */
function counterStream(node: TestNode, everyMs: number): { stop: () => number } {
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    node.receive({ payload: n });
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return n;
    },
  };
}

/** Asserts every value 1..n is present and first arrivals are in order; returns the duplicate count. */
function assertComplete(values: readonly number[], n: number): number {
  const seen = new Set<number>();
  const order: number[] = [];
  for (const v of values) {
    if (seen.has(v)) continue;
    seen.add(v);
    order.push(v);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((v) => !seen.has(v));
  assert.deepEqual(missing, [], `${missing.length} of ${n} records lost`);
  assert.deepEqual(
    order,
    Array.from({ length: n }, (_, i) => i + 1),
    'first arrivals in order',
  );
  return values.length - n;
}

function hasAll(values: readonly number[], n: number): boolean {
  const seen = new Set(values);
  for (let i = 1; i <= n; i += 1) if (!seen.has(i)) return false;
  return true;
}

/**
 * Restarts the broker `RESTARTS` times during the stream, `upMs` after each reconnect; waits for
 * the node to leave green while it is down and to be green again after it is back. Returns the
 * longest reconnect.
 */
async function restartCycles(m: TestNode, down: () => Promise<void>, up: () => Promise<void>, upMs = UP_MS): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < RESTARTS; i += 1) {
    await sleep(upMs);
    const left = statusMatching(m, (s) => s['fill'] !== 'green', 15_000);
    await down();
    await left;
    await sleep(DOWN_MS);
    const back = statusMatching(m, (s) => s['fill'] === 'green', 20_000);
    const at = Date.now();
    await up();
    await back;
    slowest = Math.max(slowest, Date.now() - at);
  }
  return slowest;
}

/** Counter values of `200,c8y_Counter,n,<value>,…` lines seen on `s/us`. */
class Counter extends EventEmitter {
  readonly values: number[] = [];
  add(payload: string): void {
    const records = decodePayload(payload);
    if (!records.ok) return;
    for (const [id, fragment, , value] of records.value) {
      if (id === '200' && fragment === 'c8y_Counter') this.values.push(Number(value));
    }
    this.emit('change');
  }
}

const measurementNode = {
  id: 'm',
  type: 'device-agent-measurement',
  connection: 'conn',
  fragment: 'c8y_Counter',
  series: 'n',
  wires: [[]],
};

describe('broker restarts during a steady stream', { timeout: 180_000 }, () => {
  let cleanup: (() => void) | undefined;
  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(() => {
    cleanup = useSettings().cleanup;
  });
  afterEach(() => cleanup?.());

  it(`loses nothing across ${RESTARTS} restarts of the Cumulocity simulator`, async (t) => {
    const sim = await CumulocitySimulator.start();
    try {
      sim.addDeviceUser(DEV, 'pw');
      const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
      await helper.load(ALL_NODES, [node, measurementNode], credentials);
      const m = helper.getNode('m');
      assert.ok(m);
      await statusMatching(m, (s) => s['fill'] === 'green', 10_000);
      const values = (): number[] =>
        sim.measurements.filter((x) => x.deviceId === DEV && x.series[0]?.fragment === 'c8y_Counter').map((x) => x.series[0]?.value ?? NaN);
      const stream = counterStream(m, STREAM_EVERY_MS);
      let n: number;
      let slowest: number;
      try {
        slowest = await restartCycles(
          m,
          () => sim.pause(),
          () => sim.resume(),
        );
        await sleep(1000);
      } finally {
        n = stream.stop();
      }
      await sim.waitFor(() => hasAll(values(), n), 30_000, `all ${n} records`);
      const dups = assertComplete(values(), n);
      t.diagnostic(`${n} records, ${dups} duplicates, slowest reconnect ${slowest} ms after the broker was back`);
    } finally {
      await helper.unload();
      await sim.stop();
    }
  });

  const bin = findMosquitto();
  it(
    `loses nothing across ${RESTARTS} restarts of mosquitto (plain MQTT, counted by a subscriber on s/us)`,
    { skip: bin === undefined ? 'mosquitto is not installed (apt-get install mosquitto)' : false },
    async (t) => {
      assert.ok(bin !== undefined);
      const mq = await Mosquitto.start(bin);
      const counter = new Counter();
      let sub: MqttClient | undefined;
      try {
        // A persistent session: what arrives while the counter is reconnecting waits in the broker.
        sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mq.port}`, { clientId: 'fault-counter', clean: false, reconnectPeriod: 100 });
        sub.on('message', (_topic, payload: Buffer) => counter.add(payload.toString('utf8')));
        sub.on('error', () => undefined); // refused while mosquitto restarts; it reconnects
        await sub.subscribeAsync('s/us', { qos: 1 });

        const { node, credentials } = connectionNode({ port: mq.port, deviceId: DEV });
        await helper.load(ALL_NODES, [node, measurementNode], credentials);
        const m = helper.getNode('m');
        assert.ok(m);
        await statusMatching(m, (s) => s['fill'] === 'green', 10_000);
        const stream = counterStream(m, STREAM_EVERY_MS);
        let n: number;
        let slowest: number;
        try {
          slowest = await restartCycles(
            m,
            () => mq.pause(),
            () => mq.resume(),
          );
          await sleep(1000);
        } finally {
          n = stream.stop();
        }
        await waitForChange(counter, () => hasAll(counter.values, n), 30_000, `all ${n} records at the subscriber`).catch(
          (err: unknown) => {
            throw new Error(`${String(err)}\nmosquitto log:\n${mq.tail()}`);
          },
        );
        const dups = assertComplete(counter.values, n);
        t.diagnostic(`${n} records, ${dups} duplicates, slowest reconnect ${slowest} ms after mosquitto was back`);
      } finally {
        await helper.unload();
        await sub?.endAsync(true);
        await mq.stop();
      }
    },
  );
  it('three quick broker restarts (sessions up 2 s) are not named a takeover', async () => {
    const sim = await CumulocitySimulator.start();
    try {
      sim.addDeviceUser(DEV, 'pw');
      const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
      await helper.load(ALL_NODES, [node, measurementNode], credentials);
      const m = helper.getNode('m');
      assert.ok(m);
      await statusMatching(m, (s) => s['fill'] === 'green', 10_000);
      for (let i = 0; i < RESTARTS; i += 1) {
        await sleep(2000);
        const left = statusMatching(m, (s) => s['fill'] !== 'green', 15_000);
        await sim.pause();
        const down = await left;
        assert.notEqual(down['text'], 'connection.status.takeover', `restart ${i + 1} taken for a takeover`);
        await sleep(DOWN_MS);
        const next = statusMatching(m, (s) => s['fill'] === 'green' || s['text'] === 'connection.status.takeover', 20_000);
        await sim.resume();
        const st = await next;
        assert.notEqual(st['text'], 'connection.status.takeover', `restart ${i + 1} taken for a takeover`);
      }
    } finally {
      await helper.unload();
      await sim.stop();
    }
  });
});
