/**
 * Malformed downstream lines (cumulocity.md §3.1 rule 4, §6.2 parsing rules): the agent warns,
 * refuses what it can name with FAILED, keeps the session, and later operations still work.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, sleep, useSettings, type TestNode } from '../support/red';

const DEV = 'rpi-bad';

function upLines(sim: CumulocitySimulator): string[] {
  return sim.received.filter((r) => r.clientId === DEV).flatMap((r) => r.payload.toString('utf8').split('\n'));
}

function warnings(node: TestNode): string[] {
  const out: string[] = [];
  node.on('call:warn', (c: { args: unknown[] }) => out.push(String(c.args[0])));
  return out;
}

describe('malformed downstream messages', { timeout: 30_000 }, () => {
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

  async function load(mode: 'id' | 'static'): Promise<TestNode> {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, operationMode: mode });
    const flow = [
      node,
      { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Command', timeout: '60', wires: [['st']] },
      { id: 'st', type: 'device-agent-operation-status', outcome: 'SUCCESSFUL', wires: [[]] },
    ];
    await helper.load(ALL_NODES, flow, credentials);
    await sim.waitFor(() => upLines(sim).includes('500'), 5000, '500');
    return helper.getNode('conn')!;
  }

  it('fails an operation line with a missing mandatory field, naming the reason', async () => {
    await load('static');
    assert.ok(sim.sendRaw(DEV, 's/ds', `511,${DEV}`));
    await sim.waitFor(() => upLines(sim).some((l) => l.startsWith('502,c8y_Command,')), 3000, '502');
    const lines = upLines(sim);
    assert.ok(lines.indexOf('501,c8y_Command') < lines.findIndex((l) => l.startsWith('502,c8y_Command,')));
    assert.match(lines.find((l) => l.startsWith('502,c8y_Command,')) ?? '', /malformed operation/);
  });

  it('warns about an unterminated quoted field, dispatches nothing and keeps working', async () => {
    const conn = await load('static');
    const said = warnings(conn);
    assert.ok(sim.sendRaw(DEV, 's/ds', `511,${DEV},"unterminated`));
    await sleep(200);
    assert.ok(
      said.some((w) => w.includes('s/ds')),
      said.join('\n'),
    );
    assert.ok(!upLines(sim).some((l) => l.startsWith('501,')), 'nothing dispatched for the broken line');
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'uptime' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'next operation still handled');
  });

  it('warns about JSON it cannot parse on the notification topic and keeps working', async () => {
    const conn = await load('id');
    const said = warnings(conn);
    assert.ok(sim.sendRaw(DEV, 'devicecontrol/notifications', '{"id": "1", "c8y_Command": '));
    await sleep(200);
    assert.ok(
      said.some((w) => w.includes('devicecontrol/notifications')),
      said.join('\n'),
    );
    const id = sim.createOperation(DEV, 'c8y_Command', { text: 'uptime' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 3000, 'next operation still handled');
    assert.ok(sim.connected(DEV));
  });
});
