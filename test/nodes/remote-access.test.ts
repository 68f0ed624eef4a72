/**
 * The remote-access node's own behaviour in the Node-RED runtime: off without an allow-list, the
 * operation offered with one, configuration errors. Tunnels end to end: test/integration/c8y-remote-access.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ALL_NODES, connectionNode, helper, statusMatching } from '../support/red';
import { DEVICE, nodeSuite } from '../support/node-suite';

const NODES: unknown[] = [...ALL_NODES, require('../../nodes/remote-access')];

type Spy = { args: [Record<string, unknown>][]; callCount: number };

describe('remote-access node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  async function load(ra: Record<string, unknown>): Promise<void> {
    const sim = suite.sim();
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
    await helper.load(
      NODES,
      [
        node,
        { id: 'ra', type: 'device-agent-remote-access', connection: 'conn', wires: [[]], ...ra },
        { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Restart', wires: [[]] },
      ],
      credentials,
    );
    await statusMatching(helper.getNode('op')!, (s) => s['fill'] === 'green');
    await sim.waitFor(() => (sim.devices.get(DEVICE)?.supportedOperations.length ?? 0) > 0, 5000, '114');
  }

  it('is off with an empty allow-list: the device does not offer remote access', async () => {
    await load({ allow: '  # nothing allowed yet\n' });
    assert.deepEqual(suite.sim().devices.get(DEVICE)?.supportedOperations, ['c8y_Restart']);
    const calls = (helper.getNode('ra')!.status as unknown as Spy).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'grey' && s['text'] === 'remote-access.status.disabled'));
  });

  it('offers c8y_RemoteAccessConnect once a target is allowed, and shows its tunnels', async () => {
    await load({ allow: '127.0.0.1:22' });
    await suite
      .sim()
      .waitFor(
        () => suite.sim().devices.get(DEVICE)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true,
        5000,
        '114 with c8y_RemoteAccessConnect',
      );
    const calls = (helper.getNode('ra')!.status as unknown as Spy).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'green' && s['shape'] === 'ring' && s['text'] === 'remote-access.status.tunnels'));
  });

  it('fails an operation without a connection key with a reason, before opening anything', async () => {
    await load({ allow: '127.0.0.1:22' });
    const sim = suite.sim();
    const id = sim.createOperation(DEVICE, 'c8y_RemoteAccessConnect', { hostname: '127.0.0.1', port: 22 });
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 5000, 'FAILED');
    assert.equal(sim.operation(id)?.failureReason, 'the operation carries no valid connection key');
  });

  it('shows a config error and reports it for a bad allow-list or bad numbers', async () => {
    for (const bad of [{ allow: '127.0.0.1' }, { allow: '127.0.0.1:22', maxTunnels: '0' }]) {
      const sim = suite.sim();
      const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
      await helper.load(
        NODES,
        [node, { id: 'ra', type: 'device-agent-remote-access', connection: 'conn', wires: [[]], ...bad }],
        credentials,
      );
      const ra = helper.getNode('ra')!;
      assert.ok((ra.error as unknown as Spy).callCount >= 1);
      assert.ok((ra.status as unknown as Spy).args.some(([s]) => s['fill'] === 'red' && s['text'] === 'remote-access.status.config'));
      await helper.unload();
    }
  });

  it('shows a red status without a connection', async () => {
    const sim = suite.sim();
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
    await helper.load(
      NODES,
      [node, { id: 'ra', type: 'device-agent-remote-access', connection: 'nope', allow: '127.0.0.1:22', wires: [[]] }],
      credentials,
    );
    const calls = (helper.getNode('ra')!.status as unknown as Spy).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'red' && s['text'] === 'remote-access.status.no-connection'));
  });
});
