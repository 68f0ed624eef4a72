/**
 * examples/pyaiot-node.json as shipped, configured by PYAIOT_BROKER_URL and PYAIOT_NODE_ID only,
 * end to end against a pyaiot MQTT gateway simulator (test/sim-pyaiot) on a local broker: the
 * gateway discovers the node and its resources, gets the Sense HAT values in dashboard style,
 * sets the LED and sees the new value, and bad sets change nothing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentSimulation } from '../../devices/sense-hat/hub';
import { PyaiotBroker } from '../sim-pyaiot/broker';
import { PyaiotGatewaySim } from '../sim-pyaiot/gateway';
import { CORE_NODES } from '../support/core-nodes';
import { setEnv } from '../support/env';
import { ALL_NODES, helper, useSettings } from '../support/red';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'pyaiot-node.json');
const ENV = ['PYAIOT_BROKER_URL', 'PYAIOT_NODE_ID', 'PYAIOT_USER', 'PYAIOT_PASSWORD'];
const OUR_NODES: unknown[] = ['sense-hat-in', 'sense-hat-out'].map((n) => require(`../../nodes/${n}`) as unknown);

/** Polls an async condition (the simulated framebuffer is a file) for up to 5 s. */
async function until(cond: () => Promise<boolean | undefined>, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('example pyaiot-node.json', { timeout: 60_000 }, () => {
  let broker: PyaiotBroker;
  let gw: PyaiotGatewaySim;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    broker = await PyaiotBroker.start();
    gw = await PyaiotGatewaySim.start({ url: broker.url, checkPeriodMs: 2000 });
    restoreEnv = setEnv(ENV, { PYAIOT_BROKER_URL: broker.url, PYAIOT_NODE_ID: 'nr1' });
    cleanup = useSettings().cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'device-agent-sense-hat-in') n['interval'] = '1';
    await helper.load([...CORE_NODES, ...ALL_NODES, ...OUR_NODES], flow, {});
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await gw.stop();
    await broker.stop();
    cleanup();
    restoreEnv();
  });

  it('carries no secret and no broker address in the flow file', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials|pyPassword|pyUser)"\s*:/);
    assert.match(text, /"pyUrl": "\$\{PYAIOT_BROKER_URL\}"/);
    assert.match(text, /"pyNodeId": "\$\{PYAIOT_NODE_ID\}"/);
  });

  it('is discovered by the gateway with its static resources and their values', async () => {
    await gw.waitFor(() => gw.nodes.get('nr1')?.values['led'] !== undefined, 10_000, 'nr1 discovered with led');
    const n = gw.nodes.get('nr1')!;
    for (const r of ['name', 'os', 'board', 'led']) assert.ok(n.resources.includes(r), `${r} listed`);
    assert.equal(n.values['name'], 'Node-RED node');
    assert.equal(n.values['os'], 'node-red');
    assert.equal(n.values['led'], '0');
    assert.equal(broker.on('node/check')[0]?.clientId, 'pyaiot-nr1');
    assert.equal(broker.on('node/check')[0]?.payload, '{"id":"nr1"}');
  });

  it('publishes temperature, humidity and pressure in the dashboard\'s style', async () => {
    await gw.waitFor(
      () => ['temperature', 'humidity', 'pressure'].every((r) => gw.updates('nr1', r).length >= 2),
      15_000,
      'two values of each sensor',
    );
    assert.match(String(gw.updates('nr1', 'temperature').at(-1)), /^-?\d+(\.\d+)?°C$/);
    assert.match(String(gw.updates('nr1', 'humidity').at(-1)), /^\d+(\.\d+)?%$/);
    assert.match(String(gw.updates('nr1', 'pressure').at(-1)), /^\d+(\.\d+)?hPa$/);
    assert.deepEqual(gw.nodes.get('nr1')!.resources.slice(-3).sort(), ['humidity', 'pressure', 'temperature']);
  });

  it('N10: a dashboard set of led reaches the flow and the new value comes back', async () => {
    const before = gw.updates('nr1', 'led').length;
    await gw.set('nr1', 'led', '1');
    // (A values answer still in flight from the discovery of the sensors may report "0" first.)
    await gw.waitFor(() => gw.updates('nr1', 'led').slice(before).includes('1'), 5000, 'led update 1');
    // The broker's publish hook may run after delivery to the gateway: poll it.
    await until(() => Promise.resolve(broker.on('node/nr1/led').some((x) => x.payload === '{"value":"1"}')), 'led 1 at the broker');
    // The (simulated) Sense HAT matrix is lit red: RGB565 0xf800 in every pixel.
    await until(async () => (await currentSimulation())?.framebuffer().then((fb) => fb.readUInt16LE(0) === 0xf800 && fb.readUInt16LE(126) === 0xf800), 'matrix red');
    // A later discovery answers the new state (upstream's test node kept the old one, §9).
    await gw.set('nr1', 'led', '0');
    await gw.waitFor(() => gw.updates('nr1', 'led').at(-1) === '0', 5000, 'led back to 0');
    await until(async () => (await currentSimulation())?.framebuffer().then((fb) => fb.readUInt16LE(0) === 0), 'matrix off');
  });

  it('a bad set value, a set of an unknown resource and another node\'s set change nothing', async () => {
    const before = broker.on('node/nr1/led').length;
    await gw.set('nr1', 'led', 'blink');
    await gw.set('nr1', 'nothing', '1');
    await gw.set('nr2', 'led', '1');
    // Wait for a round trip that must be answered, then check nothing else came.
    await gw.set('nr1', 'led', '1');
    await gw.waitFor(() => gw.updates('nr1', 'led').at(-1) === '1', 5000, 'led 1');
    await until(() => Promise.resolve(broker.on('node/nr1/led').length >= before + 1), 'the answer at the broker');
    assert.equal(broker.on('node/nr1/led').length, before + 1);
    assert.equal(broker.on('node/nr1/nothing').length, 0);
  });

  it('N3: answers gateway/check with node/check', async () => {
    const before = broker.on('node/check').length;
    gw.gatewayCheck();
    await gw.waitFor(() => broker.on('node/check').length > before, 5000, 'node/check after gateway/check');
  });

  it('publishes QoS 1, never retained, only valid JSON on node/ topics; the gateway dropped nothing', () => {
    const mine = broker.seen.filter((s) => s.clientId === 'pyaiot-nr1');
    assert.ok(mine.length > 10);
    for (const s of mine) {
      assert.equal(s.qos, 1, s.topic);
      assert.equal(s.retain, false, s.topic);
      assert.match(s.topic, /^node\//);
      assert.doesNotThrow(() => JSON.parse(s.payload), s.payload);
    }
    assert.deepEqual(gw.dropped, []);
  });
});
