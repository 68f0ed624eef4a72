/**
 * examples/pyaiot-gateway.json as shipped (only max time shortened, so a disappearance shows in
 * seconds), configured by environment variables, end to end: simulated pyaiot nodes on a local
 * broker, Node-RED as their gateway, and the Cumulocity simulator, where each node becomes a
 * child device of the agent with its values as measurements.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { PyaiotNodeSim } from '../sim-pyaiot/node';
import { CORE_NODES } from '../support/core-nodes';
import { setC8yEnv } from '../support/env';
import { ALL_NODES, helper, useSettings } from '../support/red';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'pyaiot-gateway.json');
const DEV = 'pyaiot-gw';
const OUR_NODES: unknown[] = [require('../../nodes/gateway-discovery') as unknown];

describe('example pyaiot-gateway.json', { timeout: 60_000 }, () => {
  let c8y: CumulocitySimulator;
  let broker: PyaiotBroker;
  const nodes: PyaiotNodeSim[] = [];
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    c8y = await CumulocitySimulator.start();
    c8y.addDeviceUser(DEV, 'gw-pw');
    broker = await PyaiotBroker.start();
    restoreEnv = setC8yEnv(c8y.port, DEV, 'gw-pw', { PYAIOT_BROKER_URL: broker.url });
    cleanup = useSettings().cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'device-agent-gateway-discovery') n['maxTime'] = '2';
    await helper.load([...CORE_NODES, ...ALL_NODES, ...OUR_NODES], flow, {});
    nodes.push(await PyaiotNodeSim.start({ url: broker.url, id: 'nr1', checkMs: 500, temperatureMs: 200, pressureMs: 400 }));
    nodes.push(await PyaiotNodeSim.start({ url: broker.url, id: 'nr2', checkMs: 500, temperatureMs: 200, pressureMs: 0 }));
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    await helper.unload();
    await helper.stopServer();
    await broker.stop();
    await c8y.stop();
    cleanup();
    restoreEnv();
  });

  it('carries no secret and no address in the flow file', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials)"\s*:/);
    assert.match(text, /"broker": "\$\{PYAIOT_BROKER_URL\}"/);
  });

  it('registers every discovered node as a child device of the agent (101) with a required interval', async () => {
    const ready = (id: string): boolean => c8y.devices.get(`${DEV}-${id}`)?.requiredInterval !== undefined;
    await c8y.waitFor(() => ready('nr1') && ready('nr2'), 10_000, 'two child devices with their 117');
    const child = c8y.devices.get(`${DEV}-nr1`)!;
    assert.equal(child.parent, DEV);
    assert.equal(child.type, 'c8y_PyaiotNode');
    assert.equal(child.name, 'pyaiot nr1');
    // max time (2 s here) plus a minute, in whole minutes
    assert.equal(child.requiredInterval, 2);
    assert.deepEqual(c8y.devices.get(DEV)!.children.slice().sort(), [`${DEV}-nr1`, `${DEV}-nr2`]);
  });

  it('relays numeric values as child measurements, units from the dashboard style, texts left out', async () => {
    await c8y.waitFor(
      () => c8y.measurements.filter((m) => m.deviceId === `${DEV}-nr1` && m.series[0]?.series === 'temperature').length >= 3,
      10_000,
      'temperature measurements of nr1',
    );
    const t = c8y.measurements.find((m) => m.deviceId === `${DEV}-nr1` && m.series[0]?.series === 'temperature')!;
    assert.equal(t.type, 'pyaiot');
    assert.deepEqual(t.series, [{ fragment: 'pyaiot', series: 'temperature', value: 21.5, unit: '°C' }]);
    await c8y.waitFor(() => c8y.measurements.some((m) => m.deviceId === `${DEV}-nr1` && m.series[0]?.series === 'pressure'), 5000, 'pressure');
    const p = c8y.measurements.find((m) => m.deviceId === `${DEV}-nr1` && m.series[0]?.series === 'pressure')!;
    assert.deepEqual(p.series[0], { fragment: 'pyaiot', series: 'pressure', value: 1003, unit: 'hPa' });
    const led = c8y.measurements.find((m) => m.deviceId === `${DEV}-nr2` && m.series[0]?.series === 'led');
    assert.equal(led?.series[0]?.value, 0);
    assert.ok(!c8y.measurements.some((m) => ['os', 'name', 'id', 'protocol'].includes(m.series[0]?.series ?? '')));
    assert.ok(c8y.devices.get(`${DEV}-nr1`)!.lastMessage);
  });

  it('the LED inject sets nr1 through the gateway, and the new value reaches Cumulocity', async () => {
    helper.getNode('da_pygw_led')!.receive({});
    await c8y.waitFor(
      () => c8y.measurements.some((m) => m.deviceId === `${DEV}-nr1` && m.series[0]?.series === 'led' && m.series[0]?.value === 1),
      5000,
      'led 1 measurement',
    );
    assert.deepEqual(nodes[0]!.sets, [['led', '1']]);
  });

  it('a node that stops checking in disappears: an event on the agent, nothing more for the child', async () => {
    nodes[1]!.checking = false;
    await c8y.waitFor(() => c8y.events.some((e) => e.type === 'c8y_PyaiotNodeLost'), 10_000, 'node lost event');
    const e = c8y.events.find((x) => x.type === 'c8y_PyaiotNodeLost')!;
    assert.equal(e.deviceId, DEV);
    assert.match(e.text, /nr2/);
    // nr1 keeps checking: it is not lost.
    assert.ok(!c8y.events.some((x) => x.type === 'c8y_PyaiotNodeLost' && x.text.includes('nr1')));
  });

  it('after a redeploy the children are registered again without platform warnings (41 on 101 is success)', async () => {
    const before = c8y.errorsSent.filter((e) => e.line.startsWith('41,101')).length;
    await helper.unload();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    await helper.load([...CORE_NODES, ...ALL_NODES, ...OUR_NODES], flow, {});
    await c8y.waitFor(() => c8y.errorsSent.filter((e) => e.line.startsWith('41,101')).length > before, 10_000, '41,101 on s/e');
    // Let the agent read the s/e line, then look at every warning the connection node gave.
    const n = c8y.measurements.length;
    await c8y.waitFor(() => c8y.measurements.length > n + 5, 5000, 'more measurements');
    const warn = (helper.getNode('da_pygw_c8y') as unknown as { warn: { args: unknown[][] } }).warn;
    assert.deepEqual(
      warn.args.map((a) => String(a[0])).filter((w) => w.includes('connection.errors.platform')),
      [],
    );
  });
});
