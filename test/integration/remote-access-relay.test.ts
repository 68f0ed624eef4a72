/**
 * The relay form of a remote-access request (Helix Device Cloud `remote-access`: `url`, `host`,
 * `protocol`): the tunnel service opens the local target and the WebSocket relay the platform
 * named, and pumps bytes both ways. Against a real WebSocket relay on loopback and a local echo
 * server; the relay's session token never appears in a reason.
 */
import { strict as assert } from 'node:assert';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { RemoteAccess } from '../../agent/remote-access/manager';
import { echoServer, randomData, type EchoServer } from '../support/tunnel';

const TOKEN = 'relay-s3cret-token';

describe('remote-access relay form (HDC)', { timeout: 60_000 }, () => {
  let relay: WebSocketServer;
  let echo: EchoServer;
  let service: RemoteAccess | undefined;
  const upgrades: IncomingMessage[] = [];
  let nextSocket: Promise<WebSocket>;
  let gotSocket: (ws: WebSocket) => void = () => undefined;

  beforeEach(async () => {
    echo = await echoServer();
    upgrades.length = 0;
    relay = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number) => void) =>
        cb(new URL(info.req.url ?? '/', 'ws://x').searchParams.get('token') === TOKEN, 403),
    });
    await new Promise<void>((r) => relay.once('listening', () => r()));
    nextSocket = new Promise((r) => (gotSocket = r));
    relay.on('connection', (ws, req) => {
      upgrades.push(req);
      gotSocket(ws);
    });
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    for (const c of relay.clients) c.terminate();
    await new Promise<void>((r) => relay.close(() => r()));
    await echo.close();
  });

  const relayUrl = (token = TOKEN): string => `ws://127.0.0.1:${(relay.address() as AddressInfo).port}/relay/session-1?token=${token}`;

  function make(): RemoteAccess {
    service = new RemoteAccess(
      {
        allow: [{ host: '127.0.0.1', port: echo.port }],
        maxTunnels: 2,
        connectTimeoutSec: 5,
        idleTimeoutSec: 0,
        pingIntervalMs: 30_000,
        highWaterMark: 1024 * 1024,
        maxMessageBytes: 16 * 1024 * 1024,
      },
      () => undefined, // the relay needs no platform credentials
    );
    return service;
  }

  it('opens the relay without credentials or subprotocol and moves 1 MiB each way byte for byte', async () => {
    const s = make();
    const opened = await s.connect({ url: relayUrl(), host: '127.0.0.1', protocol: String(echo.port) });
    assert.ok(opened.ok, opened.ok ? '' : opened.error);
    const ws = await nextSocket;
    assert.equal(upgrades[0]?.headers.authorization, undefined);
    assert.equal(upgrades[0]?.headers['sec-websocket-protocol'], undefined);
    const data = randomData(1024 * 1024);
    const back: Buffer[] = [];
    let size = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (m: Buffer) => {
        back.push(m);
        size += m.length;
        if (size >= data.length) resolve();
      }),
    );
    for (let i = 0; i < data.length; i += 64 * 1024) ws.send(data.subarray(i, i + 64 * 1024));
    await done;
    assert.ok(Buffer.concat(back).equals(data), 'the echo came back through the relay unchanged');
  });

  it('refuses a target off the allow-list, and names neither the URL nor its token when the relay refuses', async () => {
    const s = make();
    const off = await s.connect({ url: relayUrl(), host: '127.0.0.1', protocol: '1' });
    assert.equal(off.ok, false);
    assert.match(off.ok ? '' : off.error, /not on this device's remote-access allow-list/);
    const refused = await s.connect({ url: relayUrl('wrong-s3cret'), host: '127.0.0.1', protocol: String(echo.port) });
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /403/);
    assert.doesNotMatch(refused.ok ? '' : refused.error, /s3cret|session-1/);
    assert.equal(s.count, 0);
  });
});
