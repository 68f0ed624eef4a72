// The Trinity simulator's own tests (trinity.md §13 checklist) with raw mqtt.js clients and a
// password made here with node:crypto (not with our dialect).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ClientPool, closed, inbox } from '../../sim/clients';
import { createTestPki } from '../../sim/certs';
import { checkUplink } from '../../sim-trinity/grammar';
import { TrinitySimulator } from '../../sim-trinity/simulator';

const SECRET = '00112233445566778899aabbccddeeff';

function password(ts: number, secretHex = SECRET): string {
  const salt = Buffer.alloc(4);
  salt.writeUInt32LE(ts);
  return Buffer.concat([salt, createHash('sha1').update(salt).update(Buffer.from(secretHex, 'hex')).digest()]).toString('base64');
}

async function withSim(body: (sim: TrinitySimulator, pool: ClientPool, now: () => number) => Promise<void>, tls = false): Promise<void> {
  const clock = 1_700_000_000_000;
  const pki = tls ? createTestPki() : undefined;
  const sim = await TrinitySimulator.start({
    now: () => clock,
    ...(pki ? { tls: { key: pki.server.key, cert: pki.server.cert, requestCert: false } } : {}),
  });
  const pool = new ClientPool();
  try {
    await body(sim, pool, () => clock);
  } finally {
    await pool.closeAll();
    await sim.stop();
  }
}

const url = (sim: TrinitySimulator): string => `mqtt://127.0.0.1:${sim.port}`;
const good = (ts: number): { clientId: string; username: string; password: string } => ({
  clientId: 'AAA0123456789AB',
  username: '12345678AAA0123456789AB',
  password: password(ts),
});

describe('Trinity simulator', { timeout: 30_000 }, () => {
  it('accepts client id = HID, user = CID+HID and a fresh hashed password', async () => {
    await withSim(async (sim, pool, now) => {
      await pool.open(url(sim), good(Math.floor(now() / 1000)));
      assert.equal(sim.connections.at(-1)?.returnCode, 0);
      assert.equal(sim.connections.at(-1)?.passwordTs, 1700000000);
    });
  });

  it('refuses a wrong client id (2), user (4), digest (4), a stale time (5) and a replayed password (5)', async () => {
    await withSim(async (sim, pool, now) => {
      const ts = Math.floor(now() / 1000);
      assert.equal(await pool.connack(url(sim), { ...good(ts), clientId: 'OTHER' }), 2);
      assert.equal(await pool.connack(url(sim), { ...good(ts), username: '12345678' }), 4);
      assert.equal(await pool.connack(url(sim), { ...good(ts), password: password(ts, 'ff'.repeat(16)) }), 4);
      assert.equal(await pool.connack(url(sim), good(ts - 3600)), 5);
      assert.equal(await pool.connack(url(sim), good(ts + 1)), 0);
      assert.equal(await pool.connack(url(sim), good(ts + 1)), 5);
    });
  });

  it('records the subscription, sends commands as the server and matches the reply by TCT', async () => {
    await withSim(async (sim, pool, now) => {
      const c = await pool.open(url(sim), good(Math.floor(now() / 1000)));
      const box = inbox(c);
      await c.subscribeAsync(`${sim.prefix}/+/</#`, { qos: 1 });
      assert.deepEqual(sim.subscriptions, [`${sim.prefix}/+/</#`]);
      c.on('message', (_topic, payload) => {
        const cmd = JSON.parse(payload.toString()) as { c: [number, string, [string, ...number[]]] };
        const [, tct, [, ...args]] = cmd.c;
        c.publish(`${sim.prefix}/0/>/${tct}`, JSON.stringify({ x: [0, 0, args.reduce((a, b) => a + b, 0)] }), { qos: 1 }, () => undefined);
      });
      const r = await sim.command('my_app_id', 'sum_these', [1, 2, 3]);
      assert.deepEqual([r.code, r.result], [0, 6]);
      assert.equal(box.messages[0]?.topic, `${sim.prefix}/my_app_id/</000000000000000`);
      assert.deepEqual(sim.violations, []);
    });
  });

  it('flags every uplink a conforming device would not send', async () => {
    await withSim(async (sim, pool, now) => {
      const c = await pool.open(url(sim), good(Math.floor(now() / 1000)));
      await c.publishAsync(`${sim.prefix}/0/>`, '{"d": ["x", {}]}', { qos: 1 });
      await c.publishAsync(`${sim.prefix}/0/>`, '{"d": [0, {}, 1]}', { qos: 1 });
      await c.publishAsync(`${sim.prefix}/0/>`, '{"d": [0, {}]}', { qos: 0 });
      await c.publishAsync(`${sim.prefix}/0/>`, '{"e": [0, [[0, 1, "a"]]]}', { qos: 1, retain: true });
      await c.publishAsync(`${sim.prefix}/app/>/t`, '{"x": [0, 0]}', { qos: 1 });
      await c.publishAsync(`${sim.prefix}/0/<`, '{"d": [0, 1]}', { qos: 1 });
      await sim.waitFor(() => sim.violations.length >= 6, 3000, 'six violations');
      assert.equal(sim.violations.length, 6, sim.violations.join('\n'));
    });
  });

  it('publishes the will when the device is dropped without DISCONNECT', async () => {
    await withSim(async (sim, pool, now) => {
      const will = {
        topic: `${sim.prefix}/0/>`,
        payload: Buffer.from('{"e": [0, [[0, 101, "LWT Published"]]]}'),
        qos: 1 as const,
        retain: false,
      };
      const c = await pool.open(url(sim), { ...good(Math.floor(now() / 1000)), will });
      await sim.waitFor(() => sim.connected, 2000, 'device ready');
      const gone = closed(c);
      sim.dropDevice();
      await gone;
      await sim.waitFor(() => sim.events('0').some((e) => e.code === 101 && e.will), 3000, 'will');
      assert.deepEqual(sim.violations, []);
    });
  });

  it('queues QoS 1 commands for a persistent session (clean session false)', async () => {
    await withSim(async (sim, pool, now) => {
      const ts = Math.floor(now() / 1000);
      const first = await pool.open(url(sim), { ...good(ts), clean: false });
      await first.subscribeAsync(`${sim.prefix}/+/</#`, { qos: 1 });
      await first.endAsync();
      await sim.send('my_app_id', 'ping', [], { tct: '>q' });
      const again = await pool.open(url(sim), { ...good(ts + 1), clean: false });
      const got = new Promise<string>((resolve) => again.once('message', (_t, p) => resolve(p.toString())));
      assert.deepEqual(JSON.parse(await got), { c: [0, '>q', ['ping']] });
    });
  });

  it('listens with TLS too', async () => {
    await withSim(async (sim, pool, now) => {
      assert.ok(sim.tlsPort);
      await pool.open(`mqtts://127.0.0.1:${sim.tlsPort}`, { ...good(Math.floor(now() / 1000)), rejectUnauthorized: false });
    }, true);
  });

  it('its grammar takes d, e and x and refuses anything else', () => {
    assert.ok(checkUplink('{"d": [0, {"a": 1}]}').ok);
    assert.ok(checkUplink('{"x": [0, -19, "Unknown PID"]}').ok);
    for (const bad of ['{"c": [0, ["a"]]}', '{"e": [0, [[1, 2, "future"]]]}', '{"x": [0, "0"]}', '{}', 'x', '{"d": [1.5, 1]}']) {
      assert.equal(checkUplink(bad).ok, false, bad);
    }
  });
});
