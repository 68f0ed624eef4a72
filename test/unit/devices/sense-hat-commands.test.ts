/** The Sense HAT out node's message formats, including those of node-red-node-pi-sense-hat. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseCommands, speedToColumnMs, type Command, type TextStyle } from '../../../devices/sense-hat/commands';

const STYLE: TextStyle = { fg: [255, 255, 255], bg: [0, 0, 0], columnMs: 100 };
const parse = (msg: Record<string, unknown>): Command[] => {
  const r = parseCommands(msg, STYLE);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
};
const refuse = (msg: Record<string, unknown>, pattern: RegExp): void => {
  const r = parseCommands(msg, STYLE);
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, pattern);
};

describe('Sense HAT out commands', () => {
  it('sets single pixels, rows, columns and ranges as the old node did', () => {
    const [c] = parse({ payload: '0,0,red,7,7,0,0,255' });
    assert.deepEqual(c, {
      kind: 'pixels',
      pixels: [
        { x: 0, y: 0, colour: [255, 0, 0] },
        { x: 7, y: 7, colour: [0, 0, 255] },
      ],
    });
    const [all] = parse({ payload: '*,*,#00ff00' });
    assert.equal(all?.kind === 'pixels' ? all.pixels.length : 0, 64);
    const [cols] = parse({ payload: '4-6,*,purple' });
    assert.equal(cols?.kind === 'pixels' ? cols.pixels.length : 0, 24);
    assert.ok(cols?.kind === 'pixels' && cols.pixels.every((p) => p.x >= 4 && p.x <= 6));
  });

  it('reads one command per line: rotation, flip, low light and text', () => {
    assert.deepEqual(
      parse({ payload: 'R90\nFH\nD0\nD1\nHello' }).map((c) => c.kind),
      ['rotation', 'flip', 'lowLight', 'lowLight', 'text'],
    );
    const cmds = parse({ payload: 'R270\nD0' });
    assert.deepEqual(cmds, [
      { kind: 'rotation', rotation: 270 },
      { kind: 'lowLight', on: true },
    ]);
  });

  it('scrolls anything else, with msg.color, msg.background and msg.speed', () => {
    assert.deepEqual(parse({ payload: 'Hi there', color: 'red', background: '0,0,64', speed: 5 }), [
      { kind: 'text', text: 'Hi there', fg: [255, 0, 0], bg: [0, 0, 64], columnMs: 40 },
    ]);
    assert.deepEqual(
      parse({ payload: 'R45' }).map((c) => c.kind),
      ['text'],
      'not a rotation the old node knew: text, as before',
    );
    assert.deepEqual(
      parse({ payload: '1,2,3 go' }).map((c) => c.kind),
      ['text'],
    );
  });

  it('maps the old speeds 1–5 to ms per column', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((s) => speedToColumnMs(s)),
      [160, 130, 100, 70, 40].map((v) => ({ ok: true, value: v })),
    );
  });

  it('takes objects: a c8y_Message payload {text} scrolls as it is', () => {
    assert.deepEqual(parse({ payload: { text: 'Hello device' } }), [{ kind: 'text', text: 'Hello device', ...STYLE }]);
    const cmds = parse({
      payload: { rotation: 180, lowLight: true, clear: 'blue', pixels: [{ x: 1, y: 2, color: 'lime' }], text: 'A', color: 'red' },
    });
    assert.deepEqual(
      cmds.map((c) => c.kind),
      ['rotation', 'lowLight', 'clear', 'pixels', 'text'],
    );
    assert.deepEqual(cmds[4], { kind: 'text', text: 'A', fg: [255, 0, 0], bg: [0, 0, 0], columnMs: 100 });
  });

  it('takes an image as 64 colours or 8 rows of 8', () => {
    const flat = parse({ payload: new Array(64).fill('red') });
    const rows = parse({ payload: { image: new Array(8).fill(new Array(8).fill([255, 0, 0])) } });
    assert.deepEqual(flat, rows);
  });

  for (const [what, msg, pattern] of [
    ['x outside 0–7', { payload: '8,0,red' }, /x 8 is outside 0–7/],
    ['a backwards range', { payload: '5-2,0,red' }, /runs backwards/],
    ['an unknown colour name in a pixel command', { payload: '1,1,hello' }, /unknown colour "hello"/],
    ['a channel over 255', { payload: '1,1,300,0,0' }, /300 is not 0–255/],
    ['a pixel object outside the matrix', { payload: { pixels: [{ x: -1, y: 0, color: 'red' }] } }, /outside 0–7/],
    ['an image of 63 pixels', { payload: { image: new Array(63).fill('red') } }, /64 pixels/],
    ['a rotation of 45', { payload: { rotation: 45 } }, /0, 90, 180 or 270/],
    ['speed 9', { payload: 'x', speed: 9 }, /speed must be 1/],
    ['unsupported characters', { payload: { text: 'snow ☃' } }, /cannot show "☃"/],
    ['an empty payload', { payload: '' }, /empty/],
    ['an object with nothing to do', { payload: { foo: 1 } }, /nothing to show/],
    ['a boolean', { payload: true }, /type boolean/],
    ['a bad flip', { payload: { flip: 'x' } }, /flip must be/],
  ] as const) {
    it(`refuses ${what}`, () => refuse(msg, pattern));
  }
});
