/**
 * The gateway discovery node in the Node-RED runtime against a real broker and simulated pyaiot
 * nodes (test/sim-pyaiot/node.ts, like upstream's mqtt-test-node.py): discovery, updates, sets,
 * replay, and the bad input of issue 7 (malformed announcements, non-JSON values, names with
 * wildcards or slashes, a flood of fake devices, values of the wrong shape) ignored and counted.
 * Liveness at 120 s is tested with a controllable clock in test/integration/pyaiot-gateway.test.ts.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { PyaiotNodeSim } from '../sim-pyaiot/node';
import { helper, nextError, statusMatching, useSettings, type TestNode } from '../support/red';

const GATEWAY_NODE = require('../../nodes/gateway-discovery') as unknown;
const CONNECTION_NODE = require('../../nodes/connection') as unknown;

interface Out {
  topic: string;
  payload: { type: string; uid: string; endpoint?: string; data?: unknown };
  node: { id: string; uid: string; resources: string[]; values: Record<string, unknown> };
}

function collect(out: TestNode): Out[] {
  const got: Out[] = [];
  out.on('input', (m: Out) => got.push(m));
  return got;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gateway discovery node', { timeout: 60_000 }, () => {
  let broker: PyaiotBroker;
  let sims: PyaiotNodeSim[] = [];
  let raw: MqttClient;
  let cleanup: (() => void) | undefined;

  before(async () => {
    broker = await PyaiotBroker.start();
    raw = mqtt.connect(broker.url, { clientId: 'raw-tester' });
    await new Promise<void>((r) => raw.once('connect', () => r()));
    await helper.startServer();
  });
  after(async () => {
    await raw.endAsync(true);
    await helper.stopServer();
    await broker.stop();
  });
  afterEach(async () => {
    await helper.unload();
    for (const s of sims) await s.stop();
    sims = [];
    cleanup?.();
  });

  async function load(extra: Record<string, unknown> = {}): Promise<{ gw: TestNode; out: TestNode; got: Out[] }> {
    cleanup = useSettings().cleanup;
    await helper.load(
      [GATEWAY_NODE],
      [
        { id: 'gw', type: 'device-agent-gateway-discovery', broker: broker.url, wires: [['out']], ...extra },
        { id: 'out', type: 'helper' },
      ],
    );
    const gw = helper.getNode('gw')!;
    const out = helper.getNode('out')!;
    const got = collect(out);
    await until(() => broker.clients.has(`pyaiot-gateway-gw`), 5000, 'the gateway to connect');
    await until(() => broker.on('gateway/check').length > 0, 5000, 'the gateway to subscribe and send gateway/check');
    return { gw, out, got };
  }

  const sim = async (id: string, opts: Partial<Parameters<typeof PyaiotNodeSim.start>[0]> = {}): Promise<PyaiotNodeSim> => {
    const s = await PyaiotNodeSim.start({ url: broker.url, id, temperatureMs: 200, pressureMs: 0, checkMs: 60_000, ...opts });
    sims.push(s);
    return s;
  };

  it("G1–G3: discovers nodes, asks for resources and values, and emits new/update in pyaiot's shapes", async () => {
    const { gw, got } = await load();
    await sim('nr-a');
    await sim('nr-b');
    await until(
      () => got.filter((m) => m.payload.type === 'update' && m.payload.endpoint === 'temperature').length >= 4,
      10_000,
      'temperature updates',
    );
    const a = got.filter((m) => m.node.id === 'nr-a');
    assert.deepEqual(
      a.slice(0, 3).map((m) => [m.topic, m.payload.type, m.payload.endpoint, m.payload.data]),
      [
        ['pyaiot/new', 'new', undefined, undefined],
        ['pyaiot/update', 'update', 'id', 'nr-a'],
        ['pyaiot/update', 'update', 'protocol', 'MQTT'],
      ],
    );
    assert.equal(a[0]!.payload.uid, a[1]!.payload.uid);
    assert.deepEqual(a[0]!.payload, { type: 'new', uid: a[0]!.payload.uid, dst: 'all' });
    const last = a.at(-1)!;
    assert.deepEqual(last.node.resources, ['name', 'os', 'led', 'temperature', 'pressure']);
    assert.equal(last.node.values['os'], 'riot');
    assert.equal(last.node.values['temperature'], '21.5°C');
    assert.deepEqual(
      broker.on('gateway/nr-a/discover').map((s) => s.payload),
      ['resources', 'values'],
    );
    for (const s of broker.seen.filter((x) => x.clientId === 'pyaiot-gateway-gw')) {
      assert.equal(s.qos, 1);
      assert.equal(s.retain, false);
    }
    await statusMatching(gw, (s) => s['fill'] === 'green' && s['text'] === 'gateway-discovery.status.devices');
  });

  it('G9: a set request reaches the device as raw text and its echo comes back as an update', async () => {
    const { gw, got } = await load();
    const a = await sim('nr-a', { temperatureMs: 0 });
    await until(() => got.some((m) => m.node.values['led'] === '0'), 5000, 'led value');
    const uid = got[0]!.payload.uid;
    gw.receive({ payload: { uid, endpoint: 'led', payload: '1' } });
    await until(() => got.some((m) => m.payload.endpoint === 'led' && m.payload.data === '1'), 5000, 'led echo');
    assert.deepEqual(a.sets, [['led', '1']]);
    assert.equal(broker.on('gateway/nr-a/led/set').at(-1)?.payload, '1');
    gw.receive({ payload: { id: 'nr-a', endpoint: 'led', payload: 0 } });
    await until(() => a.sets.length === 2, 5000, 'second set');
    assert.deepEqual(a.sets[1], ['led', '0']);
    const err = nextError(gw);
    gw.receive({ payload: { uid: 'no-such-uid', endpoint: 'led', payload: '1' } });
    assert.match(await err, /gateway-discovery.errors.set/);
    const err2 = nextError(gw);
    gw.receive({ payload: { uid, endpoint: 'a/#', payload: '1' } });
    await err2;
    assert.equal(broker.seen.filter((s) => s.topic.includes('#')).length, 0);
  });

  it('replay sends new and every cached value again', async () => {
    const { gw, got } = await load();
    await sim('nr-a', { temperatureMs: 0 });
    await until(() => got.some((m) => m.node.values['pressure'] !== undefined), 5000, 'all values');
    const n = got.length;
    gw.receive({ topic: 'replay', payload: '' });
    await until(() => got.length >= n + 8, 5000, 'replay');
    assert.deepEqual(
      got.slice(n).map((m) => m.payload.endpoint ?? m.payload.type),
      ['new', 'id', 'protocol', 'name', 'os', 'led', 'temperature', 'pressure'],
    );
  });

  it('bad input is ignored and counted, never a crash; good traffic goes on', async () => {
    const { gw, got } = await load();
    await sim('nr-a', { temperatureMs: 0, resources: ['led', 'temperature'] });
    await until(() => got.some((m) => m.node.values['temperature'] !== undefined), 5000, 'discovered');
    const before = got.length;
    const bad: Array<[string, string]> = [
      ['node/check', 'not json'],
      ['node/check', '{"id": 7}'],
      ['node/check', '["nr-x"]'],
      ['node/check', '{"id": "a/b"}'],
      ['node/check', '{"id": "+"}'],
      ['node/nr-a/temperature', 'not json'],
      ['node/nr-a/temperature', '[1,2]'],
      ['node/nr-a/temperature', '"x"'],
      ['node/nr-a/temperature', '{"val": 1}'],
      ['node/nr-a/unlisted', '{"value": 1}'],
      ['node/nr-zz/resources', '["a"]'],
      ['node/nr-a/resources', '{"not": "a list"}'],
      ['node/nr-a/resources', '["led", "temperature", "id", "check", "x+"]'],
    ];
    for (const [topic, payload] of bad) await raw.publishAsync(topic, payload, { qos: 1 });
    await statusMatching(gw, (s) => s['fill'] === 'yellow', 5000);
    // The reserved and wildcard names were not listed; the good ones still are.
    await raw.publishAsync('node/nr-a/temperature', '{"value": "23°C"}', { qos: 1 });
    await until(() => got.some((m) => m.payload.data === '23°C'), 5000, 'a good value after the bad ones');
    const after = got.slice(before);
    assert.ok(
      after.every((m) => m.payload.type === 'update' && ['temperature', 'led'].includes(m.payload.endpoint ?? '')),
      JSON.stringify(after.map((m) => m.payload)),
    );
    assert.deepEqual(after.at(-1)!.node.resources, ['led', 'temperature']);
    assert.ok(!got.some((m) => m.node.id === 'a/b' || m.node.id === '+'));
  });

  it('a flood of fake devices fills the table to its cap, the status says full, real ones are known', async () => {
    const { gw, got } = await load({ maxNodes: '20' });
    await sim('nr-real', { temperatureMs: 0 });
    await until(() => got.some((m) => m.node.id === 'nr-real'), 5000, 'the real node');
    for (let i = 0; i < 500; i += 1) raw.publish('node/check', JSON.stringify({ id: `fake-${i}` }), { qos: 0 });
    await statusMatching(gw, (s) => s['fill'] === 'yellow' && s['text'] === 'gateway-discovery.status.full', 10_000);
    await until(() => new Set(got.filter((m) => m.payload.type === 'new').map((m) => m.node.id)).size === 20, 5000, '20 nodes');
    assert.equal(new Set(got.map((m) => m.node.id)).size, 20);
  });

  it('a generic announce topic discovers other devices; their JSON keys are values', async () => {
    const { got } = await load({ announce: 'devices/+/announce' });
    await raw.publishAsync('devices/th-1/announce', '{"temperature": 19.5, "a/b": 1}', { qos: 1 });
    await until(() => got.some((m) => m.payload.endpoint === 'temperature'), 5000, 'generic value');
    const m = got.find((x) => x.payload.endpoint === 'protocol')!;
    assert.equal(m.payload.data, 'generic');
    assert.equal(broker.on('gateway/th-1/discover').length, 0);
    assert.deepEqual(got.at(-1)!.node.resources, ['temperature']);
  });

  it('a relay to a connection that is not Cumulocity is refused with an error; discovery still works', async () => {
    cleanup = useSettings().cleanup;
    await helper.load(
      [CONNECTION_NODE, GATEWAY_NODE],
      [
        { id: 'py', type: 'device-agent-connection', dialect: 'pyaiot', pyUrl: broker.url, pyNodeId: 'self' },
        { id: 'gw', type: 'device-agent-gateway-discovery', broker: broker.url, relay: 'py', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const gw = helper.getNode('gw')!;
    const got = collect(helper.getNode('out')!);
    await sim('nr-r', { temperatureMs: 0 });
    // Our own pyaiot connection (node id "self") is discovered too: Node-RED is node and gateway at once.
    await until(() => got.some((m) => m.node.id === 'nr-r') && got.some((m) => m.node.id === 'self'), 5000, 'both discovered');
    // Said once, in the constructor (the test helper records every node.error call).
    const calls = (gw as unknown as { error: { args: unknown[][] } }).error.args;
    assert.ok(
      calls.some((a) => String(a[0]).includes('gateway-discovery.errors.relay')),
      JSON.stringify(calls.map(String)),
    );
  });

  it('refuses bad settings with a red status and an error', async () => {
    cleanup = useSettings().cleanup;
    await helper.load(
      [GATEWAY_NODE],
      [{ id: 'gw', type: 'device-agent-gateway-discovery', broker: 'http://x', clientId: 'client-id', wires: [] }],
    );
    const gw = helper.getNode('gw')!;
    const err = nextError(gw);
    gw.receive({ payload: {} });
    assert.match(await err, /gateway-discovery.errors.config/);
  });
});
