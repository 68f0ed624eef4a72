import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { helper, nextMessage } from '../support/red';
import { DEVICE, errorFor, nodeSuite } from '../support/node-suite';

const nodes = (outcome = 'auto'): object[] => [
  { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Command', timeout: '60', wires: [['out']] },
  { id: 'out', type: 'helper' },
  { id: 'st', type: 'device-agent-operation-status', outcome, wires: [['done']] },
  { id: 'done', type: 'helper' },
];

describe('operation status node', { timeout: 30_000 }, () => {
  const suite = nodeSuite();

  async function operation(): Promise<{ msg: Record<string, unknown>; id: string }> {
    const got = nextMessage(helper.getNode('out')!);
    const id = suite.sim().createOperation(DEVICE, 'c8y_Command', { text: 'ls' });
    return { msg: await got, id };
  }

  it('reports FAILED with the configured outcome and msg.reason', async () => {
    await suite.load(nodes('FAILED'), 'op');
    const { msg, id } = await operation();
    const done = nextMessage(helper.getNode('done')!);
    helper.getNode('st')!.receive({ ...msg, reason: 'no shell here' });
    await done;
    const sim = suite.sim();
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED');
    assert.equal(sim.operation(id)?.failureReason, 'no shell here');
  });

  it('reports msg.status from the message when the outcome is automatic', async () => {
    await suite.load(nodes(), 'op');
    const { msg, id } = await operation();
    helper.getNode('st')!.receive({ ...msg, status: 'failed', reason: 'nope' });
    const sim = suite.sim();
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 3000, 'FAILED');
  });

  for (const [what, msg] of [
    ['a message without msg.operation', { payload: 1 }],
    ['an operation of a connection that does not exist', { operation: { key: 'k', connection: 'gone' } }],
    ['an unknown operation key', { operation: { key: 'no-such-op', connection: 'conn' } }],
  ] as const) {
    it(`refuses ${what} with an error`, async () => {
      await suite.load(nodes(), 'op');
      const err = await errorFor(helper.getNode('st')!, { ...msg });
      assert.ok(err.message.startsWith('operation-status.errors.'), err.message);
    });
  }

  it('refuses a status that is neither SUCCESSFUL nor FAILED and leaves the operation open', async () => {
    await suite.load(nodes(), 'op');
    const { msg, id } = await operation();
    const err = await errorFor(helper.getNode('st')!, { ...msg, status: 'DONE-ISH' });
    assert.equal(err.message, 'operation-status.errors.bad-status');
    await suite.sim().waitFor(() => suite.sim().operation(id)?.status === 'EXECUTING', 3000, 'EXECUTING');
    helper.getNode('st')!.receive({ ...msg, status: 'SUCCESSFUL' });
    const sim = suite.sim();
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'SUCCESSFUL after the bad one');
  });
});
