import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { demoHost, writeFakeHost } from '../../devices/system-info/synthetic';
import { CORE_NODES } from '../support/core-nodes';
import { helper, nextError, nextMessage, statusMatching, useSettings, type TestNode } from '../support/red';

const SYSTEM_NODE = require('../../nodes/system-info') as unknown;
const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'sys',
  type: 'device-agent-system-info',
  cpu: true,
  temperature: true,
  memory: true,
  disk: false,
  network: true,
  uptime: true,
  processes: true,
  top: '1',
  interval: '0',
  wires: [['out']],
  ...extra,
});

describe('system information node', { timeout: 60_000 }, () => {
  let root = '';
  let cleanup: (() => void) | undefined;
  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    cleanup?.();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function load(def: object): Promise<{ sys: TestNode; out: TestNode }> {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-sysnode-'));
    await writeFakeHost(root, demoHost(0));
    cleanup = useSettings({ deviceAgentHostRoot: root }).cleanup;
    await helper.load([SYSTEM_NODE], [def, { id: 'out', type: 'helper' }]);
    return { sys: helper.getNode('sys')!, out: helper.getNode('out')! };
  }

  it('reports the host as series for the measurement node, and the busiest processes', async () => {
    const { sys, out } = await load(node());
    await statusMatching(sys, (s) => s['text'] === 'system-info.status.ok');
    await writeFakeHost(root, demoHost(10));
    const got = nextMessage(out);
    sys.receive({ payload: 'go' });
    const msg = await got;
    const p = msg['payload'] as Record<string, { value: number; unit: string }>;
    assert.equal(msg['topic'], 'system');
    assert.deepEqual(p['cpuLoad'], { value: 40, unit: '%' });
    assert.deepEqual(p['cpuTemperature'], { value: 48.31, unit: '°C' });
    assert.deepEqual(p['memoryUsed'], { value: 50, unit: '%' });
    assert.deepEqual(p['memoryTotal'], { value: 1024, unit: 'MB' });
    assert.deepEqual(p['uptime'], { value: 3610, unit: 's' });
    assert.ok((p['networkRx']?.value ?? 0) > 0 && p['networkRx']?.unit === 'B/s');
    assert.deepEqual(
      (msg['processes'] as { name: string }[]).map((x) => x.name),
      ['node-red'],
    );
  });

  it('reads at its interval', async () => {
    const { out } = await load(node({ interval: '1', processes: false }));
    const msg = await nextMessage(out, 5000);
    assert.deepEqual((msg['payload'] as Record<string, unknown>)['memoryAvailable'], { value: 512, unit: 'MB' });
  });

  it('reports what it cannot read with an error and a red status, and sends the rest', async () => {
    const { sys, out } = await load(node());
    fs.rmSync(path.join(root, 'sys'), { recursive: true, force: true });
    const red = statusMatching(sys, (s) => s['fill'] === 'red');
    const err = nextError(sys);
    const got = nextMessage(out);
    sys.receive({});
    assert.equal(await err, 'system-info.errors.unreadable');
    // The status names what is missing in the catalogue's words, not the English problem text.
    assert.equal((await red)['text'], 'system-info.status.unreadable');
    assert.equal((await got)['payload'] && ((await got)['payload'] as Record<string, unknown>)['cpuTemperature'], undefined);
  });

  it('refuses settings that select nothing', async () => {
    const { sys } = await load(node({ cpu: false, temperature: false, memory: false, network: false, uptime: false, processes: false }));
    await statusMatching(sys, (s) => s['text'] === 'system-info.status.config');
  });

  it('runs its example flow as shipped: series and the top processes reach the debug nodes', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-sysnode-'));
    await writeFakeHost(root, demoHost(0));
    cleanup = useSettings({ deviceAgentHostRoot: root }).cleanup;
    const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'system-info.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    for (const n of flow) if (n['type'] === 'device-agent-system-info') n['interval'] = '1';
    await helper.load([...CORE_NODES, SYSTEM_NODE], flow);
    const series = nextMessage(helper.getNode('da_ex_system_dbg')!, 10_000);
    const procs = nextMessage(helper.getNode('da_ex_system_procs')!, 10_000);
    assert.deepEqual(((await series)['payload'] as Record<string, unknown>)['memoryTotal'], { value: 1024, unit: 'MB' });
    assert.equal(((await procs)['processes'] as unknown[]).length, 2);
  });
});
