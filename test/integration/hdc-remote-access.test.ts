/**
 * Helix Device Cloud `remote-access` through the remote-access node (issue 11, HDC part): the
 * cloud's method names a WebSocket relay, a local host and port; the node opens both and pumps
 * bytes, and the method is acked 0 once the tunnel is up, 19 with a reason when it is refused.
 * The relay is a real WebSocket server on loopback, the target a local echo server.
 */
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { hdcSuite } from '../support/hdc-suite';
import { echoServer, randomData, type EchoServer } from '../support/tunnel';

describe('HDC remote-access through the remote-access node', { timeout: 60_000 }, () => {
  const suite = hdcSuite();
  let relay: WebSocketServer;
  let echo: EchoServer;
  let nextSocket: Promise<WebSocket>;

  beforeEach(async () => {
    echo = await echoServer();
    relay = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => relay.once('listening', () => r()));
    nextSocket = new Promise((r) => relay.once('connection', (ws) => r(ws)));
  });
  afterEach(async () => {
    for (const c of relay.clients) c.terminate();
    await new Promise<void>((r) => relay.close(() => r()));
    await echo.close();
  });

  const relayUrl = (): string => `ws://127.0.0.1:${(relay.address() as AddressInfo).port}/relay/7f3a?session=s3cret`;
  const node = (allow: string): object => ({ id: 'ra', type: 'device-agent-remote-access', connection: 'conn', allow, wires: [[]] });

  it('acks 0 once the tunnel is up and moves bytes both ways through the relay', async () => {
    await suite.load([node(`127.0.0.1:${echo.port}`)], 'ra', [require('../../nodes/remote-access')]);
    const sim = suite.sim();
    const id = sim.execMethod('remote-access', { url: relayUrl(), host: '127.0.0.1', protocol: String(echo.port) });
    const ws = await nextSocket;
    assert.equal((await sim.waitAck(id)).errorCode, 0);
    const data = randomData(256 * 1024);
    const back: Buffer[] = [];
    let size = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (m: Buffer) => {
        back.push(m);
        size += m.length;
        if (size >= data.length) resolve();
      }),
    );
    ws.send(data);
    await done;
    assert.ok(Buffer.concat(back).equals(data));
  });

  it('acks 19 with the reason for a target off the allow-list, and never names the relay URL', async () => {
    await suite.load([node(`127.0.0.1:${echo.port}`)], 'ra', [require('../../nodes/remote-access')]);
    const sim = suite.sim();
    const id = sim.execMethod('remote-access', { url: relayUrl(), host: '127.0.0.1', protocol: '23' });
    const ack = await sim.waitAck(id);
    assert.equal(ack.errorCode, 19);
    assert.match(String(ack.errorMessage), /127\.0\.0\.1:23 is not on this device's remote-access allow-list/);
    assert.doesNotMatch(JSON.stringify(ack), /s3cret|7f3a/);
    assert.equal(relay.clients.size, 0);
  });
});
