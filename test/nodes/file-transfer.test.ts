// device-agent-file-transfer on its own flow against the HDC simulator: a stalled download ends
// with status 16 in the protocol's answer, a red status and an error for Catch nodes, and leaves
// no part file; the service's HTTP errors end with status 8; a platform without a file store
// turns the node red; a symbolic link out of the allowed directory is refused (status 10).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki } from '../sim/certs';
import { HdcSimulator } from '../sim-hdc/simulator';
import { ALL_NODES, helper, useSettings } from '../support/red';

const FILE_NODE: unknown = require('../../nodes/file-transfer');

describe('device-agent-file-transfer', { timeout: 60_000 }, () => {
  let sim: HdcSimulator;
  let cleanup: () => void;
  let tmp: string;
  let work: string;

  before(async () => {
    const pki = createTestPki();
    sim = await HdcSimulator.start({ pki });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hdc-files-'));
    work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(tmp, 'ca.pem'), pki.ca.cert);
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'not for the cloud');
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(work, 'link.txt'));
    cleanup = useSettings().cleanup;
    await helper.startServer();
    const flow = [
      {
        id: 'conn',
        type: 'device-agent-connection',
        dialect: 'hdc',
        hdcHost: '127.0.0.1',
        hdcPort: String(sim.port),
        hdcTransport: 'mqtt',
        hdcDeviceId: 'dev1',
        hdcAppId: 'my_app',
        hdcCaFile: path.join(tmp, 'ca.pem'),
        hdcFilePort: String(sim.httpsPort),
        hdcPublishGap: '0',
      },
      {
        id: 'files',
        type: 'device-agent-file-transfer',
        connection: 'conn',
        allowedDirs: work,
        maxBytes: '1000',
        stallSec: '1',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ];
    await helper.load([...ALL_NODES, FILE_NODE], flow, { conn: { hdcToken: 'TOKEN' } });
    await sim.waitFor(() => sim.isConnected(), 10_000, 'the device to connect');
  });

  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim.stop();
    cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ends a stalled download with status 16, red status and an error, keeping no part file', async () => {
    const node = helper.getNode('files')!;
    const errors: string[] = [];
    node.on('call:error', (c: { args: [Error] }) => errors.push(c.args[0].message));
    const red = new Promise<void>((resolve) => {
      node.on('call:status', (c: { args: [{ fill?: string }] }) => {
        if (c.args[0]?.fill === 'red') resolve();
      });
    });
    sim.addFile('slow.bin', Buffer.alloc(500, 7));
    sim.downloadFault = { kind: 'stall', after: 100 };
    const a = await sim.waitAck(sim.execMethod('file_download', { file_name: 'slow.bin' }));
    sim.downloadFault = undefined;
    assert.equal(a.errorCode, 16);
    assert.match(String(a.errorMessage), /stalled/);
    await red;
    assert.ok(errors.length > 0, 'an error for Catch nodes');
    assert.deepEqual(fs.readdirSync(work).sort(), ['link.txt']);
  });

  it('ends a download the service answers with HTTP 500 with status 8', async () => {
    sim.addFile('gone.bin', Buffer.from('x'));
    sim.downloadFault = { kind: 'status', code: 500 };
    const a = await sim.waitAck(sim.execMethod('file_download', { file_name: 'gone.bin' }));
    sim.downloadFault = undefined;
    assert.equal(a.errorCode, 8);
    assert.deepEqual(fs.readdirSync(work).sort(), ['link.txt']);
  });

  it('refuses a file the store does not have, and an upload over the size limit', async () => {
    const missing = await sim.waitAck(sim.execMethod('file_download', { file_name: 'none.bin' }));
    assert.notEqual(missing.errorCode, 0);
    fs.writeFileSync(path.join(work, 'large.bin'), Buffer.alloc(1001));
    const large = await sim.waitAck(sim.execMethod('file_upload', { file_name: 'large.bin' }));
    assert.equal(large.errorCode, 7);
    assert.equal([...sim.uploads.values()].filter((u) => u.name === 'large.bin').length, 0, 'no file.put for it');
    fs.rmSync(path.join(work, 'large.bin'));
  });

  it('takes a transfer from the flow too, and refuses a message without an action', async () => {
    const node = helper.getNode('files')!;
    fs.writeFileSync(path.join(work, 'flow.txt'), 'from the flow');
    const sent = new Promise<{ payload: { action: string; bytes: number; crc32: number } }>((resolve) => {
      helper.getNode('out')!.once('input', (m: { payload: { action: string; bytes: number; crc32: number } }) => resolve(m));
    });
    node.receive({ payload: { action: 'upload', file_name: 'flow.txt' } });
    const out = await sent;
    assert.equal(out.payload.action, 'upload');
    assert.equal(out.payload.bytes, 13);
    assert.equal([...sim.uploads.values()].find((u) => u.name === 'flow.txt')?.data?.toString(), 'from the flow');
    const err = await new Promise<Error>((resolve) => {
      node.once('call:error', (c: { args: [Error] }) => resolve(c.args[0]));
      node.receive({ payload: { file_name: 'x' } });
    });
    assert.ok(err instanceof Error);
    const traversal = await new Promise<Error>((resolve) => {
      node.once('call:error', (c: { args: [Error] }) => resolve(c.args[0]));
      node.receive({ payload: { action: 'download', file_name: 'x', file_path: '../..' } });
    });
    assert.ok(traversal instanceof Error);
    fs.rmSync(path.join(work, 'flow.txt'));
  });

  it('refuses to upload through a symbolic link that leads out of the allowed directory', async () => {
    const a = await sim.waitAck(sim.execMethod('file_upload', { file_name: 'link.txt' }));
    assert.equal(a.errorCode, 10);
    assert.equal(
      [...sim.uploads.values()].some((u) => u.data?.toString() === 'not for the cloud'),
      false,
    );
  });
});
