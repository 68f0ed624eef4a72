// The libpyiotcloud simulator's own tests (libpyiotcloud.md §7 checklist) with raw mqtt.js clients.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { createTestPki } from '../../sim/certs';
import { ClientPool } from '../../sim/clients';
import { DeviceNotRunning, LibpyiotcloudSimulator } from '../../sim-libpyiotcloud/simulator';

const D = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';
const LOGIN = { clientId: D, username: 'guest', password: 'guest' };

/** A device that answers every request with `answer`, `times` times, after `delayMs`. */
async function device(
  pool: ClientPool,
  url: string,
  answer: (api: string, body: string) => unknown,
  delayMs = 0,
  times = 1,
  opts = {},
): Promise<MqttClient> {
  const c = await pool.open(url, { ...LOGIN, ...opts });
  await c.subscribeAsync(`${D}/#`, { qos: 1 });
  c.on('message', (topic, payload) => {
    const api = topic.slice(D.length + 1);
    setTimeout(() => {
      for (let i = 0; i < times; i += 1)
        c.publish(`server/${topic}`, JSON.stringify(answer(api, payload.toString())), { qos: 1 }, () => undefined);
    }, delayMs);
  });
  return c;
}

async function withSim(body: (sim: LibpyiotcloudSimulator, pool: ClientPool) => Promise<void>, opts = {}): Promise<void> {
  const sim = await LibpyiotcloudSimulator.start(opts);
  const pool = new ClientPool();
  try {
    await body(sim, pool);
  } finally {
    await pool.closeAll();
    await sim.stop();
  }
}

const url = (sim: LibpyiotcloudSimulator): string => `mqtt://127.0.0.1:${sim.port}`;

describe('libpyiotcloud simulator', { timeout: 30_000 }, () => {
  it('refuses a client id that is not a device id (2) and bad credentials (4)', async () => {
    await withSim(async (sim, pool) => {
      assert.equal(await pool.connack(url(sim), { ...LOGIN, clientId: 'ft900device1' }), 2);
      assert.equal(await pool.connack(url(sim), { ...LOGIN, password: 'nope' }), 4);
      assert.equal(await pool.connack(url(sim), LOGIN), 0);
    });
  });

  it('makes a request like the cloud and times the reply', async () => {
    await withSim(async (sim, pool) => {
      await device(pool, url(sim), (api) => (api === 'get_status' ? { status: 'running' } : {}));
      const r = await sim.getStatus();
      assert.deepEqual(r.payload, { status: 'running' });
      assert.ok(r.ms >= 0 && r.ms < 1000);
      assert.deepEqual(
        sim.frames.map((f) => [f.topic, f.qos, f.retain]),
        [[`server/${D}/get_status`, 1, false]],
      );
      assert.deepEqual(sim.errors, []);
    });
  });

  it('gives up after the deadline ("Device is not running!") and flags the late reply', async () => {
    await withSim(
      async (sim, pool) => {
        await device(pool, url(sim), () => ({ status: 'running' }), 400);
        await assert.rejects(sim.getStatus(), DeviceNotRunning);
        await sim.waitFor(() => sim.errors.length > 0, 2000, 'late reply flagged');
        assert.match(sim.errors[0] ?? '', /late reply/);
      },
      { deadlineMs: 200 },
    );
  });

  it('flags a second reply to one request', async () => {
    await withSim(async (sim, pool) => {
      await device(pool, url(sim), () => ({ value: 1 }), 0, 2);
      await sim.getRtc();
      await sim.waitFor(() => sim.errors.some((e) => e.includes('second')), 2000, 'second reply flagged');
    });
  });

  it('serialises requests per API and runs different APIs in parallel', async () => {
    await withSim(async (sim, pool) => {
      const seen: string[] = [];
      const c = await pool.open(url(sim), LOGIN);
      await c.subscribeAsync(`${D}/#`, { qos: 1 });
      c.on('message', (topic, payload) => {
        seen.push(`${topic.slice(D.length + 1)}:${payload.toString()}`);
        setTimeout(() => c.publish(`server/${topic}`, payload.toString(), { qos: 1 }, () => undefined), 150);
      });
      const a = sim.setGpio(1, 1);
      const b = sim.setGpio(2, 1);
      const other = sim.getRtc();
      await sim.waitFor(() => seen.length >= 2, 1000, 'two requests out');
      // The second set_gpio waits for the first reply; get_rtc went out at once.
      assert.deepEqual(seen.slice(0, 2).sort(), ['get_rtc:{}', 'set_gpio:{"number":1,"value":1}']);
      await Promise.all([a, b, other]);
      assert.equal(seen[2], 'set_gpio:{"number":2,"value":1}');
    });
  });

  it('flags retained and stray device publishes', async () => {
    await withSim(async (sim, pool) => {
      const c = await pool.open(url(sim), LOGIN);
      await c.publishAsync(`server/${D}/get_status`, '{}', { qos: 1, retain: true });
      await c.publishAsync('elsewhere', '{}', { qos: 1 });
      await sim.waitFor(() => sim.errors.length >= 3, 2000, 'errors');
      assert.ok(sim.errors.some((e) => e.includes('retained')));
      assert.ok(sim.errors.some((e) => e.includes('outside')));
    });
  });

  it('requires a client certificate from the CA on its TLS listener when asked', async () => {
    const pki = createTestPki();
    const tls = { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, requireClientCert: true };
    await withSim(
      async (sim, pool) => {
        const tlsUrl = `mqtts://127.0.0.1:${sim.tlsPort ?? 0}`;
        assert.equal(await pool.connack(tlsUrl, { ...LOGIN, ca: pki.ca.cert }), 5);
        const dev = pki.client('ft900device1'); // CN = the device *name* (§1)
        assert.equal(await pool.connack(tlsUrl, { ...LOGIN, ca: pki.ca.cert, cert: dev.cert, key: dev.key }), 0);
      },
      { tls },
    );
  });

  it('survives a broker restart on the same port', async () => {
    await withSim(async (sim, pool) => {
      await sim.pause();
      await sim.resume();
      await device(pool, url(sim), () => ({ status: 'running' }));
      assert.deepEqual((await sim.getStatus()).payload, { status: 'running' });
    });
  });
});
