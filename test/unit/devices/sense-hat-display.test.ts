/** Pure display code: RGB565 packing, rotation, low light, the font, scrolling frames and colours. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseColour } from '../../../devices/sense-hat/colours';
import { toFontText } from '../../../devices/sense-hat/font';
import { blankImage, dim, flip, packFramebuffer, physical, rgb565, unpackFramebuffer } from '../../../devices/sense-hat/frame';
import type { Rgb } from '../../../devices/sense-hat/interface';
import { frameCount, letterFrame, stripFrame, textStrip } from '../../../devices/sense-hat/text';

/** An image from 8 lines of `#` (colour) and `.` (off). */
function art(lines: string[], c: Rgb = [255, 255, 255]): Rgb[] {
  return lines
    .join('')
    .split('')
    .map((ch) => (ch === '#' ? c : [0, 0, 0]));
}

describe('Sense HAT display maths', () => {
  it('packs RGB565 from the top bits of each channel', () => {
    assert.equal(rgb565([255, 255, 255]), 0xffff);
    assert.equal(rgb565([0x12, 0x34, 0x56]), (0x02 << 11) | (0x0d << 5) | 0x0a);
    assert.equal(rgb565([7, 3, 7]), 0, 'below one step of each channel');
  });

  it('maps the four rotations as turns of the picture, never as mirrors', () => {
    assert.deepEqual(physical(0, 0, 0), [0, 0]);
    assert.deepEqual(physical(0, 0, 90), [7, 0]);
    assert.deepEqual(physical(1, 0, 90), [7, 1]);
    assert.deepEqual(physical(0, 0, 180), [7, 7]);
    assert.deepEqual(physical(0, 0, 270), [0, 7]);
    assert.deepEqual(physical(1, 0, 270), [0, 6]);
  });

  it('turns an asymmetric glyph by 90° into the glyph seen from the side, byte for byte', () => {
    const l = art(['#.......', '#.......', '#.......', '#.......', '#.......', '#.......', '#.......', '########']);
    const turned = art(['########', '#.......', '#.......', '#.......', '#.......', '#.......', '#.......', '#.......']);
    // The L turned clockwise: its foot goes up the left edge and its stem lies along the top.
    assert.deepEqual(packFramebuffer(l, 90, false), packFramebuffer(turned, 0, false));
  });

  it('dims in low light but keeps every lit channel lit after the driver drops low bits', () => {
    assert.equal(dim(0), 0);
    assert.equal(dim(255), 77);
    assert.equal(dim(10), 8);
    const buf = packFramebuffer(blankImage([255, 255, 255]), 0, true);
    assert.equal(buf.readUInt16LE(0), rgb565([77, 77, 77]));
  });

  it('mirrors the picture with FH and FV', () => {
    const img = art(['#.......', '........', '........', '........', '........', '........', '........', '........']);
    assert.deepEqual(flip(img, 'h')[7], [255, 255, 255]);
    assert.deepEqual(flip(img, 'v')[56], [255, 255, 255]);
  });

  it('scrolls "Hi": frame 8 is the golden picture and the first and last frames are blank', () => {
    const strip = textStrip('Hi');
    assert.equal(frameCount(strip), 19);
    const white: Rgb = [255, 255, 255];
    const off: Rgb = [0, 0, 0];
    const golden = art(['........', '#...#..#', '#...#...', '#...#.##', '#####..#', '#...#..#', '#...#..#', '#...#.##']);
    assert.deepEqual(packFramebuffer(stripFrame(strip, 8, white, off), 0, false), packFramebuffer(golden, 0, false));
    assert.deepEqual(stripFrame(strip, 0, white, off), blankImage());
    assert.deepEqual(stripFrame(strip, 18, white, off), blankImage());
  });

  it('shows one character still and centred', () => {
    const f = letterFrame('I', [255, 0, 0], [0, 0, 255]);
    const want = art(['........', '..###...', '...#....', '...#....', '...#....', '...#....', '...#....', '..###...'], [255, 0, 0]).map(
      (c) => (c[0] === 0 ? ([0, 0, 255] as Rgb) : c),
    );
    assert.deepEqual(f, want);
  });

  it('maps accents and typographic marks onto the font and refuses what it cannot show', () => {
    assert.deepEqual(toFontText('Grüße – “héllo” 21°C'), { ok: true, value: 'Grusse - "hello" 21°C' });
    const r = toFontText('hot ☀ day 🌡');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /"☀" "🌡"/);
  });

  it('round-trips a framebuffer to colours at the panel resolution', () => {
    const px = unpackFramebuffer(packFramebuffer(blankImage([0xf8, 0xfc, 0xf8]), 0, false));
    assert.deepEqual(px[5], [0xf8, 0xfc, 0xf8]);
  });

  for (const [input, want] of [
    ['red', [255, 0, 0]],
    ['Aquamarine', [127, 255, 212]],
    ['warmwhite', [253, 245, 230]],
    ['off', [0, 0, 0]],
    ['#0f8', [0, 255, 136]],
    ['#102030', [16, 32, 48]],
    ['1, 2,3', [1, 2, 3]],
    [
      [4, 5, 6],
      [4, 5, 6],
    ],
    [{ r: 7, g: 8, b: 9 }, [7, 8, 9]],
  ] as const) {
    it(`reads the colour ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseColour(input), { ok: true, value: want });
    });
  }

  for (const bad of ['redd', '#12345', '256,0,0', [1, 2], [-1, 0, 0], { r: 1.5, g: 0, b: 0 }, 7, null]) {
    it(`refuses the colour ${JSON.stringify(bad)}`, () => {
      assert.equal(parseColour(bad).ok, false);
    });
  }
});
