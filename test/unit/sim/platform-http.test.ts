// The simulator's HTTP side on its own (raw HTTP and ws clients): Basic auth, identity, events
// with binaries, and the remote-access device WebSocket paired with a user's passthrough socket.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ClientPool } from '../../sim/clients';
import { SimPlatformHttp } from '../../sim/platform-http';
import { CumulocitySimulator } from '../../sim/simulator';
import { closedSocket, connect, roundTrip } from '../../support/tunnel';
import { httpRequest, jsonBody } from '../../../agent/http-client';
import { createToken } from '../../sim/token';

const DEV = 'http-sim-dev';
const auth = (user = `t12345/device_${DEV}`, pw = 'pw'): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('Cumulocity simulator: HTTP side', { timeout: 30_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;

  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    web = await SimPlatformHttp.start(sim);
  });
  afterEach(async () => {
    await web.stop();
    await sim.stop();
  });

  const call = (
    method: 'GET' | 'POST',
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): ReturnType<typeof httpRequest> =>
    httpRequest({
      method,
      url: `${web.url()}${path}`,
      headers: { Authorization: auth(), ...headers },
      body,
      timeoutMs: 5000,
      maxResponseBytes: 1 << 20,
    });

  it('answers 401 to missing or wrong Basic credentials', async () => {
    const none = await httpRequest({
      method: 'GET',
      url: `${web.url()}/identity/externalIds/c8y_Serial/${DEV}`,
      headers: {},
      timeoutMs: 5000,
      maxResponseBytes: 4096,
    });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Cumulocity"');
    const wrong = await call('GET', `/identity/externalIds/c8y_Serial/${DEV}`, undefined, { Authorization: auth(undefined, 'nope') });
    assert.equal(wrong.status, 401);
  });

  it('accepts a device JWT it issued (Bearer) and refuses a forged, expired or foreign one', async () => {
    const path = `/identity/externalIds/c8y_Serial/${DEV}`;
    const bearer = (t: string): Record<string, string> => ({ Authorization: `Bearer ${t}` });
    const good = createToken('t12345', DEV);
    assert.equal((await call('GET', path, undefined, bearer(good))).status, 404, 'authenticated: the device does not exist yet');
    const [h, b] = good.split('.');
    assert.equal((await call('GET', path, undefined, bearer(`${h}.${b}.${'A'.repeat(43)}`))).status, 401, 'forged signature');
    assert.equal(
      (await call('GET', path, undefined, bearer(createToken('t12345', DEV, new Date(Date.now() - 7200_000))))).status,
      401,
      'expired',
    );
    assert.equal((await call('GET', path, undefined, bearer(createToken('t99999', DEV)))).status, 401, 'other tenant');
  });

  it('finds the device by external id once it exists', async () => {
    assert.equal((await call('GET', `/identity/externalIds/c8y_Serial/${DEV}`)).status, 404);
    await publishCreate(sim);
    const found = await call('GET', `/identity/externalIds/c8y_Serial/${DEV}`);
    assert.equal(found.status, 200);
    assert.deepEqual(jsonBody(found)?.['managedObject'], {
      id: sim.devices.get(DEV)?.id,
      self: `${web.url()}/inventory/managedObjects/${sim.devices.get(DEV)?.id}`,
    });
  });

  it('stores an event and its multipart binary, refuses a second binary and serves the first', async () => {
    await publishCreate(sim);
    const mo = jsonBody(await call('GET', `/identity/externalIds/c8y_Serial/${DEV}`))?.['managedObject'] as { id: string };
    const created = await call(
      'POST',
      '/event/events',
      JSON.stringify({ source: { id: mo.id }, type: 'c8y_LogfileRequest', text: 'log', time: new Date().toISOString() }),
      {
        'Content-Type': 'application/json',
      },
    );
    assert.equal(created.status, 201);
    const id = String(jsonBody(created)?.['id']);
    const boundary = 'b0undary';
    const content = Buffer.from('line 1\r\n--b0undar not a boundary\nline 3\n');
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="object"\r\n\r\n{"name":"x.log","type":"text/plain"}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.log"\r\nContent-Type: text/plain\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const ct = { 'Content-Type': `multipart/form-data; boundary=${boundary}` };
    assert.equal((await call('POST', `/event/events/${id}/binaries`, body, ct)).status, 201);
    assert.deepEqual(web.binaries.get(id)?.content, content);
    assert.equal(web.binaries.get(id)?.name, 'x.log');
    assert.equal((await call('POST', `/event/events/${id}/binaries`, body, ct)).status, 409);
    const got = await call('GET', `/event/events/${id}/binaries`);
    assert.deepEqual(got.body, content);
  });

  it('pairs a user socket with the device WebSocket of the 530 key, and refuses unknown keys and bad auth', async () => {
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', 22);
    const user = await connect(ep.port);
    await web.waitFor(() => web.tunnels.length === 1 && web.tunnels[0]?.operationId !== '', 3000, 'a 530 operation');
    const t = web.tunnels[0]!;
    assert.deepEqual(sim.operation(t.operationId)?.params, { hostname: '127.0.0.1', port: 22, connectionKey: t.key });
    const base = `ws://127.0.0.1:${web.port}/service/remoteaccess/device`;
    const refused = async (url: string, authorization: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, ['binary'], { headers: { Authorization: authorization } });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('error', () => undefined);
      });
    assert.equal(await refused(`${base}/not-a-key`, auth()), 404);
    assert.equal(await refused(`${base}/${t.key}`, auth(undefined, 'bad')), 401);
    const device = new WebSocket(`${base}/${t.key}`, ['binary'], { headers: { Authorization: auth() } });
    await new Promise((resolve) => device.once('open', resolve));
    assert.equal(device.protocol, 'binary');
    device.on('message', (d: Buffer) => device.send(Buffer.concat([Buffer.from('echo:'), d])));
    const { received } = await roundTrip(user, Buffer.from('hello'));
    assert.equal(received.toString().slice(0, 10), 'echo:hello');
    device.close();
    await closedSocket(user);
    await ep.close();
  });

  it('closes the user socket when the device fails the operation', async () => {
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', 22);
    const user = await connect(ep.port);
    await web.waitFor(() => web.tunnels[0]?.operationId !== undefined && web.tunnels[0].operationId !== '', 3000, 'a 530 operation');
    const op = sim.operation(web.tunnels[0]!.operationId)!;
    op.status = 'FAILED';
    sim.emit('change');
    await closedSocket(user, 3000);
    assert.equal(web.tunnels[0]?.state, 'closed');
    await ep.close();
  });
});

/** Creates the device in the simulator the way a device does, with 100 over MQTT. */
async function publishCreate(sim: CumulocitySimulator): Promise<void> {
  const pool = new ClientPool();
  try {
    const c = await pool.open(sim.url(), { clientId: DEV, username: `t12345/device_${DEV}`, password: 'pw' });
    await c.publishAsync('s/us', '100,http sim device,c8y_Test', { qos: 1 });
    await sim.waitFor(() => sim.devices.has(DEV), 3000, 'device created');
  } finally {
    await pool.closeAll();
  }
}
