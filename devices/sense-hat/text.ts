/** Scrolling text as a strip of 8-pixel columns and the frames cut from it (sense-hat.md §8). Pure. */
import { glyphColumns } from './font';
import type { Rgb } from './interface';

/** Columns (bit y = row y) of the text: 8 blank, each glyph plus one spacer, 8 blank. */
export function textStrip(text: string): number[] {
  const cols: number[] = new Array<number>(8).fill(0);
  for (const ch of text) {
    // Glyph rows 0–6 go to matrix rows 1–7: the top row stays free, as on a 5×8 font.
    for (const c of glyphColumns(ch)) cols.push(c << 1);
    cols.push(0);
  }
  for (let i = 0; i < 8; i += 1) cols.push(0);
  return cols;
}

/** Number of frames of a scroll: the first and the last are blank. */
export function frameCount(strip: readonly number[]): number {
  return Math.max(1, strip.length - 7);
}

/** Frame k shows columns k … k+7 of the strip. */
export function stripFrame(strip: readonly number[], k: number, fg: Rgb, bg: Rgb): Rgb[] {
  const out: Rgb[] = [];
  for (let y = 0; y < 8; y += 1) {
    for (let x = 0; x < 8; x += 1) out.push(((strip[k + x] ?? 0) >> y) & 1 ? fg : bg);
  }
  return out;
}

/** One character shown still, centred (like show_letter). */
export function letterFrame(ch: string, fg: Rgb, bg: Rgb): Rgb[] {
  const cols = glyphColumns(ch).map((c) => c << 1);
  const left = Math.floor((8 - cols.length) / 2);
  const strip = [...new Array<number>(left).fill(0), ...cols, ...new Array<number>(8).fill(0)];
  return stripFrame(strip, 0, fg, bg);
}
