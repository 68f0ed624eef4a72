// HdcAgent against the HDC simulator on a real broker: vectors H1–H11 and H20 of
// helix-device-cloud.md §10 end to end, replies delivered without any subscription, methods
// through the mailbox, bad input (malformed replies and notices, stray reply ids, malformed
// method.exec, unknown and disabled methods) and the numbering across a reconnect.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HdcAgent, type HdcAgentConfig } from '../../agent/hdc-agent';
import type { OperationConsumer, TrackedOperation } from '../../agent/operations';
import { DEFAULT_DURABLE_OPTIONS, DurableOutbox } from '../../transport/durable-outbox';
import { MemoryOutbox } from '../../transport/outbox';
import { createTestPki, type TestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';

const K = 'dev1-my_app';

function config(sim: HdcSimulator, root: string, over: Partial<HdcAgentConfig> = {}): HdcAgentConfig {
  return {
    url: `mqtt://127.0.0.1:${sim.port}`,
    host: '127.0.0.1',
    thingKey: K,
    token: 'TOKEN',
    keepaliveSec: 60,
    fileBase: `https://127.0.0.1:${sim.httpsPort}`,
    allow: { reboot_device: false, shutdown_device: false, decommission_device: false },
    builtinPing: true,
    replyTimeoutMs: 5000,
    publishGapMs: 0,
    dataDir: path.join(root, 'data'),
    restartTimeoutSec: 3600,
    badCredentialsRetrySec: 600,
    backoff: { initialMs: 50, maxMs: 400, stableMs: 60_000 },
    now: () => Date.parse('2018-01-02T03:04:05Z'),
    ...over,
  };
}

function waitState(agent: HdcAgent, state: string): Promise<void> {
  if (agent.currentStatus.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent not ${state} within 5 s`)), 5000);
    const on = (st: { state: string }): void => {
      if (st.state !== state) return;
      clearTimeout(t);
      agent.off('status', on);
      resolve();
    };
    agent.on('status', on);
  });
}

describe('HdcAgent against the HDC simulator', { timeout: 60_000 }, () => {
  let pki: TestPki;
  let sim: HdcSimulator;
  let root: string;
  let agent: HdcAgent | undefined;

  before(async () => {
    pki = createTestPki();
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'hdc-agent-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await sim.stop();
  });

  async function up(over: Partial<HdcAgentConfig> = {}): Promise<HdcAgent> {
    sim = await HdcSimulator.start({ pki });
    const a = new HdcAgent(config(sim, root, over), new MemoryOutbox({ maxBytes: 1 << 20 }));
    agent = a;
    a.start();
    await waitState(a, 'connected');
    return a;
  }

  it('H1 connects with the thing key as client id and user, the token as password, and never subscribes', async () => {
    await up();
    assert.deepEqual(sim.connects.at(-1), { clientId: K, username: K, returnCode: 0, via: 'tcp' });
    await sim.waitFor(() => sim.requests.some((r) => r.commands[0]?.command === 'mailbox.check'), 5000, 'the mailbox check after connect');
    assert.deepEqual(sim.subscriptions, []);
  });

  it('is refused with CONNACK 5 for a wrong app token and shows it after repeated refusals', async () => {
    sim = await HdcSimulator.start({ pki });
    const a = new HdcAgent(config(sim, root, { token: 'WRONG' }), new MemoryOutbox({ maxBytes: 1 << 20 }));
    agent = a;
    a.start();
    await waitState(a, 'not-authorized');
    assert.ok(sim.connects.length >= 5);
    assert.ok(sim.connects.every((c) => c.returnCode === 5));
  });

  it('H2/H4/H5/H6/H7 publishes telemetry, attributes, alarms, locations and logs as TR50 batches', async () => {
    const a = await up();
    const t = new Date('2018-01-02T03:04:05Z');
    await a.sendMeasurement({ time: t, series: [{ fragment: 'env', series: 'temp', value: 21.5 }] });
    await a.sendAttributes({ os_name: 'Linux' }, t);
    await a.sendAlarm({ action: 'raise', type: 'door', severity: 'WARNING', text: 'open', time: t });
    await a.sendLocation({ lat: 45.35, lng: -75.91, time: t });
    await a.sendEvent({ type: 'log', text: 'a', time: t });
    await sim.waitFor(() => sim.logs.length === 1 && sim.locations.length === 1 && sim.alarms.length === 1, 5000, 'all records');
    assert.deepEqual(sim.properties, [{ key: 'temp', value: 21.5, ts: '2018-01-02T03:04:05.000000Z' }]);
    assert.deepEqual(sim.attributes, [{ key: 'os_name', value: 'Linux', ts: '2018-01-02T03:04:05.000000Z' }]);
    assert.deepEqual(sim.alarms, [{ key: 'door', state: 1, msg: 'open' }]);
    assert.equal(sim.locations[0]?.['heading'], null);
    const prop = sim.requests.find((r) => r.commands[0]?.command === 'property.batch');
    assert.match(prop?.topic ?? '', /^api\/\d{4}$/);
    assert.ok(prop?.raw.includes('"corrid":null'));
    // Numbers rise by one per request on this connection.
    const ns = sim.requests.map((r) => r.n);
    assert.deepEqual(
      ns,
      ns.map((_, i) => i + 1),
    );
    assert.deepEqual(sim.errors, []);
  });

  it('H8/H9 answers ping from the mailbox with its out params; H10 unknown method 12; H11 disabled 18', async () => {
    await up();
    const ping = sim.execMethod('ping');
    assert.deepEqual(await sim.waitAck(ping), {
      errorCode: 0,
      errorMessage: '',
      params: { response: 'acknowledged', time_stamp: '2018-01-02 03:04:05' },
    });
    const nope = sim.execMethod('nope');
    assert.deepEqual(await sim.waitAck(nope), {
      errorCode: 12,
      errorMessage: 'ERROR: \'Action "nope" does not have a callback\'',
      params: undefined,
    });
    const reboot = sim.execMethod('reboot_device');
    assert.deepEqual(await sim.waitAck(reboot), {
      errorCode: 18,
      errorMessage: 'This method is disabled by its iot.cfg setting',
      params: undefined,
    });
    const check = sim.requests.find((r) => r.commands[0]?.command === 'mailbox.check');
    assert.equal(check?.raw, '{"1":{"command":"mailbox.check","params":{"autoComplete":false}}}');
    assert.deepEqual(sim.errors, []);
  });

  it('hands methods to a consumer and acks its outcome with out params or the failure code', async () => {
    const a = await up();
    const seen: TrackedOperation[] = [];
    const consumer: OperationConsumer = {
      fragments: ['echo', 'fail'],
      completeOnRestart: false,
      timeoutSec: 10,
      deliver: (t) => {
        seen.push(t);
        sim.emit('change');
      },
    };
    a.addConsumer(consumer);
    const echo = sim.execMethod('echo', { x: 1, s: 'hi' });
    await sim.waitFor(() => seen.length === 1, 5000, 'echo delivered');
    assert.deepEqual(seen[0]?.operation.params, { x: 1, s: 'hi' });
    assert.equal(a.report(seen[0]?.key ?? '', 'SUCCESSFUL', undefined, [JSON.stringify({ x: 1, s: 'hi' })]), undefined);
    assert.deepEqual(await sim.waitAck(echo), { errorCode: 0, errorMessage: '', params: { x: 1, s: 'hi' } });
    const f = sim.execMethod('fail');
    await sim.waitFor(() => seen.length === 2, 5000, 'fail delivered');
    a.report(seen[1]?.key ?? '', 'FAILED', '8: disk full');
    assert.deepEqual(await sim.waitAck(f), { errorCode: 8, errorMessage: 'disk full', params: undefined });
  });

  it('gives reboot_device only to a node that names it, and only when switched on; shutdown stays off', async () => {
    const a = await up({ allow: { reboot_device: true, shutdown_device: false, decommission_device: false } });
    const seen: TrackedOperation[] = [];
    const any: OperationConsumer = {
      fragments: ['*'],
      completeOnRestart: false,
      timeoutSec: 10,
      deliver: (t) => {
        seen.push(t);
        sim.emit('change');
      },
    };
    a.addConsumer(any);
    // A catch-all node does not take the dangerous methods.
    const r1 = sim.execMethod('reboot_device');
    assert.equal((await sim.waitAck(r1)).errorCode, 12);
    assert.equal(seen.length, 0);
    const named: OperationConsumer = { ...any, fragments: ['reboot_device', 'shutdown_device'] };
    a.addConsumer(named);
    const r2 = sim.execMethod('reboot_device');
    await sim.waitFor(() => seen.length === 1, 5000, 'reboot delivered');
    assert.equal(seen[0]?.operation.fragment, 'reboot_device');
    a.report(seen[0]?.key ?? '', 'SUCCESSFUL');
    assert.equal((await sim.waitAck(r2)).errorCode, 0);
    const s1 = sim.execMethod('shutdown_device');
    assert.deepEqual(await sim.waitAck(s1), {
      errorCode: 18,
      errorMessage: 'This method is disabled by its iot.cfg setting',
      params: undefined,
    });
    assert.equal(seen.length, 1, 'shutdown never reached the flow');
  });

  it('leaves a request waiting on a malformed reply and times it out; a later good reply is taken', async () => {
    const a = await up({ replyTimeoutMs: 1500 });
    await sim.waitFor(() => sim.requests.length >= 1, 5000, 'the first mailbox check');
    sim.withhold = true;
    const pending = a.requestOne({ command: 'diag.ping' }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await sim.waitFor(() => sim.requests.some((r) => r.commands[0]?.command === 'diag.ping'), 5000, 'the ping');
    const n = sim.requests.find((r) => r.commands[0]?.command === 'diag.ping')?.n ?? 0;
    sim.sendRaw(`reply/${String(n).padStart(4, '0')}`, '{"1":{"success":'); // cut short
    assert.match(await pending, /no reply to diag.ping/);
    assert.match(a.currentStatus.alert ?? '', /not JSON/);
    sim.withhold = false;
    const ok2 = await a.requestOne({ command: 'diag.ping' });
    assert.equal(ok2.success, true);
  });

  it('refuses bad input with an error answer where it can, turns red, and keeps working', async () => {
    const a = await up();
    const alerts: string[] = [];
    a.on('status', (s: { alert?: string }) => {
      if (s.alert) alerts.push(s.alert);
    });
    sim.sendRaw('reply/0099', '{"1":{"success":true}}'); // nobody waits for 99
    sim.sendRaw('notify/mailbox_activity', 'not json');
    sim.putRawMessage('bad1', { id: 'bad1', command: 'method.exec', thingKey: K, params: { params: {} } });
    assert.deepEqual(await sim.waitAck('bad1'), {
      errorCode: 2,
      errorMessage: 'ERROR: method.exec without a method name',
      params: undefined,
    });
    assert.ok(alerts.some((x) => /not JSON/.test(x)));
    assert.equal(a.strayReplies, 1);
    assert.equal(a.currentStatus.alert, 'ERROR: method.exec without a method name');
    const ping = sim.execMethod('ping');
    assert.equal((await sim.waitAck(ping)).errorCode, 0);
    assert.equal(a.currentStatus.alert, undefined, 'a good method clears the red status');
    // A duplicate of a reply already taken is ignored like an unknown id.
    const last = sim.requests.at(-1)?.n ?? 0;
    sim.sendRaw(`reply/${String(last).padStart(4, '0')}`, '{"1":{"success":true}}');
    // MQTT keeps order on the connection: the duplicate is handled before the next method's messages.
    const ping2 = sim.execMethod('ping');
    assert.equal((await sim.waitAck(ping2)).errorCode, 0);
    assert.equal(a.strayReplies, 2);
  });

  it('keeps an answer given while the cloud is away across a restart, and does not run the method twice', async () => {
    sim = await HdcSimulator.start({ pki });
    const dir = await fsp.mkdtemp(path.join(root, 'outbox-'));
    const seen: string[] = [];
    const consumer = (onDeliver: (t: TrackedOperation) => void): OperationConsumer => ({
      fragments: ['echo'],
      completeOnRestart: false,
      timeoutSec: 30,
      deliver: (t) => {
        seen.push(t.operation.id ?? '');
        onDeliver(t);
        sim.emit('change');
      },
    });
    const out1 = new DurableOutbox(dir, DEFAULT_DURABLE_OPTIONS);
    const a1 = new HdcAgent(config(sim, root), out1);
    agent = a1;
    let open: TrackedOperation | undefined;
    a1.addConsumer(consumer((t) => (open = t)));
    a1.start();
    await waitState(a1, 'connected');
    const id = sim.execMethod('echo', { n: 1 });
    await sim.waitFor(() => open !== undefined, 5000, 'the method delivered');
    await sim.pause();
    await waitState(a1, 'disconnected');
    assert.equal(a1.report(open?.key ?? '', 'SUCCESSFUL', undefined, ['{"n":1}']), undefined);
    await a1.stop();
    await out1.close();
    agent = undefined;
    // A new process: same outbox directory, a fresh agent and consumer.
    await sim.resume();
    const out2 = new DurableOutbox(dir, DEFAULT_DURABLE_OPTIONS);
    const a2 = new HdcAgent(config(sim, root), out2);
    agent = a2;
    a2.addConsumer(consumer(() => undefined));
    a2.start();
    assert.deepEqual(await sim.waitAck(id), { errorCode: 0, errorMessage: '', params: { n: 1 } });
    await sim.waitFor(
      () => sim.requests.filter((r) => r.commands[0]?.command === 'mailbox.check').length >= 2,
      5000,
      'the check after connect',
    );
    assert.deepEqual(seen, [id], 'delivered once');
    await a2.stop();
    agent = undefined;
    await out2.close();
  });

  it('H20 keeps records queued while the link is down and sends them after reconnect, numbering from 0001 again', async () => {
    const a = await up();
    await sim.waitFor(() => sim.requests.length >= 1, 5000, 'the first mailbox check');
    sim.withhold = true;
    sim.dropClient();
    await waitState(a, 'disconnected');
    const t = new Date('2018-01-02T03:04:05Z');
    for (const v of [1, 2, 3]) await a.sendMeasurement({ time: t, series: [{ fragment: 'env', series: 'temp', value: v }] });
    sim.withhold = false;
    await waitState(a, 'connected');
    await sim.waitFor(() => sim.properties.length >= 3, 5000, 'the queued values');
    assert.deepEqual(
      sim.properties.map((p) => p.value),
      [1, 2, 3],
    );
    const second = sim.requests.slice(1);
    assert.equal(second[0]?.n, 1, 'a new connection starts at 0001');
  });
});
