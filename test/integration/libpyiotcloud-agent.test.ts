// LibpyiotcloudAgent with simulated devices against the libpyiotcloud simulator on a real broker:
// vectors 1–19 of libpyiotcloud.md §6 end to end, bad input, the flow taking APIs over, replies
// that would come too late, the subscription after a broker restart, and TLS with a client cert.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LibpyiotcloudAgent, type LibpyiotcloudAgentConfig } from '../../agent/libpyiotcloud-agent';
import type { OperationConsumer } from '../../agent/operations';
import { BUILTIN_APIS } from '../../dialects/libpyiotcloud';
import { SimulatedClock } from '../../devices/clock/simulated';
import { SimulatedGpio } from '../../devices/gpio/simulated';
import { SimulatedNetwork } from '../../devices/network/simulated';
import { SimulatedUart } from '../../devices/uart/simulated';
import { MemoryOutbox } from '../../transport/outbox';
import { createTestPki } from '../sim/certs';
import { DeviceNotRunning, LibpyiotcloudSimulator } from '../sim-libpyiotcloud/simulator';

const D = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';

function config(url: string, root: string, over: Partial<LibpyiotcloudAgentConfig> = {}): LibpyiotcloudAgentConfig {
  return {
    url,
    host: '127.0.0.1',
    deviceId: D,
    username: 'guest',
    password: 'guest',
    keepaliveSec: 60,
    builtins: [...BUILTIN_APIS],
    uartMaxBytes: 64,
    replyDeadlineMs: 1000,
    devices: {
      gpio: new SimulatedGpio(root),
      uart: new SimulatedUart(root),
      network: new SimulatedNetwork(root),
      clock: new SimulatedClock(),
    },
    dataDir: path.join(root, 'data'),
    restartTimeoutSec: 3600,
    badCredentialsRetrySec: 600,
    backoff: { initialMs: 50, maxMs: 400, stableMs: 60_000 },
    ...over,
  };
}

async function connected(agent: LibpyiotcloudAgent): Promise<void> {
  if (agent.currentStatus.state === 'connected') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('agent not connected within 5 s')), 5000);
    const on = (st: { state: string }): void => {
      if (st.state !== 'connected') return;
      clearTimeout(t);
      agent.off('status', on);
      resolve();
    };
    agent.on('status', on);
  });
}

describe('libpyiotcloud agent against the simulator', { timeout: 60_000 }, () => {
  let sim: LibpyiotcloudSimulator;
  let agent: LibpyiotcloudAgent;
  let root: string;
  const warnings: string[] = [];

  before(async () => {
    sim = await LibpyiotcloudSimulator.start();
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-lpc-'));
    agent = new LibpyiotcloudAgent(config(`mqtt://127.0.0.1:${sim.port}`, root), new MemoryOutbox());
    agent.on('warning', (w: string) => warnings.push(w));
    agent.start();
    await connected(agent);
  });

  after(async () => {
    await agent.stop();
    await sim.stop();
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('subscribes <deviceid>/# at QoS 1 with the device id as client id and no will', () => {
    assert.deepEqual(
      sim.subscriptions.map((s) => [s.clientId, s.topic, s.qos]),
      [[D, `${D}/#`, 1]],
    );
    assert.equal(sim.connects.at(-1)?.returnCode, 0);
  });

  it('9, 10: get_status → running, set_status → restarting', async () => {
    assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
    assert.deepEqual((await sim.setStatus()).payload, { status: 'restarting' });
  });

  it('11, 2, 12: a pin never set reads 0; set_gpio 12 1; then it reads 1', async () => {
    assert.deepEqual((await sim.getGpio(12)).payload, { number: 12, value: 0 });
    assert.deepEqual((await sim.setGpio(12, 1)).payload, { number: 12, value: 1 });
    assert.deepEqual((await sim.getGpio(12)).payload, { number: 12, value: 1 });
    assert.equal((await fsp.readFile(path.join(root, 'sys/class/gpio/gpio12/value'), 'utf8')).trim(), '1');
  });

  it('3: set_gpio with "12" and "1" echoes the number as received and sets the value 1', async () => {
    assert.deepEqual((await sim.setGpio('13', '1')).payload, { number: '13', value: 1 });
    assert.deepEqual((await sim.getGpio(13)).payload, { number: 13, value: 1 });
  });

  it('13, 14: set_rtc echoes; the simulated clock runs on from the time set', async () => {
    assert.deepEqual((await sim.setRtc(1561939200)).payload, { value: 1561939200 });
    const v = (await sim.getRtc()).payload['value'];
    assert.ok(typeof v === 'number' && v >= 1561939200 && v <= 1561939202, String(v));
  });

  it('4, 15: write_uart echoes the text, which went out on the (simulated) line', async () => {
    assert.deepEqual((await sim.writeUart('Hello World!')).payload, { data: 'Hello World!' });
    assert.deepEqual((await sim.writeUart('hi')).payload, { data: 'hi' });
    assert.equal(await fsp.readFile(path.join(root, 'dev/ttySIM0'), 'utf8'), 'Hello World!hi');
  });

  it('16–19: IP, subnet, gateway and MAC of the default-route interface', async () => {
    assert.deepEqual((await sim.getIp()).payload, { value: '10.0.0.7' });
    assert.deepEqual((await sim.getSubnet()).payload, { value: '255.255.255.0' });
    assert.deepEqual((await sim.getGateway()).payload, { value: '10.0.0.1' });
    assert.deepEqual((await sim.getMac()).payload, { value: '02:42:0a:00:00:07' });
  });

  it('7: a request that is not JSON gets no reply, and the device keeps answering', async () => {
    await sim.expectNoReply('get_gpio', 'not json', 400);
    assert.ok(agent.badRequests >= 1);
    assert.ok(agent.currentStatus.alert);
    assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
    assert.equal(agent.currentStatus.alert, undefined);
  });

  it('get_status answers even to garbage (as the original did)', async () => {
    assert.deepEqual((await sim.call('get_status', 'garbage')).payload, { status: 'running' });
  });

  it('bad arguments are answered with an error in the API shape: pin out of range, bad value, oversize UART', async () => {
    assert.deepEqual(Object.keys((await sim.getGpio(99)).payload).sort(), ['error', 'number']);
    assert.match(String((await sim.setGpio(4, 7)).payload['error']), /0 or 1/);
    assert.match(String((await sim.writeUart('x'.repeat(65))).payload['error']), /65 bytes/);
    assert.match(String((await sim.call('write_uart', {})).payload['error']), /text/);
    assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
  });

  it('8: an API the device does not know is answered with an error when no flow takes it', async () => {
    assert.match(String((await sim.call('unknown_api', {})).payload['error']), /not supported/);
  });

  it('an operation node that names an API takes it over; "*" takes the unknown ones', async () => {
    const named: OperationConsumer = {
      fragments: ['set_status'],
      completeOnRestart: false,
      timeoutSec: 5,
      deliver: (t) => setImmediate(() => agent.report(t.key, 'SUCCESSFUL')),
    };
    const any: OperationConsumer = {
      fragments: ['*'],
      completeOnRestart: false,
      timeoutSec: 5,
      deliver: (t) => setImmediate(() => agent.report(t.key, 'SUCCESSFUL', undefined, [JSON.stringify({ value: t.operation.fragment })])),
    };
    agent.addConsumer(named);
    agent.addConsumer(any);
    try {
      assert.deepEqual((await sim.setStatus()).payload, { status: 'restarting' });
      assert.deepEqual((await sim.call('set_mac', { value: 'aa' })).payload, { value: 'set_mac' });
      // "*" does not take built-ins over.
      assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
    } finally {
      agent.removeConsumer(named);
      agent.removeConsumer(any);
    }
  });

  it('a flow that fails answers with an error; one that is too late is not answered at all', async () => {
    const failing: OperationConsumer = {
      fragments: ['fails'],
      completeOnRestart: false,
      timeoutSec: 5,
      deliver: (t) => setImmediate(() => agent.report(t.key, 'FAILED', 'no such thing')),
    };
    const slow: OperationConsumer = {
      fragments: ['slow'],
      completeOnRestart: false,
      timeoutSec: 5,
      deliver: (t) => setTimeout(() => agent.report(t.key, 'SUCCESSFUL'), 1300),
    };
    agent.addConsumer(failing);
    agent.addConsumer(slow);
    try {
      assert.deepEqual((await sim.call('fails', {})).payload, { error: 'no such thing' });
      const late = agent.lateReplies;
      await assert.rejects(sim.call('slow', {}), DeviceNotRunning);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(agent.lateReplies, late + 1, 'the late reply was dropped');
    } finally {
      agent.removeConsumer(failing);
      agent.removeConsumer(slow);
    }
  });

  it('answers 100 requests well inside the cloud window (round trip printed)', async () => {
    const ms: number[] = [];
    for (let i = 0; i < 100; i += 1) ms.push((await sim.getGpio(i % 28)).ms);
    ms.sort((a, b) => a - b);
    const p50 = ms[49] ?? 0;
    const p99 = ms[98] ?? 0;
    console.log(`libpyiotcloud round trip (agent test): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    assert.ok(p99 < 1000);
  });

  it('resubscribes after a broker restart and answers again', async () => {
    const subs = sim.subscribedCount();
    await sim.pause();
    await sim.resume();
    await sim.waitFor(() => sim.subscribedCount() > subs, 10_000, 'the subscription again');
    await connected(agent);
    assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
  });

  it('never published anything but one reply per request', () => {
    assert.deepEqual(sim.errors, []);
    assert.ok(sim.frames.every((f) => f.topic.startsWith(`server/${D}/`) && f.qos === 1 && !f.retain));
  });
});

describe('libpyiotcloud agent over TLS with a client certificate', { timeout: 60_000 }, () => {
  it('connects with CA, certificate and key and answers', async () => {
    const pki = createTestPki();
    const sim = await LibpyiotcloudSimulator.start({
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, requireClientCert: true },
    });
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-lpc-tls-'));
    const dev = pki.client('ft900device1');
    const agent = new LibpyiotcloudAgent(
      config(`mqtts://127.0.0.1:${sim.tlsPort ?? 0}`, root, { tls: { verifyServer: true, ca: pki.ca.cert, cert: dev.cert, key: dev.key } }),
      new MemoryOutbox(),
    );
    try {
      agent.start();
      await connected(agent);
      assert.equal(sim.connects.at(-1)?.authorizedCert, true);
      assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
    } finally {
      await agent.stop();
      await sim.stop();
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
