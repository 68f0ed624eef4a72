import { strict as assert } from 'node:assert';
import { after, afterEach, before, describe, it } from 'node:test';
import { currentSimulation } from '../../devices/sense-hat/hub';
import { keyEvent } from '../../devices/sense-hat/joystick';
import { helper, nextError, nextMessage, statusMatching, useSettings, type TestNode } from '../support/red';
import { FakeSenseHat } from '../unit/devices/fake-sense-hat';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORE_NODES } from '../support/core-nodes';
import { until } from '../unit/devices/fake-sense-hat';
const OUT_NODE = require('../../nodes/sense-hat-out') as unknown;

const JOYSTICK_NODE = require('../../nodes/joystick') as unknown;
const node = (extra: Record<string, unknown> = {}): object => ({ id: 'js', type: 'device-agent-joystick', wires: [['out']], ...extra });

describe('joystick node', { timeout: 60_000 }, () => {
  let fake: FakeSenseHat | undefined;
  let cleanup: (() => void) | undefined;
  before(async () => helper.startServer());
  after(async () => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    cleanup?.();
    fake?.cleanup();
    fake = undefined;
  });

  async function load(def: object, f: FakeSenseHat): Promise<{ js: TestNode; out: TestNode }> {
    fake = f;
    cleanup = useSettings({ deviceAgentHostRoot: f.root }).cleanup;
    await helper.load([JOYSTICK_NODE], [def, { id: 'out', type: 'helper' }]);
    return { js: helper.getNode('js')!, out: helper.getNode('out')! };
  }

  it('sends pressed, held and released from the binary input events, with the kernel time', async () => {
    const { js, out } = await load(node(), new FakeSenseHat());
    await statusMatching(js, (s) => s['text'] === 'joystick.status.ok');
    const got: Record<string, unknown>[] = [];
    out.on('input', (m: Record<string, unknown>) => got.push(m));
    const last = new Promise<void>((resolve) => out.on('input', () => got.length === 3 && resolve()));
    fake!.events(
      Buffer.concat([
        keyEvent('LEFT', 1, 1_700_000_000_100),
        keyEvent('LEFT', 2, 1_700_000_000_400),
        keyEvent('LEFT', 0, 1_700_000_000_900),
      ]),
    );
    await last;
    assert.deepEqual(
      got.map((m) => [m['topic'], m['payload'], m['timestamp']]),
      [
        ['joystick', { key: 'LEFT', state: 1, action: 'pressed' }, 1_700_000_000_100],
        ['joystick', { key: 'LEFT', state: 2, action: 'held' }, 1_700_000_000_400],
        ['joystick', { key: 'LEFT', state: 0, action: 'released' }, 1_700_000_000_900],
      ],
    );
  });

  it('sends only the chosen states', async () => {
    const { js, out } = await load(node({ held: false, released: false }), new FakeSenseHat());
    await statusMatching(js, (s) => s['text'] === 'joystick.status.ok');
    const got = nextMessage(out);
    fake!.events(Buffer.concat([keyEvent('UP', 2, 1), keyEvent('UP', 0, 2), keyEvent('ENTER', 1, 3)]));
    assert.deepEqual((await got)['payload'], { key: 'ENTER', state: 1, action: 'pressed' });
  });

  it('reports a truncated event with an error and a red status, and carries on', async () => {
    const { js, out } = await load(node(), new FakeSenseHat());
    await statusMatching(js, (s) => s['text'] === 'joystick.status.ok');
    const red = statusMatching(js, (s) => s['text'] === 'joystick.status.garbage');
    const err = nextError(js);
    fake!.events(keyEvent('DOWN', 1, 1).subarray(0, 10));
    assert.equal(await err, 'joystick.errors.device');
    await red;
    const green = statusMatching(js, (s) => s['text'] === 'joystick.status.ok');
    const got = nextMessage(out);
    fake!.events(keyEvent('RIGHT', 1, 2));
    assert.deepEqual((await got)['payload'], { key: 'RIGHT', state: 1, action: 'pressed' });
    await green;
  });

  it('says the joystick is missing and starts when it appears', async () => {
    const { js, out } = await load(node(), new FakeSenseHat({ joystick: false }));
    await statusMatching(js, (s) => s['text'] === 'joystick.status.missing');
    const green = statusMatching(js, (s) => s['text'] === 'joystick.status.ok', 8000);
    fake!.write('sys/class/input/event2/device/name', 'Raspberry Pi Sense HAT Joystick\n');
    fake!.write('dev/input/event2', '');
    await green;
    const got = nextMessage(out);
    fake!.write('dev/input/event2', keyEvent('UP', 1, 5));
    assert.equal(((await got)['payload'] as Record<string, unknown>)['key'], 'UP');
  });

  it('listens to the simulated board (blue ring) when none is found', async () => {
    const { js, out } = await load(node({ simulate: true }), new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] }));
    await statusMatching(js, (s) => s['fill'] === 'blue' && s['text'] === 'joystick.status.simulated');
    const got = nextMessage(out);
    await (await currentSimulation())!.press('DOWN', [1]);
    assert.deepEqual((await got)['payload'], { key: 'DOWN', state: 1, action: 'pressed' });
  });

  /** A per-node example flow as shipped, with `patch` applied, on an empty root (so simulated). */
  async function loadExample(file: string, nodes: unknown[], patch: (n: Record<string, unknown>) => void = () => undefined): Promise<void> {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    cleanup = useSettings({ deviceAgentHostRoot: fake.root }).cleanup;
    const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', file), 'utf8')) as Record<string, unknown>[];
    flow.forEach(patch);
    await helper.load([...CORE_NODES, ...nodes], flow);
  }

  it('runs its example flow as shipped: a press shows in the debug node and lights its edge', async () => {
    await loadExample('joystick.json', [JOYSTICK_NODE, OUT_NODE]);
    await until(async () => (await currentSimulation()) !== undefined, 'simulated board');
    const sim = (await currentSimulation())!;
    await statusMatching(helper.getNode('da_ex_joystick_node')!, (s) => s['fill'] === 'blue');
    const moved = nextMessage(helper.getNode('da_ex_joystick_dbg')!, 10_000);
    await sim.press('LEFT', [1]);
    assert.deepEqual((await moved)['payload'], { key: 'LEFT', state: 1, action: 'pressed' });
    await until(async () => (await sim.framebuffer()).readUInt16LE(2 * 8 * 5) === 0x001f, 'left edge blue');
  });
});
