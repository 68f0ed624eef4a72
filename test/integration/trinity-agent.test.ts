// TrinityAgent against the Trinity simulator on a real broker: the vectors of trinity.md §12 that
// need a session (T1, T2, T6–T19, T21, T22), the system RPCs' side effects, and persistence.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OperationConsumer, TrackedOperation } from '../../agent/operations';
import { TrinityAgent, type TrinityAgentConfig } from '../../agent/trinity-agent';
import type { HealthReading } from '../../dialects/trinity';
import { SIM_NETWORK } from '../../devices/network/simulated';
import { MemoryOutbox } from '../../transport/outbox';
import { TrinitySimulator } from '../sim-trinity/simulator';

const S = '000000000000000';
const HEALTH: HealthReading = {
  cpuTemp: 48.3,
  cpuUsage: 3.1,
  mem: { total: 1000, used: 410, free: 590, percent: 41 },
  disk: { total: 2000, used: 450, free: 1550, percent: 22.5 },
};

interface Rig {
  sim: TrinitySimulator;
  agent: TrinityAgent;
  dataDir: string;
  warnings: string[];
}

function config(sim: TrinitySimulator, dataDir: string, over: Partial<TrinityAgentConfig> = {}): TrinityAgentConfig {
  return {
    protocol: 'mqtt',
    port: sim.port,
    cid: sim.cid,
    hid: sim.hid,
    secret: Buffer.from(sim.secretHex, 'hex'),
    pids: ['my_app_id'],
    settings: {
      pdr_interval: 3600,
      use_rtc: false,
      keep_alive: 60,
      default_qos: 1,
      clean_session: true,
      trusted_senders: [],
      host: '127.0.0.1',
    },
    hostAllowList: ['localhost'],
    alarmRaiseCode: 1001,
    alarmClearCode: 1002,
    agentVersion: '0.1.0-test',
    dataDir,
    restartTimeoutSec: 3600,
    badCredentialsRetrySec: 600,
    backoff: { initialMs: 50, maxMs: 400, stableMs: 60_000 },
    health: { read: () => Promise.resolve(HEALTH) },
    network: { simulated: true, read: () => Promise.resolve(SIM_NETWORK) },
    ...over,
  };
}

/** An operation node's stand-in: sums the arguments of sum_these, as the seed's demo app. */
function summer(agent: TrinityAgent, fragments = ['sum_these']): OperationConsumer {
  const c: OperationConsumer = {
    fragments,
    completeOnRestart: false,
    timeoutSec: 10,
    deliver: (t: TrackedOperation) => {
      const args = Array.isArray(t.operation.params) ? (t.operation.params as unknown[]) : [];
      const sum = args.reduce<number>((a, b) => a + (typeof b === 'number' ? b : 0), 0);
      setImmediate(() => agent.report(t.key, 'SUCCESSFUL', undefined, [String(sum)]));
    },
  };
  agent.addConsumer(c);
  return c;
}

async function start(
  sim: TrinitySimulator,
  dataDir: string,
  over: Partial<TrinityAgentConfig> = {},
): Promise<{ agent: TrinityAgent; warnings: string[] }> {
  const agent = new TrinityAgent(config(sim, dataDir, over), new MemoryOutbox());
  const warnings: string[] = [];
  agent.on('warning', (w: string) => warnings.push(w));
  agent.start();
  await sim.waitFor(() => sim.data('0').length > 0, 5000, 'the dump');
  return { agent, warnings };
}

describe('Trinity agent against the simulator', { timeout: 60_000 }, () => {
  let rig: Rig;
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-trinity-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const sim = await TrinitySimulator.start();
    const dataDir = await fsp.mkdtemp(path.join(tmp, 'd-'));
    const { agent, warnings } = await start(sim, dataDir);
    summer(agent);
    rig = { sim, agent, dataDir, warnings };
  });
  afterEach(async () => {
    await rig.agent.stop();
    assert.deepEqual(rig.sim.violations, [], 'every uplink follows the grammar');
    await rig.sim.stop();
  });

  it('T1: connects as the HID with user CID+HID, keep-alive 60 and the LWT will at QoS 1', () => {
    const c = rig.sim.connections.find((x) => x.returnCode === 0);
    assert.ok(c);
    assert.equal(c.clientId, 'AAA0123456789AB');
    assert.equal(c.username, '12345678AAA0123456789AB');
    assert.equal(c.keepalive, 60);
    assert.deepEqual(c.will && { ...c.will, payload: JSON.parse(c.will.payload) as unknown }, {
      topic: `${rig.sim.prefix}/0/>`,
      payload: { e: [0, [[0, 101, 'LWT Published']]] },
      qos: 1,
      retain: false,
    });
  });

  it('T2: subscribes P/+/</#, then sends "Connect Success", then the dump with settings and health', () => {
    assert.deepEqual(rig.sim.subscriptions, [`${rig.sim.prefix}/+/</#`]);
    const [first, second] = rig.sim.uplinks;
    assert.deepEqual(first?.uplink, { type: 'e', ts: 0, events: [[0, 102, 'Connect Success']] });
    assert.equal(second?.uplink.type, 'd');
    const dump = rig.sim.data('0')[0]?.data as Record<string, unknown>;
    assert.deepEqual(dump['settings'], {
      pdr_interval: 3600,
      use_rtc: false,
      keep_alive: 60,
      default_qos: 1,
      clean_session: true,
      trusted_senders: '',
      host: '127.0.0.1',
    });
    assert.deepEqual(dump['mem'], HEALTH.mem);
    assert.equal((dump['ip'] as Record<string, unknown>)['address'], '10.0.0.7');
    assert.ok((dump['client'] as Record<string, unknown>)['node-red-contrib-device-agent']);
  });

  it('T3/T5: a measurement and an event go to the application PID', async () => {
    const time = new Date();
    await rig.agent.sendMeasurement({ time, series: [{ fragment: 'f', series: 'temp', value: 21.5 }] });
    await rig.agent.sendEvent({ type: '123', text: 'Loop Counter: 15', time });
    await rig.sim.waitFor(() => rig.sim.events('my_app_id').length > 0, 3000, 'event');
    assert.deepEqual(rig.sim.data('my_app_id'), [{ ts: 0, data: { temp: 21.5 } }]);
    assert.deepEqual(
      rig.sim.events('my_app_id').map((e) => [e.code, e.text]),
      [[123, 'Loop Counter: 15']],
    );
  });

  it('T6: sum_these 1 2 3 goes to the flow and its result 6 comes back as {"x": [0, 0, 6]}', async () => {
    await rig.sim.send('my_app_id', 'sum_these', [1, 2, 3], { tct: '>a_tct', ts: 123456789 });
    const r = await rig.sim.reply('>a_tct');
    assert.deepEqual([r.code, r.result], [0, 6]);
    assert.equal(rig.sim.uplinks.find((u) => u.tct === '>a_tct')?.topic, `${rig.sim.prefix}/0/>/>a_tct`);
  });

  it('T7: a command without a TCT is ignored, counted and shown; nothing is published', async () => {
    const before = rig.sim.uplinks.length;
    await rig.sim.send('my_app_id', 'sum_these', [1]);
    await rig.sim.command('my_app_id', 'sum_these', [2]); // a later command still works
    assert.equal(rig.sim.uplinks.length, before + 1);
    assert.equal(rig.agent.badCommands, 1);
  });

  it('T8, T9: a bad time stamp still runs; a result of 0 is left out', async () => {
    await rig.sim.send('my_app_id', 'sum_these', [1], { tct: '>t1', ts: 'x' });
    assert.deepEqual(await rig.sim.reply('>t1'), { tct: '>t1', ts: 0, code: 0, result: 1 });
    await rig.sim.send('my_app_id', 'sum_these', [], { tct: '>t0' });
    assert.deepEqual(await rig.sim.reply('>t0'), { tct: '>t0', ts: 0, code: 0 });
  });

  it('T10–T12: unknown PID, empty command and four items are answered with their codes', async () => {
    await rig.sim.publishRaw(`${rig.sim.prefix}/other/</${S}`, '{"c": [0, ">t2", ["x"]]}');
    await rig.sim.publishRaw(`${rig.sim.prefix}/my_app_id/</${S}`, '{"c": [0, ">t3", []]}');
    await rig.sim.publishRaw(`${rig.sim.prefix}/my_app_id/</${S}`, '{"c": [0, ">t4", ["a"], 1]}');
    assert.deepEqual([(await rig.sim.reply('>t2')).code, (await rig.sim.reply('>t2')).result], [-19, 'Unknown PID']);
    assert.deepEqual([(await rig.sim.reply('>t3')).code, (await rig.sim.reply('>t3')).result], [-7, 'Error']);
    assert.deepEqual([(await rig.sim.reply('>t4')).code, (await rig.sim.reply('>t4')).result], [-4, 'Error']);
    assert.equal(rig.agent.currentStatus.alert !== undefined, true);
    await rig.sim.command('my_app_id', 'sum_these', [1]);
    assert.equal(rig.agent.currentStatus.alert, undefined, 'a good command clears the red status');
  });

  it('T13, T19: an untrusted sender and a payload that is not JSON get no answer', async () => {
    const before = rig.sim.uplinks.length;
    await rig.sim.send('my_app_id', 'sum_these', [1], { tct: '>t5', sender: '999' });
    await rig.sim.publishRaw(`${rig.sim.prefix}/my_app_id/</${S}`, 'hello');
    await rig.sim.command('my_app_id', 'sum_these', [1]);
    assert.equal(rig.sim.uplinks.length, before + 1);
    assert.equal(rig.agent.badCommands, 2);
  });

  it('an application command nobody handles is -100 "RPC Not implemented"', async () => {
    assert.deepEqual(await rig.sim.command('my_app_id', 'teleport', []).then((r) => [r.code, r.result]), [-100, 'RPC Not implemented']);
  });

  it('T14: set_pdr_interval 60 publishes the setting, a basic report, then replies; the setting is persisted', async () => {
    const before = rig.sim.uplinks.length;
    await rig.sim.send('0', 'set_pdr_interval', [60], { tct: '>t6' });
    await rig.sim.reply('>t6');
    const after = rig.sim.uplinks.slice(before).map((u) => u.uplink);
    assert.deepEqual(after[0], { type: 'd', ts: 0, data: { settings: { pdr_interval: 60 } } });
    assert.deepEqual(after[1], { type: 'd', ts: 0, data: { cpu_tmp: 48.3, cpu_usg: 3.1, mem: { percent: 41 }, disk: { percent: 22.5 } } });
    assert.deepEqual(after[2], { type: 'x', ts: 0, code: 0, result: 'OK. Set PDR to: 60 sec.' });
    assert.equal(rig.agent.settings.pdr_interval, 60);
    const files = await fsp.readdir(rig.dataDir, { recursive: true });
    assert.ok(files.some((f) => f.endsWith('trinity-settings.json')));
  });

  it('T15–T17: data_write not exposed, unknown RPC, not a boolean', async () => {
    assert.equal((await rig.sim.command('0', 'data_write', ['/settings', { host: 'h' }])).code, -23);
    assert.deepEqual(await rig.sim.command('0', 'no_such_rpc').then((r) => [r.code, r.result]), [-100, 'RPC Not implemented']);
    const r = await rig.sim.command('0', 'set_use_rtc', ['maybe']);
    assert.equal(r.code, -24);
    assert.match(String(r.result), /^NAC/);
  });

  it('T18: add_trusted_sender publishes the list, replies, and that sender is then obeyed', async () => {
    const r = await rig.sim.command('0', 'add_trusted_sender', ['BBB000000000001']);
    assert.equal(r.result, 'OK. Added BBB000000000001 to trusted senders list.');
    assert.ok(
      rig.sim.data('0').some((d) => JSON.stringify(d.data) === JSON.stringify({ settings: { trusted_senders: 'BBB000000000001' } })),
    );
    const viaDevice = await rig.sim.command('my_app_id', 'sum_these', [2, 3], { sender: 'BBB000000000001' });
    assert.equal(viaDevice.result, 5);
  });

  it('set_use_rtc true: later records carry the Unix time', async () => {
    await rig.sim.command('0', 'set_use_rtc', [true]);
    const t0 = Math.floor(Date.now() / 1000);
    await rig.agent.sendMeasurement({ time: new Date(), series: [{ fragment: 'f', series: 'v', value: 1 }] });
    await rig.sim.waitFor(() => rig.sim.data('my_app_id').length > 0, 3000, 'data');
    assert.ok(Math.abs((rig.sim.data('my_app_id')[0]?.ts ?? 0) - t0) <= 2);
  });

  it('get answers allow-listed attributes and refuses others (-21)', async () => {
    assert.equal((await rig.sim.command('0', 'get', ['hid'])).result, 'AAA0123456789AB');
    assert.equal((await rig.sim.command('0', 'get', ['_password'])).code, -21);
  });

  it('set_ping_interval reconnects with the new keep-alive and a new password', async () => {
    const n = rig.sim.connections.length;
    assert.equal((await rig.sim.command('0', 'set_ping_interval', [120])).code, 0);
    await rig.sim.waitFor(() => rig.sim.connections.length > n && rig.sim.connected, 5000, 'reconnect');
    const last = rig.sim.connections.at(-1);
    assert.equal(last?.keepalive, 120);
    assert.equal(last?.returnCode, 0);
  });

  it('take_a_break 1 replies, disconnects and is back a second later', async () => {
    const n = rig.sim.connections.length;
    assert.equal((await rig.sim.command('0', 'take_a_break', [1])).result, 'OK. Took a 1 sec break.');
    await rig.sim.waitFor(() => !rig.sim.connected, 3000, 'the break');
    await rig.sim.waitFor(() => rig.sim.connections.length > n && rig.sim.connected, 5000, 'back');
  });

  it('T22: a killed socket makes the broker publish the will; the agent reconnects with another password', async () => {
    const first = rig.sim.connections.filter((c) => c.returnCode === 0).length;
    rig.sim.dropDevice();
    await rig.sim.waitFor(() => rig.sim.events('0').some((e) => e.code === 101 && e.will), 5000, 'the will');
    await rig.sim.waitFor(
      () => rig.sim.connections.filter((c) => c.returnCode === 0).length > first && rig.sim.connected,
      5000,
      'reconnect',
    );
    assert.ok(
      rig.sim.connections.every((c) => c.returnCode === 0),
      'no password was refused as a replay',
    );
  });

  it('T21: with a 1 s interval the periodic basic report comes on its own', async () => {
    await rig.sim.command('0', 'set_pdr_interval', [1]);
    const n = rig.sim.data('0').length;
    await rig.sim.waitFor(() => rig.sim.data('0').length >= n + 1, 4000, 'a periodic report');
    assert.deepEqual(Object.keys(rig.sim.data('0').at(-1)?.data as object).sort(), ['cpu_tmp', 'cpu_usg', 'disk', 'mem']);
    await rig.sim.command('0', 'set_pdr_interval', [0]);
  });

  it('a setting changed by Smart survives a restart; editing the node setting takes over', async () => {
    await rig.sim.command('0', 'set_pdr_interval', [120]);
    await rig.agent.stop();
    const again = await start(rig.sim, rig.dataDir);
    assert.equal(again.agent.settings.pdr_interval, 120);
    await again.agent.stop();
    const edited = new TrinityAgent(
      config(rig.sim, rig.dataDir, { settings: { ...config(rig.sim, rig.dataDir).settings, pdr_interval: 900 } }),
      new MemoryOutbox(),
    );
    assert.equal(edited.settings.pdr_interval, 900);
    await edited.stop();
    rig.agent = again.agent; // stopped already; afterEach stops it again harmlessly
  });

  it('reboot_hardware is refused unless an operation node names it, then goes to the flow', async () => {
    assert.equal((await rig.sim.command('0', 'reboot_hardware')).code, -100);
    const c: OperationConsumer = {
      fragments: ['reboot_hardware'],
      completeOnRestart: false,
      timeoutSec: 10,
      deliver: (t) => setImmediate(() => rig.agent.report(t.key, 'SUCCESSFUL', undefined, ['"OK Reboot scheduled"'])),
    };
    rig.agent.addConsumer(c);
    const r = await rig.sim.command('0', 'reboot_hardware');
    assert.deepEqual([r.code, r.result], [0, 'OK Reboot scheduled']);
  });

  it('a flow that fails or is too slow answers -22 with a NAC text', async () => {
    const c: OperationConsumer = { fragments: ['slow'], completeOnRestart: false, timeoutSec: 1, deliver: () => undefined };
    rig.agent.addConsumer(c);
    const r = await rig.sim.command('my_app_id', 'slow', [], {}, 5000);
    assert.equal(r.code, -22);
    assert.match(String(r.result), /^NAC no status reported by the flow within 1 s/);
  });
});
