/**
 * examples/cumulocity-basic.json as shipped (only the sensor interval shortened), configured
 * purely by environment variables, against the simulator.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CumulocitySimulator } from '../sim/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, useSettings } from '../support/red';
import { setC8yEnv } from '../support/env';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'cumulocity-basic.json');
const DEV = 'example-pi';

describe('example cumulocity-basic.json', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    restoreEnv = setC8yEnv(sim.port, DEV, 'example-pw');
    cleanup = useSettings().cleanup;
    await helper.startServer();
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    for (const n of flow) if (n['type'] === 'inject') n['repeat'] = '0.1';
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
    assert.doesNotMatch(text, /"(password|credentials)"\s*:/);
    assert.match(text, /"credentialsFrom": "env"/);
  });

  it('connects with the settings from the environment and declares its operations', async () => {
    await sim.waitFor(() => (sim.devices.get(DEV)?.supportedOperations.length ?? 0) > 0, 8000, 'device with 114');
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations.slice().sort(), ['c8y_Message', 'c8y_Restart']);
  });

  it('sends measurements whose counter series has no gap', async () => {
    await sim.waitFor(() => sim.measurements.length >= 10, 8000, '10 measurements');
    const counters = sim.measurements.map((m) => m.series.find((s) => s.series === 'counter')?.value);
    assert.deepEqual(counters.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const t = sim.measurements[0]!.series.find((s) => s.series === 'T');
    assert.equal(t?.unit, 'C');
  });

  it('raises the temperature alarm above the threshold and clears it below', async () => {
    await sim.waitFor(() => sim.alarms.some((a) => a.type === 'c8y_TemperatureAlarm'), 10_000, 'alarm raised');
    await sim.waitFor(() => sim.alarms.some((a) => a.type === 'c8y_TemperatureAlarm' && a.status === 'CLEARED'), 15_000, 'alarm cleared');
  });

  it('handles c8y_Restart with a simulated restart: EXECUTING then SUCCESSFUL', async () => {
    const id = sim.createOperation(DEV, 'c8y_Restart', {});
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 8000, 'restart SUCCESSFUL');
    assert.deepEqual(sim.operation(id)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
  });

  it('turns c8y_Message into an event and reports SUCCESSFUL', async () => {
    const id = sim.createOperation(DEV, 'c8y_Message', { text: 'Hello device' });
    await sim.waitFor(() => sim.operation(id)?.status === 'SUCCESSFUL', 5000, 'message SUCCESSFUL');
    assert.ok(sim.events.some((e) => e.type === 'c8y_MessageReceived' && e.text === 'Hello device'));
  });

  it('reports an unknown operation FAILED with a reason', async () => {
    const id = sim.createOperation(DEV, 'c8y_Teleport', { to: 'mars' });
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 5000, 'FAILED');
    assert.equal(sim.operation(id)?.failureReason, 'operation c8y_Teleport is not supported by this device');
  });

  it('reports a c8y_Message without text FAILED through the Catch node', async () => {
    const id = sim.createOperation(DEV, 'c8y_Message', {});
    await sim.waitFor(() => sim.operation(id)?.status === 'FAILED', 5000, 'FAILED');
    assert.ok((sim.operation(id)?.failureReason ?? '').length > 0);
  });
});
