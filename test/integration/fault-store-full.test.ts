/**
 * Issue 4 fault tests through Node-RED: a full store drops the oldest telemetry but never an
 * operation status, counts the drops in the status and tells the platform; an oversize record
 * is refused before it is queued and the queue keeps flowing.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, nextMessage, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-full';

describe('outbox bound and oversize records', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let cleanup: () => void;

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    cleanup = useSettings({ deviceAgentOutbox: { maxBytes: 48 * 1024, segmentBytes: 8 * 1024 } }).cleanup;
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      ALL_NODES,
      [
        node,
        { id: 'm', type: 'device-agent-measurement', connection: 'conn', fragment: 'c8y_Counter', series: 'n', wires: [[]] },
        { id: 'e', type: 'device-agent-event', connection: 'conn', eventType: 'c8y_Note', text: 'payload', textType: 'msg', wires: [[]] },
        { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Command', timeout: '600', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'st', type: 'device-agent-operation-status', outcome: 'SUCCESSFUL', wires: [[]] },
      ],
      credentials,
    );
    await statusMatching(helper.getNode('m')!, (s) => s['fill'] === 'green');
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    cleanup();
  });

  it('drops the oldest telemetry when full, keeps every status, and reports the drops', async () => {
    // Three operations reach the flow while connected …
    const msgs: Record<string, unknown>[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const got = nextMessage(helper.getNode('out')!);
      ids.push(sim.createOperation(DEV, 'c8y_Command', { text: `job ${i}` }));
      msgs.push(await got);
    }
    const m = helper.getNode('m')!;
    await sim.pause();
    // … the platform goes away, the flow reports them done, and telemetry floods the store.
    for (const msg of msgs) helper.getNode('st')!.receive(msg);
    const N = 4000;
    const dropsShown = statusMatching(m, (s) => s['text'] === 'connection.status.queued-dropped', 15_000);
    for (let i = 1; i <= N; i += 1) m.receive({ payload: i });
    await dropsShown;
    await sim.resume();
    await sim.waitFor(() => ids.every((id) => sim.operation(id)?.status === 'SUCCESSFUL'), 15_000, 'every status delivered');
    await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_OutboxOverflow'), 15_000, 'overflow event');
    await sim.waitFor(() => sim.measurements.some((x) => x.series[0]?.value === N), 15_000, 'newest record');
    const values = sim.measurements.map((x) => x.series[0]?.value ?? 0);
    assert.ok(values.length < N, 'some telemetry was dropped');
    // What arrived is the newest part, contiguous and in order.
    const first = values[0] ?? 0;
    assert.deepEqual(
      values,
      Array.from({ length: N - first + 1 }, (_, i) => first + i),
    );
    const text = sim.events.find((e) => e.type === 'c8y_OutboxOverflow')?.text ?? '';
    assert.equal(Number(text.split(' ')[0]), first - 1, `the event counts exactly the dropped records: ${text}`);
  });

  it('refuses an oversize record before it is queued and keeps the queue flowing', async () => {
    const e = helper.getNode('e')!;
    const refused = new Promise<unknown>((resolve) => e.once('call:error', (c: { args: unknown[] }) => resolve(c.args[0])));
    e.receive({ payload: 'x'.repeat(17_000) });
    assert.ok((await refused) instanceof Error);
    e.receive({ payload: 'small and fine' });
    await sim.waitFor(() => sim.events.some((x) => x.text === 'small and fine'), 5000, 'next record delivered');
    assert.ok(!sim.events.some((x) => x.text.startsWith('xxx')));
    assert.ok(sim.connected(DEV));
  });
});
