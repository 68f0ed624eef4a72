/**
 * examples/cumulocity-remote-access.json: off as shipped; with an allow-list entry added, a tunnel
 * works and every tunnel is audited as an event on the platform.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { CORE_NODES } from '../support/core-nodes';
import { ALL_NODES, helper, statusMatching, useSettings } from '../support/red';
import { closedSocket, connect, echoServer, roundTrip, type EchoServer } from '../support/tunnel';
import { setC8yEnv } from '../support/env';

const FILE = path.join(__dirname, '..', '..', '..', 'examples', 'cumulocity-remote-access.json');
const DEV = 'example-remote';
const NODES: unknown[] = [...CORE_NODES, ...ALL_NODES, require('../../nodes/remote-access')];

describe('example cumulocity-remote-access.json', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let echo: EchoServer;
  let cleanup: () => void;
  let restoreEnv: () => void = () => undefined;

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'example-pw');
    web = await SimPlatformHttp.start(sim);
    echo = await echoServer();
    restoreEnv = setC8yEnv(sim.port, DEV, 'example-pw', { C8Y_HTTP_URL: web.url() });
    cleanup = useSettings().cleanup;
  });
  afterEach(async () => {
    await helper.unload();
    await web.stop();
    await echo.close();
    await sim.stop();
    cleanup();
    restoreEnv();
  });

  function flow(allow?: string): Record<string, unknown>[] {
    const f = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>[];
    if (allow !== undefined) for (const n of f) if (n['type'] === 'device-agent-remote-access') n['allow'] = allow;
    return f;
  }

  it('carries no secret and ships with an empty allow-list and a comment explaining it', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    assert.doesNotMatch(text, /"(password|credentials)"\s*:/);
    const f = flow();
    assert.equal(f.find((n) => n['type'] === 'device-agent-remote-access')?.['allow'], '');
    assert.ok(f.some((n) => n['type'] === 'comment' && /OFF/.test(String(n['name'])) && /127\.0\.0\.1:1880/.test(String(n['name']))));
  });

  it('is off as shipped: the device does not offer remote access', async () => {
    await helper.load(NODES, flow(), {});
    await statusMatching(helper.getNode('da_ra_event')!, (s) => s['fill'] === 'green', 8000);
    await sim.waitFor(() => sim.received.some((r) => r.clientId === DEV && r.payload.toString() === '500'), 5000, '500');
    assert.ok(!(sim.devices.get(DEV)?.supportedOperations ?? []).includes('c8y_RemoteAccessConnect'));
  });

  it('with a target allowed, opens tunnels to it and audits them as events', async () => {
    await helper.load(NODES, flow(`127.0.0.1:${echo.port}`), {});
    await sim.waitFor(() => sim.devices.get(DEV)?.supportedOperations.includes('c8y_RemoteAccessConnect') === true, 8000, '114');
    const ep = await web.remoteAccessEndpoint(DEV, '127.0.0.1', echo.port);
    const user = await connect(ep.port);
    const data = Buffer.from('through the example flow');
    assert.ok((await roundTrip(user, data)).received.equals(data));
    user.end();
    await closedSocket(user);
    await sim.waitFor(() => sim.events.filter((e) => e.type === 'c8y_RemoteAccessAudit').length >= 2, 5000, 'two audit events');
    const texts = sim.events.filter((e) => e.type === 'c8y_RemoteAccessAudit').map((e) => e.text);
    assert.match(texts[0] ?? '', new RegExp(`tunnel #1 to 127\\.0\\.0\\.1:${echo.port} opened`));
    assert.match(texts[1] ?? '', /closed \(target-closed\): 24 bytes up, 24 bytes down|closed \(platform-closed\)/);
    await ep.close();
  });
});
