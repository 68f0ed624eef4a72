/**
 * Colours as users write them: CSS names (what node-red-node-pi-sense-hat accepts), the CheerLights
 * names, `off`, `#rgb`, `#rrggbb`, `"r,g,b"`, `[r, g, b]` and `{r, g, b}`. Pure.
 */
import { fail, ok, type Result } from '../../dialects/types';
import type { Rgb } from './interface';

// CSS Color Module Level 4 named colours, name:rrggbb.
const CSS = `aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4
black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 cadetblue:5f9ea0
chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff
darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgreen:006400 darkgrey:a9a9a9 darkkhaki:bdb76b
darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 darkorchid:9932cc darkred:8b0000 darksalmon:e9967a
darkseagreen:8fbc8f darkslateblue:483d8b darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1
darkviolet:9400d3 deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff firebrick:b22222
floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520
gray:808080 green:008000 greenyellow:adff2f grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082
ivory:fffff0 khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd lightblue:add8e6
lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2 lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3
lightpink:ffb6c1 lightsalmon:ffa07a lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899
lightslategrey:778899 lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6
magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db
mediumseagreen:3cb371 mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585
midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6
olive:808000 olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa palegreen:98fb98
paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd
powderblue:b0e0e6 purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513
salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 skyblue:87ceeb
slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa springgreen:00ff7f steelblue:4682b4 tan:d2b48c
teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5
yellow:ffff00 yellowgreen:9acd32 warmwhite:fdf5e6 off:000000`;

const NAMED = new Map<string, Rgb>(
  CSS.split(/\s+/).map((pair) => {
    const [name = '', hex = '000000'] = pair.split(':');
    return [name, hexRgb(hex)];
  }),
);

function hexRgb(hex: string): Rgb {
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  return [parseInt(full.slice(0, 2), 16), parseInt(full.slice(2, 4), 16), parseInt(full.slice(4, 6), 16)];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function channels(list: unknown[], what: string): Result<Rgb> {
  if (list.length !== 3) return fail(`${what} needs three values`);
  const out: number[] = [];
  for (const v of list) {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255) return fail(`${what}: ${String(v)} is not 0–255`);
    out.push(n);
  }
  return ok([out[0] ?? 0, out[1] ?? 0, out[2] ?? 0]);
}

/** A colour from any of the accepted forms. */
export function parseColour(v: unknown): Result<Rgb> {
  if (Array.isArray(v)) return channels(v, 'colour');
  if (isRecord(v)) return channels([v['r'], v['g'], v['b']], 'colour');
  if (typeof v !== 'string') return fail(`not a colour: ${typeof v}`);
  const s = v.trim().toLowerCase();
  const named = NAMED.get(s);
  if (named) return ok(named);
  if (/^#([0-9a-f]{3}|[0-9a-f]{6})$/.test(s)) return ok(hexRgb(s.slice(1)));
  if (s.includes(',')) return channels(s.split(','), `colour "${v}"`);
  return fail(`unknown colour "${v.slice(0, 30)}"`);
}

/** True when the text is a colour name, hex colour or `off` (for command parsing). */
export function isColourWord(s: string): boolean {
  const t = s.trim().toLowerCase();
  return NAMED.has(t) || /^#([0-9a-f]{3}|[0-9a-f]{6})$/.test(t);
}
