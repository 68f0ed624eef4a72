import { strict as assert } from 'node:assert';
import { after, afterEach, before, describe, it } from 'node:test';
import { blankImage, packFramebuffer } from '../../devices/sense-hat/frame';
import { currentSimulation } from '../../devices/sense-hat/hub';
import type { Rgb } from '../../devices/sense-hat/interface';
import { frameCount, stripFrame, textStrip } from '../../devices/sense-hat/text';
import { helper, nextError, nextMessage, statusMatching, useSettings, type TestNode } from '../support/red';
import { FakeSenseHat, until } from '../unit/devices/fake-sense-hat';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORE_NODES } from '../support/core-nodes';

const OUT_NODE = require('../../nodes/sense-hat-out') as unknown;
const node = (extra: Record<string, unknown> = {}): object => ({
  id: 'led',
  type: 'device-agent-sense-hat-out',
  columnMs: '60',
  wires: [['out']],
  ...extra,
});

/** Every distinct framebuffer content seen while `during` runs (the file is polled). */
async function watchFrames(read: () => Buffer, during: Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    const hex = read().toString('hex');
    if (seen[seen.length - 1] !== hex) seen.push(hex);
    await new Promise((r) => setTimeout(r, 3));
  }
  return seen;
}

describe('Sense HAT out node', { timeout: 60_000 }, () => {
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

  async function load(def: object, f: FakeSenseHat = (fake = new FakeSenseHat())): Promise<{ led: TestNode; out: TestNode }> {
    cleanup = useSettings({ deviceAgentHostRoot: f.root }).cleanup;
    await helper.load([OUT_NODE], [def, { id: 'out', type: 'helper' }]);
    const led = helper.getNode('led')!;
    return { led, out: helper.getNode('out')! };
  }

  it('sets pixels from the old text command and passes the message on', async () => {
    const { led, out } = await load(node());
    await statusMatching(led, (s) => s['text'] === 'sense-hat-out.status.ok');
    const passed = nextMessage(out);
    led.receive({ payload: '0,0,red,7,7,0,0,255' });
    assert.equal((await passed)['payload'], '0,0,red,7,7,0,0,255');
    const img: Rgb[] = blankImage();
    img[0] = [255, 0, 0];
    img[63] = [0, 0, 255];
    assert.deepEqual(fake?.fb(), packFramebuffer(img, 0, false));
  });

  it('draws an image rotated by the configured 90° and dimmed in low light, byte for byte', async () => {
    const { led, out } = await load(node({ rotation: '90', lowLight: true }));
    const image: Rgb[] = blankImage();
    image[0] = [255, 255, 255];
    image[1] = [200, 100, 50];
    const passed = nextMessage(out);
    led.receive({ payload: { image } });
    await passed;
    const want = Buffer.alloc(128);
    want.writeUInt16LE(((77 >> 3) << 11) | ((77 >> 2) << 5) | (77 >> 3), 2 * 7); // (0,0) → (7,0), 30 %
    want.writeUInt16LE(((60 >> 3) << 11) | ((30 >> 2) << 5) | (15 >> 3), 2 * 15); // (1,0) → (7,1)
    assert.deepEqual(fake?.fb(), want);
    // R0 from a message changes the rotation for what follows.
    const again = nextMessage(out);
    led.receive({ payload: 'R0' });
    await again;
    assert.equal(fake?.fb().readUInt16LE(0), ((77 >> 3) << 11) | ((77 >> 2) << 5) | (77 >> 3));
  });

  it('scrolls text through exactly the frames of the strip, in its colour, then shows the picture again', async () => {
    const { led, out } = await load(node());
    const set = nextMessage(out);
    led.receive({ payload: '3,3,blue' });
    await set;
    const picture = fake!.fb().toString('hex');
    const passed = nextMessage(out, 10_000);
    led.receive({ payload: 'Hi', color: 'yellow', speed: 5 });
    const seen = await watchFrames(() => fake!.fb(), passed);
    const strip = textStrip('Hi');
    const frames = new Set(
      Array.from({ length: frameCount(strip) }, (_, k) =>
        packFramebuffer(stripFrame(strip, k, [255, 255, 0], [0, 0, 0]), 0, false).toString('hex'),
      ),
    );
    const scrolled = seen.filter((f) => f !== picture);
    assert.ok(scrolled.length >= 3, `saw ${scrolled.length} frames`);
    for (const f of scrolled) assert.ok(frames.has(f), `frame ${f} is not a frame of the text`);
    assert.equal(fake!.fb().toString('hex'), picture, 'the picture is back');
  });

  for (const [what, payload, pattern] of [
    ['a pixel outside the matrix', '8,0,red', 'sense-hat-out.errors.bad-input'],
    ['an unknown colour', { clear: 'ultraviolet' }, 'sense-hat-out.errors.bad-input'],
    ['characters the font does not have', { text: 'snow ☃' }, 'sense-hat-out.errors.bad-input'],
  ] as const) {
    it(`refuses ${what} with an error and a red status, draws nothing, and recovers`, async () => {
      const { led, out } = await load(node());
      const red = statusMatching(led, (s) => s['text'] === 'sense-hat-out.status.bad-input');
      const err = nextError(led);
      led.receive({ payload });
      assert.equal(await err, pattern);
      await red;
      assert.ok(fake?.fb().every((b) => b === 0));
      const green = statusMatching(led, (s) => s['text'] === 'sense-hat-out.status.ok');
      led.receive({ payload: { clear: 'white' } });
      await nextMessage(out);
      await green;
      assert.ok(fake?.fb().every((b) => b === 0xff));
    });
  }

  it('says the framebuffer has the wrong size, and draws once it is right', async () => {
    const { led, out } = await load(node(), (fake = new FakeSenseHat({ fbBytes: 64 })));
    const red = statusMatching(led, (s) => s['text'] === 'sense-hat-out.status.size');
    const err = nextError(led);
    led.receive({ payload: '*,*,white' });
    assert.equal(await err, 'sense-hat-out.errors.display');
    await red;
    fake.write('dev/fb1', Buffer.alloc(128));
    led.receive({ payload: '*,*,white' });
    await nextMessage(out);
    assert.ok(fake.fb().every((b) => b === 0xff));
  });

  it('says the LED matrix is missing when only the sensors are there', async () => {
    const { led } = await load(node(), (fake = new FakeSenseHat({ fbBytes: 0 })));
    const red = statusMatching(led, (s) => s['text'] === 'sense-hat-out.status.missing');
    const err = nextError(led);
    led.receive({ payload: '*,*,white' });
    assert.equal(await err, 'sense-hat-out.errors.display');
    await red;
  });

  it('lets new input replace running text by default', async () => {
    const { led, out } = await load(node({ columnMs: '1000' }));
    const first = nextMessage(out, 5000);
    led.receive({ payload: 'a long text that would take a minute' });
    await until(() => fake!.fb().some((b) => b !== 0), 'scrolling started');
    led.receive({ payload: { clear: 'red' } });
    await first;
    await until(() => fake!.fb().readUInt16LE(0) === 0xf800 && fake!.fb().readUInt16LE(126) === 0xf800, 'red screen', 5000);
  });

  it('queues text in order when set to wait', async () => {
    const { led, out } = await load(node({ mode: 'queue', columnMs: '20' }));
    const order: unknown[] = [];
    out.on('input', (m: Record<string, unknown>) => order.push(m['payload']));
    led.receive({ payload: 'one' });
    led.receive({ payload: 'two' });
    await until(() => order.length === 2, 'both texts', 15_000);
    assert.deepEqual(order, ['one', 'two']);
  });

  it('draws on the simulated board (blue ring) when none is found', async () => {
    const { led, out } = await load(node({ simulate: true }), (fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] })));
    await statusMatching(led, (s) => s['fill'] === 'blue' && s['text'] === 'sense-hat-out.status.simulated');
    led.receive({ payload: '0,0,lime' });
    await nextMessage(out);
    const sim = await currentSimulation();
    assert.equal((await sim!.framebuffer()).readUInt16LE(0), 0x07e0);
  });

  /** A per-node example flow as shipped, with `patch` applied, on an empty root (so simulated). */
  async function loadExample(file: string, nodes: unknown[], patch: (n: Record<string, unknown>) => void = () => undefined): Promise<void> {
    fake = new FakeSenseHat({ fbBytes: 0, joystick: false, iio: [] });
    cleanup = useSettings({ deviceAgentHostRoot: fake.root }).cleanup;
    const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', file), 'utf8')) as Record<string, unknown>[];
    flow.forEach(patch);
    await helper.load([...CORE_NODES, ...nodes], flow);
  }

  it('runs its example flow as shipped: the corners button lights the four corners', async () => {
    await loadExample('sense-hat-out.json', [OUT_NODE]);
    const shown = nextMessage(helper.getNode('da_ex_hatout_dbg')!, 10_000);
    helper.getNode('da_ex_hatout_pixels')!.receive({});
    await shown;
    const fb = await (await currentSimulation())!.framebuffer();
    assert.deepEqual(
      [0, 7, 56, 63].map((i) => fb.readUInt16LE(2 * i)),
      [0xf800, 0x001f, 0x07e0, 0xffe0],
    );
  });
});
