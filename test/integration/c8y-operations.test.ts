/**
 * Operation round trips through Node-RED against the simulator (cumulocity.md §9): EXECUTING on
 * receipt, SUCCESSFUL/FAILED from the flow, timeouts, unsupported operations, static mode,
 * duplicates, redeploy, and restart operations completed in the next process.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { PROCESS_STARTED_AT } from '../../agent/operations';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, nextMessage, sleep, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-0002';

interface FlowOpts {
  fragments?: string;
  timeout?: string;
  mode?: 'id' | 'static';
  outcome?: string;
}

function flow(port: number, o: FlowOpts = {}): { flow: object[]; credentials: Record<string, object> } {
  const { node, credentials } = connectionNode({ port, deviceId: DEV, operationMode: o.mode ?? 'id' });
  return {
    credentials,
    flow: [
      node,
      {
        id: 'op',
        type: 'device-agent-operation',
        connection: 'conn',
        fragments: o.fragments ?? 'c8y_Command',
        timeout: o.timeout ?? '60',
        completeOnRestart: 'auto',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
      { id: 'st', type: 'device-agent-operation-status', outcome: o.outcome ?? 'auto', wires: [['done']] },
      { id: 'done', type: 'helper' },
    ],
  };
}

describe('operations through the flow (Cumulocity simulator)', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let dataDir: string;
  let cleanup: () => void;

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    ({ dataDir, cleanup } = useSettings());
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    cleanup();
  });

  async function loadAndConnect(o: FlowOpts = {}): Promise<void> {
    const f = flow(sim.port, o);
    await helper.load(ALL_NODES, f.flow, f.credentials);
    await sim.waitFor(() => sim.received.some((r) => r.clientId === DEV && r.payload.toString() === '500'), 5000, '500');
  }

  it('reports EXECUTING on receipt and SUCCESSFUL with the result the flow gives', async () => {
    await loadAndConnect();
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'uptime' });
    const msg = await got;
    assert.equal(msg['topic'], 'c8y_Command');
    assert.deepEqual(msg['payload'], { text: 'uptime' });
    assert.equal((msg['operation'] as { id: string }).id, id);
    await sim.waitFor(() => sim.operation(id)?.status === 'EXECUTING', 3000, 'EXECUTING');
    const done = nextMessage(helper.getNode('done')!);
    helper.getNode('st')!.receive({ ...msg, result: ' 10:00 up 3 days' });
    await done;
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL');
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
    assert.deepEqual(sim.operation(id)?.result, [' 10:00 up 3 days']);
  });

  it('sends the applied configuration (113) before SUCCESSFUL of c8y_Configuration', async () => {
    await loadAndConnect({ fragments: 'c8y_Configuration' });
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Configuration', { config: 'interval=10\nunit="C"' });
    const msg = await got;
    assert.deepEqual(msg['payload'], { config: 'interval=10\nunit="C"' });
    helper.getNode('st')!.receive({ ...msg, configuration: 'interval=10\nunit="C"' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL');
    assert.equal(sim.devices.get(DEV)?.config, 'interval=10\nunit="C"');
    const lines = sim.received.filter((r) => r.clientId === DEV).flatMap((r) => r.payload.toString().split(/\n(?=\d)/));
    const i113 = lines.findIndex((l) => l.startsWith('113,'));
    const i506 = lines.findIndex((l) => l.startsWith(`506,${id}`));
    assert.ok(i113 >= 0 && i113 < i506, lines.join(' | '));
  });

  it('reports FAILED with the error of a Catch node as the reason', async () => {
    await loadAndConnect();
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'rm -rf /' });
    const msg = await got;
    helper.getNode('st')!.receive({ ...msg, error: { message: 'command refused by policy' } });
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED');
    assert.equal(sim.operation(id)?.failureReason, 'command refused by policy');
  });

  it('reports FAILED with a reason when the flow says nothing before the timeout', async () => {
    await loadAndConnect({ timeout: '0.3' });
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'sleep 100' });
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED after timeout');
    assert.match(sim.operation(id)?.failureReason ?? '', /no status reported/);
  });

  it('reports an operation no node handles as FAILED "not supported"', async () => {
    await loadAndConnect();
    const id = sim.createOperation(DEV, 'c8y_Firmware', { name: 'os', version: '2', url: 'https://example.invalid/fw' });
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED');
    assert.match(sim.operation(id)?.failureReason ?? '', /not supported/);
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING', 'FAILED']);
  });

  it('refuses a second report for the same operation with an error', async () => {
    await loadAndConnect();
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'true' });
    const msg = await got;
    const st = helper.getNode('st')!;
    st.receive({ ...msg });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL');
    const err = new Promise<string>((resolve) => st.once('call:error', (c: { args: [Error] }) => resolve(c.args[0].message)));
    st.receive({ ...msg, status: 'FAILED', reason: 'late' });
    assert.equal(await err, 'operation-status.errors.not-open'); // test runtime: message keys untranslated
    assert.equal(sim.operation(id)?.status, 'SUCCESSFUL');
  });

  it('works with static templates: 510 on s/ds, 501 and 503 by fragment', async () => {
    await loadAndConnect({ mode: 'static', fragments: 'c8y_Restart' });
    assert.ok(sim.subscriptions(DEV).includes('s/ds'));
    assert.ok(!sim.subscriptions(DEV).includes('devicecontrol/notifications'));
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Restart', {});
    const msg = await got;
    assert.equal((msg['operation'] as { id?: string }).id, undefined);
    helper.getNode('st')!.receive({ ...msg, status: 'SUCCESSFUL' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL');
    const lines = sim.received.filter((r) => r.clientId === DEV).flatMap((r) => r.payload.toString().split('\n'));
    assert.ok(lines.includes('501,c8y_Restart') && lines.includes('503,c8y_Restart'));
  });

  it('hands an operation created while offline to the flow once, though the platform pushes it twice', async () => {
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'date' });
    const f = flow(sim.port);
    let count = 0;
    const loaded = helper.load(ALL_NODES, f.flow, f.credentials);
    await loaded;
    helper.getNode('out')!.on('input', () => (count += 1));
    await sim.waitFor(() => sim.operation(id)?.status === 'EXECUTING', 3000, 'EXECUTING');
    await sleep(300); // the answer to 500 arrives after the push on subscribe
    const pushes = sim.sent.filter((s) => s.clientId === DEV && s.payload.includes(`"id":"${id}"`)).length;
    assert.ok(pushes >= 2, `the simulator pushed it ${pushes} times`);
    assert.ok(count <= 1, `flow got it ${count} times`);
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING']);
  });

  it('fails an open operation when the flow is redeployed, so it does not stay EXECUTING', async () => {
    await loadAndConnect();
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'long job' });
    await got;
    await helper.unload();
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED on redeploy');
    assert.match(sim.operation(id)?.failureReason ?? '', /redeployed/);
  });

  it('persists a restart operation and reports SUCCESSFUL in the next process', async () => {
    await loadAndConnect({ fragments: 'c8y_Restart' });
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEV, 'c8y_Restart', {});
    await got;
    const file = path.join(dataDir, '127.0.0.1', DEV, 'operations.json');
    assert.ok(fs.existsSync(file), 'restart marker written before the flow got the operation');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    // The device restarts: Node-RED stops without the flow reporting anything.
    await helper.unload();
    await sleep(200);
    assert.equal(sim.operation(id)?.status, 'EXECUTING', 'a restart operation is not failed on stop');
    // Pretend the marker was written by the previous process (this test runs in one process).
    const markers = JSON.parse(fs.readFileSync(file, 'utf8')) as { since: number }[];
    for (const m of markers) m.since = PROCESS_STARTED_AT - 1000;
    fs.writeFileSync(file, JSON.stringify(markers));
    await loadAndConnect({ fragments: 'c8y_Restart' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL after restart');
    assert.ok(!fs.existsSync(file), 'marker removed once reported');
  });

  it('shows the connection status under the operation node', async () => {
    const f = flow(sim.port);
    await helper.load(ALL_NODES, f.flow, f.credentials);
    await statusMatching(helper.getNode('op')!, (s) => s['fill'] === 'green');
  });
});
