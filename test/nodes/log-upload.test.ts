/**
 * The log-upload node against the simulator (MQTT and its HTTP side): 118, filtered uploads that
 * arrive intact, the allow-list (types, links, missing files), a huge log, the journal through a
 * stand-in journalctl, static templates, and the node's own configuration errors.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SimPlatformHttp } from '../sim/platform-http';
import { CumulocitySimulator } from '../sim/simulator';
import { ALL_NODES, connectionNode, helper, statusMatching, useSettings } from '../support/red';

const DEV = 'rpi-logs';
const NODES: unknown[] = [...ALL_NODES, require('../../nodes/log-upload')];

const APP_LOG = [
  '2026-11-20T08:00:00Z app started',
  '2026-11-20T09:00:00Z ERROR disk full',
  '    at writeFile (fs.js:1:1)',
  '2026-11-20T09:30:00Z info fine',
  '2026-11-20T10:00:00Z error network down',
  '2026-11-20T11:00:00Z ERROR out of range',
];

describe('log-upload node', { timeout: 60_000 }, () => {
  let sim: CumulocitySimulator;
  let web: SimPlatformHttp;
  let dir: string;
  let outside: string;
  let cleanup: () => void;

  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  beforeEach(async () => {
    sim = await CumulocitySimulator.start();
    sim.addDeviceUser(DEV, 'pw');
    web = await SimPlatformHttp.start(sim);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-logup-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'da-outside-'));
    fs.writeFileSync(path.join(dir, 'app.log'), `${APP_LOG.join('\n')}\n`);
    fs.writeFileSync(path.join(outside, 'secret'), 'root:x:0:0\n');
    fs.symlinkSync(path.join(outside, 'secret'), path.join(dir, 'evil.log'));
    const journalctl = path.join(dir, 'journalctl');
    fs.writeFileSync(
      journalctl,
      [
        '#!/bin/sh',
        `printf '%s\\n' "$@" > '${path.join(dir, 'args.txt')}'`,
        "printf '2026-11-20T10:00:02+0000 pi app[1]: third\\n2026-11-20T10:00:01+0000 pi app[1]: second\\n    continued\\n2026-11-20T10:00:00+0000 pi app[1]: first\\n'",
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    cleanup = useSettings({ deviceAgentLogUpload: { journalctl } }).cleanup;
  });
  afterEach(async () => {
    await helper.unload();
    await web.stop();
    await sim.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  async function load(extra: Record<string, unknown> = {}, mode: 'id' | 'static' = 'id'): Promise<void> {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, operationMode: mode, httpUrl: web.url() });
    const sources = [
      `app = ${path.join(dir, 'app.log')}`,
      `evil = ${path.join(dir, 'evil.log')}`,
      `gone = ${path.join(dir, 'gone.log')}`,
      `huge = ${path.join(dir, 'huge.log')}`,
      'sys = journal:test.service',
    ].join('\n');
    const flow = [
      node,
      { id: 'lu', type: 'device-agent-log-upload', connection: 'conn', sources, wires: [['out']], ...extra },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(NODES, flow, credentials);
    await sim.waitFor(() => (sim.devices.get(DEV)?.logTypes?.length ?? 0) > 0, 8000, '118');
    await sim.waitFor(() => sim.received.some((r) => r.clientId === DEV && r.payload.toString() === '500'), 5000, '500');
  }

  async function request(
    params: Record<string, unknown>,
  ): Promise<{ id: string; status: string; reason: string | undefined; result: string[] | undefined }> {
    const id = sim.createOperation(DEV, 'c8y_LogfileRequest', params);
    await sim.waitFor(() => ['SUCCESSFUL', 'FAILED'].includes(sim.operation(id)?.status ?? ''), 20_000, 'final status');
    const op = sim.operation(id)!;
    return { id, status: op.status, reason: op.failureReason, result: op.result };
  }

  it('offers its log types (118) and c8y_LogfileRequest (114)', async () => {
    await load();
    assert.deepEqual(sim.devices.get(DEV)?.logTypes, ['app', 'evil', 'gone', 'huge', 'sys']);
    assert.ok(sim.devices.get(DEV)?.supportedOperations.includes('c8y_LogfileRequest'));
  });

  it('uploads the filtered range as an event binary and reports its URL', async () => {
    await load();
    const r = await request({
      logFile: 'app',
      dateFrom: '2026-11-20T10:00:00+0100',
      dateTo: '2026-11-20T11:00:00+0100',
      searchText: 'error',
      maximumLines: 10,
    });
    assert.equal(r.status, 'SUCCESSFUL', r.reason);
    const ev = web.events[0]!;
    assert.equal(ev.type, 'c8y_LogfileRequest');
    assert.equal(ev.source, sim.devices.get(DEV)?.id);
    assert.deepEqual(r.result, [`${web.url()}/event/events/${ev.id}/binaries`]);
    // 09:00Z to 10:00Z, case-insensitive "error"; the stack line does not contain it.
    assert.equal(web.binaries.get(ev.id)?.content.toString('utf8'), `${APP_LOG[1]}\n${APP_LOG[4]}\n`);
    assert.match(web.binaries.get(ev.id)?.name ?? '', /^app-\d{8}T\d{6}Z\.log$/);
    const msg = await new Promise<Record<string, unknown>>((resolve) => {
      const out = helper.getNode('out')!;
      out.once('input', resolve);
      sim.createOperation(DEV, 'c8y_LogfileRequest', { logFile: 'app', maximumLines: 1 });
    });
    assert.equal(msg['topic'], 'uploaded');
    assert.equal((msg['payload'] as Record<string, unknown>)['lines'], 1);
  });

  it('refuses a type it does not offer, a link out of the log directory and a missing file', async () => {
    await load();
    const unknown = await request({ logFile: '/etc/shadow' });
    assert.equal(unknown.status, 'FAILED');
    assert.match(unknown.reason ?? '', /log type "\/etc\/shadow" is not offered by this device \(offered: app, evil, gone, huge, sys\)/);
    const evil = await request({ logFile: 'evil' });
    assert.equal(evil.status, 'FAILED');
    assert.match(evil.reason ?? '', /leads outside/);
    const gone = await request({ logFile: 'gone' });
    assert.equal(gone.status, 'FAILED');
    assert.match(gone.reason ?? '', /"gone" does not exist/);
    assert.equal(web.events.length, 0, 'nothing was uploaded');
    assert.ok(![...web.binaries.values()].some((b) => b.content.includes('root:')));
  });

  it('bounds the upload of a huge log and keeps its newest lines', async () => {
    const huge = path.join(dir, 'huge.log');
    const line = (i: number): string => `2026-11-20T10:00:00Z line ${String(i).padStart(7, '0')} ${'x'.repeat(100)}\n`;
    const fd = fs.openSync(huge, 'w');
    for (let block = 0; block < 200; block += 1) {
      fs.writeSync(fd, Array.from({ length: 1000 }, (_, i) => line(block * 1000 + i)).join(''));
    }
    fs.closeSync(fd); // 200 000 lines, about 25 MB
    await load({ maxKiB: '64' });
    const r = await request({ logFile: 'huge', maximumLines: 100_000 });
    assert.equal(r.status, 'SUCCESSFUL', r.reason);
    const content = [...web.binaries.values()][0]!.content.toString('utf8');
    assert.ok(Buffer.byteLength(content) <= 64 * 1024, String(Buffer.byteLength(content)));
    assert.ok(content.endsWith(line(199_999)));
    assert.match(web.events[0]!.text, /older ones left out/);
  });

  it('reads the journal through journalctl, newest first, and uploads it oldest first', async () => {
    await load();
    const r = await request({ logFile: 'sys', dateFrom: '2026-11-20T00:00:00Z', maximumLines: 50 });
    assert.equal(r.status, 'SUCCESSFUL', r.reason);
    const args = fs.readFileSync(path.join(dir, 'args.txt'), 'utf8').trim().split('\n');
    assert.ok(
      args.includes('--unit=test.service') && args.includes('--reverse') && args.includes(`--since=@${Date.UTC(2026, 10, 20) / 1000}`),
      args.join(' '),
    );
    const content = [...web.binaries.values()][0]!.content.toString('utf8');
    assert.equal(
      content,
      '2026-11-20T10:00:00+0000 pi app[1]: first\n2026-11-20T10:00:01+0000 pi app[1]: second\n    continued\n2026-11-20T10:00:02+0000 pi app[1]: third\n',
    );
  });

  it('fails with a reason when journalctl is missing or nothing matches', async () => {
    cleanup();
    cleanup = useSettings({ deviceAgentLogUpload: { journalctl: path.join(dir, 'no-such-journalctl') } }).cleanup;
    await load();
    const j = await request({ logFile: 'sys' });
    assert.equal(j.status, 'FAILED');
    assert.equal(j.reason, 'journalctl is not available on this device');
    const none = await request({ logFile: 'app', searchText: 'no such text anywhere' });
    assert.equal(none.status, 'FAILED');
    assert.match(none.reason ?? '', /no lines of "app" match the request containing "no such text anywhere"/);
  });

  it('fails with the step and its reason when the platform refuses or cannot be reached', async () => {
    await load();
    sim.addDeviceUser(DEV, 'changed'); // MQTT stays connected; the HTTP side now refuses the old password
    const refused = await request({ logFile: 'app' });
    assert.equal(refused.status, 'FAILED');
    assert.match(refused.reason ?? '', /^looking up the device failed: HTTP 401/);
    sim.addDeviceUser(DEV, 'pw');
    await web.stop();
    const down = await request({ logFile: 'app' });
    assert.equal(down.status, 'FAILED');
    assert.match(down.reason ?? '', /^GET \/identity\/externalIds\/c8y_Serial\/rpi-logs: ECONNREFUSED$/);
  });

  it('works with static templates: 522 on s/ds, 503 with the URL', async () => {
    await load({}, 'static');
    const r = await request({ logFile: 'app', dateFrom: '', dateTo: '', searchText: 'ERROR', maximumLines: 1 });
    assert.equal(r.status, 'SUCCESSFUL', r.reason);
    const lines = sim.received.filter((x) => x.clientId === DEV).flatMap((x) => x.payload.toString().split('\n'));
    assert.ok(
      lines.some((l) => l.startsWith(`503,c8y_LogfileRequest,${web.url()}/event/events/`)),
      lines.join(' | '),
    );
    assert.equal([...web.binaries.values()][0]?.content.toString('utf8'), `${APP_LOG[5]}\n`);
  });

  it('is off with no sources: neither the operation nor log types are offered', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV, httpUrl: web.url() });
    const flow = [
      node,
      { id: 'lu', type: 'device-agent-log-upload', connection: 'conn', sources: '# nothing\n', wires: [[]] },
      { id: 'op', type: 'device-agent-operation', connection: 'conn', fragments: 'c8y_Restart', wires: [[]] },
    ];
    await helper.load(NODES, flow, credentials);
    await statusMatching(helper.getNode('op')!, (s) => s['fill'] === 'green');
    await sim.waitFor(() => (sim.devices.get(DEV)?.supportedOperations.length ?? 0) > 0, 5000, '114');
    assert.deepEqual(sim.devices.get(DEV)?.supportedOperations, ['c8y_Restart']);
    assert.equal(sim.devices.get(DEV)?.logTypes, undefined);
    const calls = (helper.getNode('lu')!.status as unknown as { args: [Record<string, unknown>][] }).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'grey' && s['text'] === 'log-upload.status.disabled'));
  });

  it('shows a config error for a bad source list', async () => {
    const { node, credentials } = connectionNode({ port: sim.port, deviceId: DEV });
    await helper.load(
      NODES,
      [node, { id: 'lu', type: 'device-agent-log-upload', connection: 'conn', sources: 'x = ../etc/passwd', wires: [[]] }],
      credentials,
    );
    const lu = helper.getNode('lu')!;
    const calls = (lu.status as unknown as { args: [Record<string, unknown>][] }).args;
    assert.ok(calls.some(([s]) => s['fill'] === 'red' && s['text'] === 'log-upload.status.config'));
    assert.ok((lu.error as unknown as { callCount: number }).callCount >= 1);
  });
});
