/**
 * Issue 4 fault test: 10 000 records queued while the platform is unreachable, Node-RED killed
 * with SIGKILL, started again on the same user directory: every record arrives, in order.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeFrames } from '../../transport/frame';
import { CumulocitySimulator } from '../sim/simulator';
import { redProcess, type RedProcess } from '../support/red-process';

const DEV = 'rpi-kill';
const N = 10_000;

/** Records written to the telemetry log of the (only) outbox under the user directory. */
function recordsOnDisk(userDir: string): number {
  const root = path.join(userDir, 'device-agent', 'outbox');
  if (!fs.existsSync(root)) return 0;
  let n = 0;
  for (const store of fs.readdirSync(root)) {
    for (const f of fs.readdirSync(path.join(root, store))) {
      if (f.startsWith('telemetry-')) n += decodeFrames(fs.readFileSync(path.join(root, store, f))).records.length;
    }
  }
  return n;
}

describe('outbox across kill -9', { timeout: 180_000 }, () => {
  let sim: CumulocitySimulator;
  let red: RedProcess;

  before(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'kill-pw');
    const flows = [
      { id: 't', type: 'tab', label: 'kill' },
      {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'cumulocity',
        host: '127.0.0.1',
        port: String(sim.port),
        protocol: 'mqtt',
        tenant: 't12345',
        deviceId: DEV,
        authMode: 'basic',
        credentialsFrom: 'env',
        userEnv: 'T_USER',
        passwordEnv: 'T_PASSWORD',
      },
      {
        id: 'go',
        type: 'inject',
        z: 't',
        once: true,
        onceDelay: '0.5',
        repeat: '',
        props: [{ p: 'payload' }],
        payload: '',
        payloadType: 'date',
        wires: [['gen']],
      },
      {
        id: 'gen',
        type: 'function',
        z: 't',
        outputs: 1,
        func: `if (env.get('PRODUCE') !== '1') return null;\nfor (let i = 1; i <= ${N}; i++) node.send({ payload: i });\nreturn null;`,
        wires: [['m']],
      },
      {
        id: 'm',
        type: 'device-agent-measurement',
        z: 't',
        connection: 'conn',
        fragment: 'c8y_Counter',
        series: 'n',
        value: 'payload',
        valueType: 'msg',
        wires: [[]],
      },
    ];
    red = await redProcess(flows, { deviceAgentBackoff: { initialMs: 100, maxMs: 1000, stableMs: 60_000 } });
  });

  after(async () => {
    await red.dispose();
    await sim.stop();
  });

  it('delivers all 10 000 queued records after SIGKILL and a restart, in order', async () => {
    await sim.pause(); // the platform is unreachable while the records are produced
    const env = { T_USER: `device_${DEV}`, T_PASSWORD: 'kill-pw' };
    red.start({ ...env, PRODUCE: '1' });
    for (let i = 0; i < 240 && recordsOnDisk(red.dir) < N; i += 1) await new Promise((r) => setTimeout(r, 250));
    assert.equal(recordsOnDisk(red.dir), N, `records on disk before the kill\n${red.log()}`);
    await red.kill();

    red.start({ ...env, PRODUCE: '0' });
    await sim.resume();
    await sim.waitFor(
      () => new Set(sim.measurements.map((m) => m.series[0]?.value)).size >= N,
      120_000,
      `all ${N} delivered\n${red.log()}`,
    );
    const values = sim.measurements.map((m) => m.series[0]?.value ?? 0);
    const seen = new Set(values);
    for (let i = 1; i <= N; i += 1) assert.ok(seen.has(i), `record ${i} lost`);
    const duplicates = values.length - seen.size;
    assert.ok(duplicates <= N / 100, `${duplicates} duplicates`);
    // In order: the first arrival of each value is increasing.
    let last = 0;
    for (const v of values) {
      if (v > last) {
        assert.equal(v, last + 1, 'no record overtakes an older one');
        last = v;
      }
    }
    assert.doesNotMatch(red.log(), /\[error\]/);
  });
});
