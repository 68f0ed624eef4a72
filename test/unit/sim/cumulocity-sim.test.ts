// The Cumulocity simulator's connection side, driven by raw mqtt.js clients: auth, bootstrap,
// wills, keep-alive, takeover, outages and TLS client certificates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { createTestPki } from '../../sim/certs';
import { closed, delay, eventually, grants, inbox } from '../../sim/clients';
import { creds, device, publish, rawConnack, silentSession, withSim } from '../../sim/harness';

describe('Cumulocity simulator: connections', () => {
  it('accepts <tenant>/device_<id> with its password and answers 4 to a wrong password, user or tenant', () =>
    withSim({}, async (sim, pool) => {
      sim.addDeviceUser('dev1', 'secret');
      const url = sim.url();
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1', 'secret') }), 0);
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1', 'wrong') }), 4);
      assert.equal(await pool.connack(url, { clientId: 'dev1', username: 't12345/device_nobody', password: 'secret' }), 4);
      assert.equal(await pool.connack(url, { clientId: 'dev1', username: 't99999/device_dev1', password: 'secret' }), 4);
      await sim.waitFor(() => sim.connections.length === 4, 2000, 'four CONNACKs recorded');
      assert.deepEqual(
        sim.connections.map((c) => c.returnCode),
        [0, 4, 4, 4],
      );
      assert.equal(sim.connections[0]?.username, 't12345/device_dev1');
    }));

  it('refuses a ":" in the device part (2), clean=false and long 3.1 ids (5), and injects 3/5', () =>
    withSim({}, async (sim, pool) => {
      sim.addDeviceUser('dev1', 'pw');
      const url = sim.url();
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1'), clientId: 'x:dev1' }), 2);
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1'), clientId: 'd:dev1:xid:more' }), 2);
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1'), clientId: 'd:dev1:xid' }), 0);
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1'), clean: false }), 5);
      const long = 'dev1-with-a-very-long-id-of-30';
      sim.addDeviceUser(long, 'pw');
      assert.equal(await pool.connack(url, { ...creds(sim, long), protocolVersion: 3, protocolId: 'MQIsdp' }), 5);
      assert.equal(await pool.connack(url, { ...creds(sim, long), protocolVersion: 4 }), 0);
      sim.failNextConnects(2, 3);
      assert.equal(await pool.connack(url, creds(sim, 'dev1')), 3);
      assert.equal(await pool.connack(url, creds(sim, 'dev1')), 3);
      assert.equal(await pool.connack(url, creds(sim, 'dev1')), 0);
      sim.failNextConnects(1, 5);
      assert.equal(await pool.connack(url, creds(sim, 'dev1')), 5);
      assert.equal(await pool.connack(url, { ...creds(sim, 'dev1'), clientId: '' }), 2);
      assert.equal(await rawConnack(sim.port, 5, 'dev1'), 1);
    }));

  it('bootstraps: pending after the first poll, silent until accepted, then one quoted 70 line', () =>
    withSim({}, async (sim, pool) => {
      sim.registerDevice('boot1');
      assert.equal(sim.registration('boot1'), 'WAITING_FOR_CONNECTION');
      sim.setNextPassword('p,w"d');
      const bs = await pool.open(sim.url(), { clientId: 'boot1', username: 'management/devicebootstrap', password: 'bootstrap-secret' });
      const box = inbox(bs);
      assert.deepEqual(await grants(bs, ['s/dcr', 's/ds']), [1, 128]);
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      assert.equal(sim.registration('boot1'), 'PENDING_ACCEPTANCE');
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      sim.acceptRegistration('boot1');
      assert.equal(sim.registration('boot1'), 'ACCEPTED');
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      await eventually(() => box.messages.length === 1, 'the credentials');
      assert.deepEqual(box.messages, [{ topic: 's/dcr', payload: '70,t12345,device_boot1,"p,w""d"' }]);
      assert.equal(sim.registration('boot1'), undefined);
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      await delay(50);
      assert.equal(box.messages.length, 1, 'credentials are handed out once');
      await bs.endAsync();
      const login = { clientId: 'boot1', username: 't12345/device_boot1', password: 'p,w"d' };
      assert.equal(await pool.connack(sim.url(), login), 0);
    }));

  it('can hand out a password with an unquoted comma for the client-side rule 3.1-10', () =>
    withSim({}, async (sim, pool) => {
      sim.registerDevice('boot3');
      sim.setNextPassword('pa,ss', { unquoted: true });
      const bs = await pool.open(sim.url(), { clientId: 'boot3', username: 'management/devicebootstrap', password: 'bootstrap-secret' });
      const box = inbox(bs);
      await bs.subscribeAsync('s/dcr', { qos: 1 });
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      sim.acceptRegistration('boot3');
      await bs.publishAsync('s/ucr', '', { qos: 1 });
      await eventually(() => box.messages.length === 1, 'the credentials');
      assert.equal(box.messages[0]?.payload, '70,t12345,device_boot3,pa,ss');
      assert.equal(await pool.connack(sim.url(), { clientId: 'boot3', username: 't12345/device_boot3', password: 'pa,ss' }), 0);
    }));

  it('closes a bootstrap connection that publishes anywhere but s/ucr, and refuses a wrong bootstrap password with 4', () =>
    withSim({}, async (sim, pool) => {
      const bad = { clientId: 'boot2', username: 'management/devicebootstrap', password: 'nope' };
      assert.equal(await pool.connack(sim.url(), bad), 4);
      const bs = await pool.open(sim.url(), { ...bad, password: 'bootstrap-secret' });
      const gone = closed(bs);
      bs.publish('s/us', '100,x', { qos: 1 });
      await gone;
      assert.equal(sim.devices.size, 0);
    }));

  it('processes a will on a network drop but not on a clean disconnect', () =>
    withSim({}, async (sim, pool) => {
      const will = {
        topic: 's/us',
        payload: Buffer.from('400,c8y_ConnectionEvent,"Device connection was lost."'),
        qos: 1 as const,
        retain: false,
      };
      await device(sim, pool, 'dev10', { will });
      sim.kick('dev10');
      await sim.waitFor(() => sim.events.some((e) => e.type === 'c8y_ConnectionEvent'), 2000, 'the will event');
      assert.equal(sim.events[0]?.text, 'Device connection was lost.');
      assert.ok(sim.devices.get('dev10')?.lastMessage);
      assert.equal(sim.received.at(-1)?.topic, 's/us');
      const polite = await device(sim, pool, 'dev11', { will });
      await polite.endAsync();
      await sim.waitFor(() => !sim.connected('dev11'), 2000, 'dev11 to leave');
      await delay(50);
      assert.equal(sim.events.length, 1);
    }));

  it('drops a client silent for 1.5 × keep-alive and processes its will', () =>
    withSim({}, async (sim) => {
      sim.addDeviceUser('dev15', 'pw');
      const socket = silentSession(sim.port, 'dev15', 1, '400,c8y_ConnectionEvent,silent');
      try {
        await sim.waitFor(() => sim.connected('dev15'), 2000, 'dev15 to connect');
        const since = Date.now();
        await sim.waitFor(() => sim.events.some((e) => e.text === 'silent'), 3000, 'the keep-alive will');
        assert.ok(Date.now() - since >= 1000, 'not before the keep-alive ran out');
        assert.equal(sim.connected('dev15'), false);
      } finally {
        socket.destroy();
      }
    }));

  it('closes the older session when the same device id connects again in another client id form', () =>
    withSim({}, async (sim, pool) => {
      const first = await device(sim, pool, 'dev12');
      const gone = closed(first);
      await pool.open(sim.url(), { ...creds(sim, 'dev12'), clientId: 'd:dev12' });
      await gone;
      assert.ok(sim.connected('dev12'));
    }));

  it('can end a live session with a non-zero CONNACK followed by a close', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev14');
      const gone = closed(c);
      sim.sendConnackAndClose('dev14', 3);
      await gone;
      await sim.waitFor(() => !sim.connected('dev14'), 2000, 'dev14 to be gone');
    }));

  it('pauses (dropping every client, no wills) and resumes on the same port with the state kept', () =>
    withSim({}, async (sim, pool) => {
      const will = { topic: 's/us', payload: Buffer.from('400,c8y_ConnectionEvent,lost'), qos: 1 as const, retain: false };
      const c = await device(sim, pool, 'dev13', { will });
      await publish(c, '200,c8y_T,T,1,C');
      const port = sim.port;
      const gone = closed(c);
      await sim.pause();
      await gone;
      assert.equal(sim.connected('dev13'), false);
      await sim.resume();
      assert.equal(sim.port, port);
      const again = await pool.open(sim.url(), creds(sim, 'dev13'));
      await publish(again, '200,c8y_T,T,2,C');
      assert.deepEqual(
        sim.measurements.map((m) => m.series[0]?.value),
        [1, 2],
      );
      assert.equal(sim.events.length, 0);
    }));

  it('accepts a TLS client certificate whose CN is the client id and answers 5 to a wrong CN or untrusted chain', () => {
    const pki = createTestPki();
    return withSim({ tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert } }, async (sim, pool) => {
      const url = sim.tlsUrl();
      const tlsOpts = (cn: string, selfSigned = false): IClientOptions => {
        const pem = pki.client(cn, { selfSigned });
        return { key: pem.key, cert: pem.cert, ca: pki.ca.cert, rejectUnauthorized: true };
      };
      assert.equal(await pool.connack(url, { clientId: 'tls-dev1', ...tlsOpts('tls-dev1') }), 0);
      assert.equal(await pool.connack(url, { clientId: 'tls-dev1', ...tlsOpts('someone-else') }), 5);
      assert.equal(await pool.connack(url, { clientId: 'tls-dev1', ...tlsOpts('tls-dev1', true) }), 5);
      sim.addDeviceUser('tls-dev2', 'pw');
      const basic = { ...creds(sim, 'tls-dev2'), ca: pki.ca.cert, rejectUnauthorized: true };
      assert.equal(await pool.connack(url, basic), 0);

      const certClient = await pool.open(url, { clientId: 'tls-dev1', ...tlsOpts('tls-dev1') });
      const box = inbox(certClient);
      await certClient.subscribeAsync('s/dat', { qos: 1 });
      await certClient.publishAsync('s/uat', '', { qos: 1 });
      await eventually(() => box.on('s/dat').length === 1, 'the token');
      const [code, jwt = ''] = (box.on('s/dat')[0] ?? '').split(',');
      assert.equal(code, '71');
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number; iat: number };
      assert.equal(claims.exp - claims.iat, 3600);

      const basicClient = await device(sim, pool, 'tls-dev3');
      await basicClient.publishAsync('s/uat', '', { qos: 1 });
      assert.match(sim.errorsSent.at(-1)?.line ?? '', /^41,,MqttAuth: Cannot publish token/);
    });
  });
});
