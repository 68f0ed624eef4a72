import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ALL_NODES, connectionNode, helper, nextMessage } from '../support/red';
import { DEVICE, nodeSuite } from '../support/node-suite';

describe('operation node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  it('emits an operation with its id, type, target device and parameters', async () => {
    await suite.load(
      [
        { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Message', timeout: '60', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
      'op',
    );
    const sim = suite.sim();
    const got = nextMessage(helper.getNode('out')!);
    const id = sim.createOperation(DEVICE, 'c8y_Message', { text: 'hello' }, 'Send message');
    const msg = await got;
    assert.equal(msg['topic'], 'c8y_Message');
    assert.deepEqual(msg['payload'], { text: 'hello' });
    const op = msg['operation'] as Record<string, unknown>;
    assert.equal(op['id'], id);
    assert.equal(op['deviceId'], DEVICE);
    assert.equal(op['connection'], 'conn');
    assert.equal(typeof op['key'], 'string');
  });

  it('with "*" takes operations no other node names', async () => {
    await suite.load(
      [
        { id: 'op1', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Restart', timeout: '60', wires: [['out1']] },
        { id: 'any', type: 'device-agent-operation', connection: 'conn', fragments: '*', timeout: '60', wires: [['out2']] },
        { id: 'out1', type: 'helper' },
        { id: 'out2', type: 'helper' },
      ],
      'any',
    );
    const got = nextMessage(helper.getNode('out2')!);
    suite.sim().createOperation(DEVICE, 'c8y_Custom', { x: 1 });
    assert.equal((await got)['topic'], 'c8y_Custom');
    // "*" is not an operation type: it is not in the supported operations list.
    assert.deepEqual(suite.sim().devices.get(DEVICE)?.supportedOperations, ['c8y_Restart']);
  });

  it('shows a red status and an error when no operation type is set', async () => {
    const sim = suite.sim();
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
    const flow = [node, { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: '  ', timeout: '60', wires: [[]] }];
    await helper.load(ALL_NODES, flow, credentials);
    const op = helper.getNode('op')!;
    // Both were raised during construction, so read them from the spies.
    const errors = (op.error as unknown as { callCount: number }).callCount;
    assert.ok(errors >= 1, 'node.error was called');
    const calls = (op.status as unknown as { args: [Record<string, unknown>][] }).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'red' && s['text'] === 'operation.status.config'));
  });

  it('shows a red status when it has no connection', async () => {
    const sim = suite.sim();
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEVICE });
    await helper.load(
      ALL_NODES,
      [node, { id: 'op', type: 'device-agent-operation', connection: 'nope', fragments: 'c8y_Restart', wires: [[]] }],
      credentials,
    );
    const op = helper.getNode('op')!;
    const calls = (op.status as unknown as { args: [Record<string, unknown>][] }).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'red' && s['text'] === 'operation.status.no-connection'));
  });
});
