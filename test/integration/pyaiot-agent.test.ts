/**
 * Our pyaiot MQTT node (connection dialect pyaiot + measurement, event, alarm and operation
 * nodes) against the pyaiot gateway simulator, for the vectors the example does not cover:
 * N2 periodic checks, N6 a bad discover request, N9 a resource first seen after discovery,
 * N13 a reserved measurement name, events and alarms as resources, a set whose flow fails,
 * and the announcement on every reconnect (§6).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { PyaiotGatewaySim } from '../sim-pyaiot/gateway';
import { ALL_NODES, helper, statusMatching, useSettings } from '../support/red';

const conn = (extra: Record<string, unknown>): Record<string, unknown> => ({
  id: 'c',
  type: 'device-agent-connection',
  dialect: 'pyaiot',
  pyNodeId: 'nr7',
  pyCheckPeriod: '1',
  pyValueStyle: 'dashboard',
  pyResources: '{"led": "0"}',
  ...extra,
});

describe('pyaiot node (connection dialect) against the gateway simulator', { timeout: 60_000 }, () => {
  let broker: PyaiotBroker;
  let gw: PyaiotGatewaySim;
  let cleanup: () => void;

  before(async () => {
    broker = await PyaiotBroker.start();
    gw = await PyaiotGatewaySim.start({ url: broker.url, timers: false });
    cleanup = useSettings().cleanup;
    await helper.startServer();
    await helper.load(ALL_NODES, [
      conn({ pyUrl: broker.url }),
      { id: 'm', type: 'device-agent-measurement', connection: 'c', fragment: 'env', series: 'humidity', unit: '%', wires: [[]] },
      { id: 'bad', type: 'device-agent-measurement', connection: 'c', fragment: 'env', series: 'check', unit: '', wires: [[]] },
      { id: 'ev', type: 'device-agent-event', connection: 'c', eventType: 'door', text: 'payload', textType: 'msg', wires: [[]] },
      {
        id: 'al',
        type: 'device-agent-alarm',
        connection: 'c',
        alarmType: 'heat',
        severity: 'MAJOR',
        action: 'raise',
        text: 'too hot',
        textType: 'str',
        wires: [[]],
      },
      {
        id: 'op',
        type: 'device-agent-operation',
        connection: 'c',
        fragments: 'led',
        timeout: '5',
        completeOnRestart: 'no',
        wires: [['st']],
      },
      { id: 'st', type: 'device-agent-operation-status', outcome: 'FAILED', wires: [[]] },
    ]);
    await gw.waitFor(() => gw.nodes.get('nr7')?.values['led'] !== undefined, 10_000, 'nr7 discovered');
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await gw.stop();
    await broker.stop();
    cleanup();
  });

  it('N1/N4/N5: announces, lists name, os and led, answers their values', () => {
    assert.deepEqual(gw.nodes.get('nr7')!.resources, ['name', 'os', 'led']);
    assert.deepEqual(gw.nodes.get('nr7')!.values, { name: 'Node-RED node', os: 'node-red', led: '0' });
  });

  it('N2: checks in every period (1 s here)', async () => {
    const n = broker.on('node/check').length;
    await gw.waitFor(() => broker.on('node/check').length >= n + 2, 5000, 'two more checks');
    assert.ok(broker.on('node/check').every((s) => s.payload === '{"id":"nr7"}' && s.qos === 1 && !s.retain));
  });

  it('N9: a measurement first seen after discovery is listed before its value is forwarded', async () => {
    helper.getNode('m')!.receive({ payload: 45 });
    await gw.waitFor(() => gw.updates('nr7', 'humidity').includes('45%'), 5000, 'humidity 45%');
    const lists = broker.on('node/nr7/resources').map((s) => s.payload);
    assert.equal(lists.at(-1), '["name","os","led","humidity"]');
  });

  it('N12: a measurement with series lat and lng is the position resource, as a JSON string', async () => {
    helper.getNode('m')!.receive({ payload: { lat: 48.7144507, lng: 2.2058228 } });
    await gw.waitFor(() => gw.updates('nr7', 'position').length > 0, 5000, 'position');
    assert.equal(gw.updates('nr7', 'position').at(-1), '{"lat": 48.7144507, "lng": 2.2058228}');
    assert.ok(!gw.nodes.get('nr7')!.resources.includes('lat'));
  });

  it('N13: a reserved resource name is refused with a clear error; nothing is published', async () => {
    const bad = helper.getNode('bad')!;
    const err = new Promise<Error>((resolve) => bad.once('call:error', (call: { args: [Error] }) => resolve(call.args[0])));
    bad.receive({ payload: 1 });
    const e = await err;
    assert.equal(e.message, 'measurement.errors.bad-input');
    assert.match(String((e.cause as Error | undefined)?.message), /resource name "check" is reserved by pyaiot/);
    assert.equal(broker.on('node/nr7/check').length, 0);
  });

  it('events and alarms are text values of the event and alarm resources', async () => {
    helper.getNode('ev')!.receive({ payload: 'door opened' });
    helper.getNode('al')!.receive({ payload: true });
    await gw.waitFor(() => gw.updates('nr7', 'event').length > 0 && gw.updates('nr7', 'alarm').length > 0, 5000, 'event and alarm');
    // New names: each is listed first (N9), and the gateway's values request answers it once more.
    assert.ok(gw.updates('nr7', 'event').every((v) => v === 'door opened'));
    assert.ok(gw.updates('nr7', 'alarm').every((v) => v === 'MAJOR heat: too hot'));
  });

  it('a set the flow reports FAILED publishes no new value', async () => {
    const done = new Promise<void>((resolve) => helper.getNode('st')!.once('input', () => resolve()));
    const before = broker.on('node/nr7/led').length;
    await gw.set('nr7', 'led', '1');
    await done;
    // A later good round trip (values discovery) shows led still "0".
    gw.nodes.get('nr7')!.values['led'] = 'unknown';
    await gw.raw('gateway/nr7/discover', 'values');
    await gw.waitFor(() => gw.nodes.get('nr7')!.values['led'] === '0', 5000, 'led value 0 again');
    // Only values answers (there may be several: new names earlier ask for values again), all "0".
    for (let i = 0; i < 50 && broker.on('node/nr7/led').length < before + 1; i += 1) await new Promise((r) => setTimeout(r, 20));
    const after = broker.on('node/nr7/led').slice(before);
    assert.ok(after.length >= 1);
    assert.ok(
      after.every((x) => x.payload === '{"value":"0"}'),
      JSON.stringify(after.map((x) => x.payload)),
    );
  });

  it('N6: a discover request that is neither resources nor values turns the nodes red, the next good one green', async () => {
    const red = statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'red', 5000);
    await gw.raw('gateway/nr7/discover', 'other');
    await red;
    const green = statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green', 5000);
    await gw.raw('gateway/nr7/discover', 'resources');
    await green;
  });

  it('§6: after a dropped connection it subscribes again and announces at once', async () => {
    const connects = broker.on('node/check').length;
    assert.ok(broker.kick('pyaiot-nr7'));
    await gw.waitFor(() => broker.clients.has('pyaiot-nr7') && broker.on('node/check').length > connects, 10_000, 'reconnect and check');
    // Sets still arrive: the subscriptions came back with the session.
    const got = new Promise<void>((resolve) => helper.getNode('op')!.once('call:send', () => resolve()));
    await gw.set('nr7', 'led', '1');
    await got;
  });

  it('a name learned as the connection drops is listed again after the reconnect', async () => {
    const lists = broker.on('node/nr7/resources').length;
    const checks = broker.on('node/check').length;
    assert.ok(broker.kick('pyaiot-nr7'));
    helper.getNode('m')!.receive({ payload: { pressure: { value: 1003, unit: 'hPa' } } });
    await gw.waitFor(() => gw.updates('nr7', 'pressure').includes('1003hPa'), 10_000, 'pressure forwarded');
    assert.ok(broker.on('node/check').length > checks, 'announced again');
    assert.ok(
      broker
        .on('node/nr7/resources')
        .slice(lists)
        .some((s) => (JSON.parse(s.payload) as string[]).includes('pressure')),
    );
  });
});
