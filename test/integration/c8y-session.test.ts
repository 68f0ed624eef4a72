/**
 * The connection node against the Cumulocity simulator: start-up sequence (cumulocity.md §5),
 * reconnect with resubscribe and 500, offline queueing, CONNACK handling, takeover, last will.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, sleep, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-0001';

function upLines(sim: CumulocitySimulator, deviceId: string): string[] {
  return sim.received.filter((r) => r.clientId === deviceId && r.topic === 's/us').flatMap((r) => r.payload.toString('utf8').split('\n'));
}

describe('connection node session (Cumulocity simulator)', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let cleanup: () => void;

  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    cleanup = useSettings().cleanup;
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    cleanup();
  });

  it('runs the start-up sequence in order: s/e, 100, operation topic, 110/122/114, 500', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, deviceName: 'Pi one', deviceType: 'c8y_Pi' });
    const flow = [
      node,
      { id: 'op1', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Restart', timeout: '60', wires: [[]] },
      { id: 'op2', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Command, c8y_Message', timeout: '60', wires: [[]] },
      { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] },
    ];
    await helper.load(ALL_NODES, flow, credentials);
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green');
    const lines = upLines(sim, DEV);
    assert.equal(lines[0], '100,Pi one,c8y_Pi');
    const i114 = lines.findIndex((l) => l.startsWith('114,'));
    const i500 = lines.indexOf('500');
    assert.ok(i114 > 0 && i500 > i114, `114 before 500: ${lines.join(' | ')}`);
    assert.deepEqual(lines[i114]!.split(',').slice(1).sort(), ['c8y_Command', 'c8y_Message', 'c8y_Restart']);
    assert.ok(lines.some((l) => l.startsWith('122,node-red-contrib-device-agent,')));
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations.slice().sort(), ['c8y_Command', 'c8y_Message', 'c8y_Restart']);
    const subs = sim.subscriptions(DEV);
    assert.ok(subs.includes('s/e') && subs.includes('devicecontrol/notifications'));
    assert.ok(!subs.includes('s/ds'), 'id mode must not also subscribe s/ds');
    // s/e is subscribed before 100 is published; the operation topic after it.
    const conn = sim.connections.filter((c) => c.clientId === DEV && c.returnCode === 0);
    assert.equal(conn.length, 1);
  });

  it('resubscribes and sends 500 again after the broker drops the connection', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      ALL_NODES,
      [node, { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] }],
      credentials,
    );
    const m = helper.getNode('m')!;
    await statusMatching(m, (s) => s['fill'] === 'green');
    sim.kick(DEV);
    await statusMatching(m, (s) => s['fill'] === 'red' || s['fill'] === 'yellow');
    await statusMatching(m, (s) => s['fill'] === 'green');
    assert.equal(upLines(sim, DEV).filter((l) => l === '500').length, 2);
    assert.ok(sim.subscriptions(DEV).includes('devicecontrol/notifications'));
    // The kick was an abnormal drop: the broker published our last will.
    await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_ConnectionEvent'), 3000, 'will event');
  });

  it('queues measurements during a broker outage and delivers them in order afterwards', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      ALL_NODES,
      [node, { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_Counter', series: 'n', wires: [[]] }],
      credentials,
    );
    const m = helper.getNode('m')!;
    await statusMatching(m, (s) => s['fill'] === 'green');
    await sim.pause();
    await statusMatching(m, (s) => s['fill'] !== 'green');
    for (let i = 1; i <= 50; i += 1) m.receive({ payload: i });
    await statusMatching(m, (s) => s['fill'] === 'yellow' && s['shape'] === 'dot' && s['text'] === 'connection.status.queued', 4000);
    const green = statusMatching(m, (s) => s['fill'] === 'green', 10_000);
    await sim.resume();
    await green;
    await sim.waitFor(() => sim.measurements.length >= 50, 10_000, '50 measurements');
    const values = sim.measurements.map((x) => x.series[0]?.value);
    assert.deepEqual(
      values,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    // Batching: 50 records travelled in far fewer publishes than 50.
    const publishes = sim.received.filter((r) => r.clientId === DEV && r.topic === 's/us' && r.payload.toString().startsWith('200,'));
    assert.ok(publishes.length < 10, `expected batched publishes, got ${publishes.length}`);
  });

  it('retries after CONNACK 5 (transient) and connects', async () => {
    sim.failNextConnects(2, 5);
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      ALL_NODES,
      [node, { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] }],
      credentials,
    );
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green', 5000);
    const codes = sim.connections.filter((c) => c.clientId === DEV).map((c) => c.returnCode);
    assert.deepEqual(codes.slice(0, 3), [5, 5, 0]);
  });

  it('shows "not authorized" after five CONNACK 5 in a row, keeps retrying, and connects when they stop', async () => {
    sim.failNextConnects(6, 5);
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      ALL_NODES,
      [node, { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] }],
      credentials,
    );
    const m = helper.getNode('m')!;
    await statusMatching(m, (s) => s['text'] === 'connection.status.not-authorized', 10_000);
    await statusMatching(m, (s) => s['fill'] === 'green', 10_000);
    const codes = sim.connections.filter((c) => c.clientId === DEV).map((c) => c.returnCode);
    assert.deepEqual(codes, [5, 5, 5, 5, 5, 5, 0]);
  });

  it('stops retrying after CONNACK 4 and says "bad credentials"', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, password: 'wrong' });
    await helper.load(
      ALL_NODES,
      [node, { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_T', series: 'T', wires: [[]] }],
      credentials,
    );
    const st = await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'red' && s['text'] === 'connection.status.bad-credentials');
    assert.equal(st['shape'], 'ring');
    await sleep(800); // with 50 ms backoff, a retrying client would have tried many times by now
    assert.equal(sim.connections.filter((c) => c.clientId === DEV).length, 1);
  });

  it('names a takeover loop when another client keeps using the same device id', async () => {
    const a = connectionNode({ id: 'connA', port: sim.port, deviceId: DEV });
    const b = connectionNode({ id: 'connB', port: sim.port, deviceId: DEV });
    const flow = [
      a.node,
      b.node,
      { id: 'mA', type: 'device-agent-measurement', connection: 'connA', fragment: 'c8y_T', series: 'T', wires: [[]] },
      { id: 'mB', type: 'device-agent-measurement', connection: 'connB', fragment: 'c8y_T', series: 'T', wires: [[]] },
    ];
    const hit = (s: Record<string, unknown>): boolean => s['text'] === 'connection.status.takeover';
    const loaded = helper.load(ALL_NODES, flow, { ...a.credentials, ...b.credentials });
    const either = Promise.race([
      statusMatching(helper.getNode('mA') ?? (await loaded.then(() => helper.getNode('mA')!)), hit, 20_000),
      statusMatching(helper.getNode('mB')!, hit, 20_000),
    ]);
    await loaded;
    const st = await either;
    assert.equal(st['fill'], 'red');
  });
});
