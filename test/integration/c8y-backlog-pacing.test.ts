/**
 * After an outage the connection drains what it queued at no more than its backlog rate
 * (cumulocity.md §1.2, §5 step 8): a device back from a long outage must not trip the tenant's
 * rate limit. Each queued event here is big enough to need a publish of its own, so the pacing is
 * visible in the arrival times at the simulator; live records after the backlog are not paced.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-backlog';
const BIG = 'x'.repeat(9000); // two of these do not fit one 16 000-byte publish

describe('backlog pacing after an outage (Cumulocity)', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let cleanup: () => void;

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
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

  /** Queues six big events offline, reconnects, and returns the arrival times of the six publishes (ms after the first). */
  async function drain(drainRate: string): Promise<number[]> {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, drainRate });
    await helper.load(
      ALL_NODES,
      [node, { id: 'e', type: 'device-agent-event', connection: 'conn', eventType: 'c8y_Big', wires: [[]] }],
      credentials,
    );
    const e = helper.getNode('e')!;
    await statusMatching(e, (s) => s['fill'] === 'green');
    await sim.pause();
    await statusMatching(e, (s) => s['fill'] !== 'green');
    for (let i = 0; i < 6; i += 1) e.receive({ payload: `${i} ${BIG}` });
    await statusMatching(e, (s) => s['text'] === 'connection.status.queued', 4000);
    await sim.resume();
    await sim.waitFor(() => sim.events.filter((x) => x.type === 'c8y_Big').length === 6, 20_000, 'six big events');
    assert.deepEqual(
      sim.events.filter((x) => x.type === 'c8y_Big').map((x) => x.text.slice(0, 2)),
      ['0 ', '1 ', '2 ', '3 ', '4 ', '5 '],
      'in order',
    );
    const times = sim.received.filter((r) => r.clientId === DEV && r.payload.toString().startsWith('400,c8y_Big')).map((r) => r.at);
    assert.equal(times.length, 6, 'one publish per big event');
    return times.map((t) => t - (times[0] ?? t));
  }

  it('drains the backlog at the configured rate: 2 publishes/s after a burst of 2', async () => {
    const t = await drain('2');
    // Publishes 3 to 6 wait for tokens: at least 0.5, 1.0, 1.5, 2.0 s after the burst.
    assert.ok((t[5] ?? 0) >= 1800, `the sixth publish came ${t[5]} ms after the first`);
    assert.ok((t[2] ?? 0) >= 400, `the third publish came ${t[2]} ms after the first`);
  });

  it('with rate 0 the backlog goes at once', async () => {
    const t = await drain('0');
    assert.ok((t[5] ?? Infinity) < 1000, `unpaced, the sixth publish came ${t[5]} ms after the first`);
  });
});
