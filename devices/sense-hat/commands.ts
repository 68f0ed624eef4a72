/**
 * What the Sense HAT out node is asked to do, parsed from a message. Accepts the text commands of
 * node-red-node-pi-sense-hat (`x,y,colour`, `R90`, `FH`, `D0`, anything else scrolls) and objects
 * (`{text}`, `{pixels}`, `{image}`, `{clear}`, `{rotation}`, `{lowLight}`, `{flip}`). Pure.
 */
import { fail, ok, type Result } from '../../dialects/types';
import { parseColour } from './colours';
import { toFontText } from './font';
import type { Rgb, Rotation } from './interface';

export interface Pixel {
  x: number;
  y: number;
  colour: Rgb;
}

export type Command =
  | { kind: 'pixels'; pixels: Pixel[] }
  | { kind: 'image'; image: Rgb[] }
  | { kind: 'clear'; colour: Rgb }
  | { kind: 'rotation'; rotation: Rotation }
  | { kind: 'flip'; axis: 'h' | 'v' }
  | { kind: 'lowLight'; on: boolean }
  | { kind: 'text'; text: string; fg: Rgb; bg: Rgb; columnMs: number };

/** Text settings: node defaults, overridden by msg.color/colour, msg.background, msg.speed. */
export interface TextStyle {
  fg: Rgb;
  bg: Rgb;
  columnMs: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Speed 1 (slow) … 5 (fast) as in the old node (0.1 s + (3 − s)·0.03 s per column). */
export function speedToColumnMs(v: unknown): Result<number> {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 5) return fail(`speed must be 1 (slow) to 5 (fast), not ${String(v)}`);
  return ok(100 + (3 - n) * 30);
}

/** Style of a message's text: msg.color (or colour), msg.background, msg.speed over the defaults. */
export function textStyle(src: Record<string, unknown>, defaults: TextStyle): Result<TextStyle> {
  const style = { ...defaults };
  const fg = src['color'] ?? src['colour'];
  if (fg !== undefined && fg !== '') {
    const c = parseColour(fg);
    if (!c.ok) return c;
    style.fg = c.value;
  }
  if (src['background'] !== undefined && src['background'] !== '') {
    const c = parseColour(src['background']);
    if (!c.ok) return c;
    style.bg = c.value;
  }
  if (src['speed'] !== undefined && src['speed'] !== '') {
    const s = speedToColumnMs(src['speed']);
    if (!s.ok) return s;
    style.columnMs = s.value;
  }
  return ok(style);
}

function textCommand(text: unknown, style: TextStyle): Result<Command> {
  if (typeof text !== 'string' && typeof text !== 'number') return fail('text must be a string');
  const mapped = toFontText(String(text));
  if (!mapped.ok) return mapped;
  return ok({ kind: 'text', text: mapped.value, ...style });
}

const COORD = /^(\d+|\*|\d+-\d+)$/;
const COLOUR_TOKEN = /^(\d{1,3}|#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]+)$/i;

/** `3`, `*` or `2-5` → the coordinates it covers. */
function coords(token: string, axis: string): Result<number[]> {
  const [a = '', b = a] = token === '*' ? ['0', '7'] : token.split('-');
  const from = Number(a);
  const to = Number(b);
  if (from > 7 || to > 7) return fail(`${axis} ${token} is outside 0–7`);
  if (to < from) return fail(`${axis} range ${token} runs backwards`);
  return ok(Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

/**
 * `x,y,colour[,x,y,colour…]`, or undefined when the line does not have that shape (it is text
 * then). A line of that shape with a bad coordinate or colour is an error, not text.
 */
function pixelLine(line: string): Result<Command> | undefined {
  const t = line.split(',').map((s) => s.trim());
  const pixels: Pixel[] = [];
  let i = 0;
  while (i < t.length) {
    const [xs = '', ys = '', c1 = ''] = t.slice(i, i + 3);
    if (!COORD.test(xs) || !COORD.test(ys) || !COLOUR_TOKEN.test(c1)) return undefined;
    const numeric = /^\d+$/.test(c1);
    const colourText = numeric ? t.slice(i + 2, i + 5).join(',') : c1;
    if (numeric && !t.slice(i + 2, i + 5).every((s) => /^\d{1,3}$/.test(s))) return undefined;
    i += numeric ? 5 : 3;
    const xr = coords(xs, 'x');
    const yr = coords(ys, 'y');
    const colour = parseColour(colourText);
    if (!xr.ok) return xr;
    if (!yr.ok) return yr;
    if (!colour.ok) return colour;
    for (const x of xr.value) for (const y of yr.value) pixels.push({ x, y, colour: colour.value });
  }
  return pixels.length > 0 ? ok({ kind: 'pixels', pixels }) : undefined;
}

/** One line of a text payload. */
function lineCommand(line: string, style: TextStyle): Result<Command> {
  const pix = pixelLine(line);
  if (pix) return pix;
  const r = /^R(0|90|180|270)$/i.exec(line);
  if (r) return ok({ kind: 'rotation', rotation: Number(r[1]) as Rotation });
  const f = /^F([HV])$/i.exec(line);
  if (f) return ok({ kind: 'flip', axis: (f[1] ?? 'h').toLowerCase() === 'h' ? 'h' : 'v' });
  const d = /^D([01])$/.exec(line);
  if (d) return ok({ kind: 'lowLight', on: d[1] === '0' });
  return textCommand(line, style);
}

function rotationOf(v: unknown): Result<Rotation> {
  const n = Number(v);
  return n === 0 || n === 90 || n === 180 || n === 270 ? ok(n) : fail(`rotation must be 0, 90, 180 or 270, not ${String(v)}`);
}

function pixelObjects(list: unknown[]): Result<Command> {
  const pixels: Pixel[] = [];
  for (const p of list) {
    if (!isRecord(p)) return fail('each pixel must be {x, y, color}');
    const { x, y } = p;
    if (
      typeof x !== 'number' ||
      typeof y !== 'number' ||
      !Number.isInteger(x) ||
      !Number.isInteger(y) ||
      x < 0 ||
      x > 7 ||
      y < 0 ||
      y > 7
    ) {
      return fail(`pixel ${JSON.stringify({ x, y })} is outside 0–7`);
    }
    const c = parseColour(p['color'] ?? p['colour']);
    if (!c.ok) return c;
    pixels.push({ x, y, colour: c.value });
  }
  return ok({ kind: 'pixels', pixels });
}

function imageOf(v: unknown): Result<Command> {
  const flat =
    Array.isArray(v) && v.length === 8 && v.every((row) => Array.isArray(row) && row.length === 8) ? (v as unknown[][]).flat() : v;
  if (!Array.isArray(flat) || flat.length !== 64) return fail('an image needs 64 pixels (or 8 rows of 8)');
  const image: Rgb[] = [];
  for (const c of flat) {
    const rgb = parseColour(c);
    if (!rgb.ok) return rgb;
    image.push(rgb.value);
  }
  return ok({ kind: 'image', image });
}

function objectCommands(p: Record<string, unknown>, style: TextStyle): Result<Command[]> {
  const out: Command[] = [];
  const add = (r: Result<Command>): string | undefined => (r.ok ? void out.push(r.value) : r.error);
  const errors: (string | undefined)[] = [];
  if (p['rotation'] !== undefined) {
    const r = rotationOf(p['rotation']);
    errors.push(r.ok ? add(ok({ kind: 'rotation', rotation: r.value })) : r.error);
  }
  if (p['lowLight'] !== undefined) errors.push(add(ok({ kind: 'lowLight', on: p['lowLight'] === true || p['lowLight'] === 'true' })));
  if (p['flip'] !== undefined) {
    const a = typeof p['flip'] === 'string' ? p['flip'].toLowerCase() : '';
    errors.push(a === 'h' || a === 'v' ? add(ok({ kind: 'flip', axis: a })) : `flip must be "h" or "v", not ${JSON.stringify(p['flip'])}`);
  }
  if (p['clear'] !== undefined && p['clear'] !== false) {
    const c = p['clear'] === true ? ok<Rgb>([0, 0, 0]) : parseColour(p['clear']);
    errors.push(c.ok ? add(ok({ kind: 'clear', colour: c.value })) : c.error);
  }
  if (p['image'] !== undefined) errors.push(add(imageOf(p['image'])));
  if (p['pixels'] !== undefined) errors.push(add(Array.isArray(p['pixels']) ? pixelObjects(p['pixels']) : fail('pixels must be a list')));
  if (p['text'] !== undefined) {
    const s = textStyle(p, style);
    errors.push(s.ok ? add(textCommand(p['text'], s.value)) : s.error);
  }
  const error = errors.find((e) => e !== undefined);
  if (error) return fail(error);
  if (out.length === 0) return fail('nothing to show: expected text, pixels, image, clear, rotation, lowLight or flip');
  return ok(out);
}

/** The commands of one message, in the order they apply; nothing is applied if any part is bad. */
export function parseCommands(msg: Record<string, unknown>, defaults: TextStyle): Result<Command[]> {
  const style = textStyle(msg, defaults);
  if (!style.ok) return style;
  const p = msg['payload'];
  if (typeof p === 'string' || typeof p === 'number') {
    const lines = String(p)
      .split('\n')
      .filter((l) => l.trim() !== '');
    if (lines.length === 0) return fail('nothing to show: the payload is empty');
    const out: Command[] = [];
    for (const line of lines) {
      const c = lineCommand(line.trim() === line ? line : line.replace(/\r$/, ''), style.value);
      if (!c.ok) return c;
      out.push(c.value);
    }
    return ok(out);
  }
  if (Array.isArray(p)) {
    const r = p.every(isRecord) ? pixelObjects(p) : imageOf(p);
    return r.ok ? ok([r.value]) : r;
  }
  if (isRecord(p)) return objectCommands(p, style.value);
  return fail(`cannot show a payload of type ${p === null ? 'null' : typeof p}`);
}
