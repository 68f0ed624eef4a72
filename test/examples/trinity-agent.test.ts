/**
 * examples/trinity-agent.json as shipped (only the loop interval shortened), configured purely by
 * the environment variables of issue 8, end to end against the Trinity simulator: the seed's demo
 * behaviour (loop data and "Loop Counter" events, sum_these) plus the agent's own duties.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TrinitySimulator } from '../sim-trinity/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, statusMatching, useSettings } from '../support/red';
import { setEnv } from '../support/env';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'trinity-agent.json');
const ENV = ['TRINITY_HOST', 'TRINITY_PORT', 'TRINITY_PROTOCOL', 'TRINITY_CID', 'TRINITY_HID', 'TRINITY_PID', 'TRINITY_SECRET'];
const S = '000000000000000';

describe('example trinity-agent.json', { timeout: 60_000 }, () => {
  let sim: TrinitySimulator;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await TrinitySimulator.start();
    restoreEnv = setEnv(ENV, {
      TRINITY_HOST: '127.0.0.1',
      TRINITY_PORT: String(sim.port),
      TRINITY_PROTOCOL: 'mqtt',
      TRINITY_CID: sim.cid,
      TRINITY_HID: sim.hid,
      TRINITY_PID: 'my_app_id',
      TRINITY_SECRET: sim.secretHex,
    });
    cleanup = useSettings().cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'inject') n['repeat'] = '0.2';
    await helper.load([...CORE_NODES, ...ALL_NODES], flow, {});
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim.stop();
    cleanup();
    restoreEnv();
  });

  it('carries no secret in the flow file', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials|trinitySecret)"\s*:/);
    assert.match(text, /"trinitySecretFrom": "env"/);
  });

  it('connects as the HID with CID+HID and a hashed password, then the connect event and the dump', async () => {
    await sim.waitFor(() => sim.data('0').length > 0, 10_000, 'the dump');
    const c = sim.connections.find((x) => x.returnCode === 0);
    assert.equal(c?.clientId, sim.hid);
    assert.equal(c?.username, `${sim.cid}${sim.hid}`);
    assert.deepEqual(sim.subscriptions, [`${sim.prefix}/+/</#`]);
    assert.deepEqual(sim.events('0')[0] && [sim.events('0')[0]?.code, sim.events('0')[0]?.text], [102, 'Connect Success']);
    const dump = sim.data('0')[0]?.data as Record<string, unknown>;
    assert.ok(dump['settings'] && dump['client']);
  });

  it('sends the demo loop as data and "Loop Counter" events (code 123) to the application PID, without gaps', async () => {
    await sim.waitFor(() => sim.events('my_app_id').length >= 3, 10_000, 'three loop events');
    const counters = sim.data('my_app_id').map((d) => (d.data as { loop_counter: number }).loop_counter);
    assert.deepEqual(counters.slice(0, 3), [1, 2, 3]);
    assert.deepEqual(
      sim.events('my_app_id').slice(0, 3).map((e) => [e.code, e.text]),
      [
        [123, 'Loop Counter: 1'],
        [123, 'Loop Counter: 2'],
        [123, 'Loop Counter: 3'],
      ],
    );
    const ts = sim.data('my_app_id')[0]?.ts ?? 0;
    assert.ok(Math.abs(ts - Date.now() / 1000) < 60, 'use_rtc: records carry their own time');
  });

  it('answers sum_these 1 2 3 with 6 (the seed example) on P/0/>/>a_tct', async () => {
    await sim.send('my_app_id', 'sum_these', [1, 2, 3], { tct: '>a_tct', ts: 123456789 });
    const r = await sim.reply('>a_tct');
    assert.deepEqual([r.code, r.result], [0, 6]);
  });

  it('answers a failing sum_these with -22 NAC and the reason, through the Catch node', async () => {
    const r = await sim.command('my_app_id', 'sum_these', [1, 'two']);
    assert.equal(r.code, -22);
    assert.match(String(r.result), /^NAC (Error: )?sum_these takes numbers only/);
  });

  it('hands reboot_hardware to the flow (simulated) and other commands get -100', async () => {
    assert.deepEqual(await sim.command('0', 'reboot_hardware').then((r) => [r.code, r.result]), [0, 'OK Reboot scheduled (simulated)']);
    assert.equal((await sim.command('my_app_id', 'teleport')).code, -100);
    assert.equal((await sim.command('0', 'upgrade_client')).code, -100);
  });

  it('answers system commands itself: set_pdr_interval publishes the setting and a report', async () => {
    const r = await sim.command('0', 'set_pdr_interval', [600]);
    assert.equal(r.result, 'OK. Set PDR to: 600 sec.');
    assert.ok(sim.data('0').some((d) => JSON.stringify(d.data) === '{"settings":{"pdr_interval":600}}'));
  });

  it('shows bad commands red under the nodes, answers the ones with a TCT, and recovers', async () => {
    const op = helper.getNode('da_trinity_op_sum');
    assert.ok(op);
    const red = statusMatching(op, (s) => s['fill'] === 'red', 5000);
    await sim.publishRaw(`${sim.prefix}/my_app_id/</${S}`, '{"c": [0, ">bad", []]}');
    assert.deepEqual([(await sim.reply('>bad')).code], [-7]);
    await sim.publishRaw(`${sim.prefix}/my_app_id/</${S}`, 'not json at all');
    await sim.send('my_app_id', 'sum_these', [1]); // no TCT
    await red;
    const green = statusMatching(op, (s) => s['fill'] === 'green', 5000);
    assert.equal((await sim.command('my_app_id', 'sum_these', [4, 5])).result, 9);
    await green;
  });

  it('sent nothing outside the Smart-MQTT grammar', () => {
    assert.deepEqual(sim.violations, []);
  });
});
