/**
 * Our own 5×7 font for scrolling text (printable ASCII and °), and the mapping of common
 * non-ASCII text onto it. Each glyph is 7 rows of 5 bits, leftmost column in bit 4. Pure.
 */
import { fail, ok, type Result } from '../../dialects/types';

const GLYPHS = `
20:00 00 00 00 00 00 00|21:04 04 04 04 04 00 04|22:0A 0A 00 00 00 00 00|23:0A 0A 1F 0A 1F 0A 0A
24:04 0F 14 0E 05 1E 04|25:18 19 02 04 08 13 03|26:0C 12 14 08 15 12 0D|27:04 04 00 00 00 00 00
28:02 04 08 08 08 04 02|29:08 04 02 02 02 04 08|2A:00 04 15 0E 15 04 00|2B:00 04 04 1F 04 04 00
2C:00 00 00 00 0C 04 08|2D:00 00 00 1F 00 00 00|2E:00 00 00 00 00 0C 0C|2F:00 01 02 04 08 10 00
30:0E 11 13 15 19 11 0E|31:04 0C 04 04 04 04 0E|32:0E 11 01 02 04 08 1F|33:1F 02 04 02 01 11 0E
34:02 06 0A 12 1F 02 02|35:1F 10 1E 01 01 11 0E|36:06 08 10 1E 11 11 0E|37:1F 01 02 04 08 08 08
38:0E 11 11 0E 11 11 0E|39:0E 11 11 0F 01 02 0C|3A:00 0C 0C 00 0C 0C 00|3B:00 0C 0C 00 0C 04 08
3C:02 04 08 10 08 04 02|3D:00 00 1F 00 1F 00 00|3E:08 04 02 01 02 04 08|3F:0E 11 01 02 04 00 04
40:0E 11 01 0D 15 15 0E|41:0E 11 11 11 1F 11 11|42:1E 11 11 1E 11 11 1E|43:0E 11 10 10 10 11 0E
44:1C 12 11 11 11 12 1C|45:1F 10 10 1E 10 10 1F|46:1F 10 10 1E 10 10 10|47:0E 11 10 17 11 11 0F
48:11 11 11 1F 11 11 11|49:0E 04 04 04 04 04 0E|4A:07 02 02 02 02 12 0C|4B:11 12 14 18 14 12 11
4C:10 10 10 10 10 10 1F|4D:11 1B 15 15 11 11 11|4E:11 11 19 15 13 11 11|4F:0E 11 11 11 11 11 0E
50:1E 11 11 1E 10 10 10|51:0E 11 11 11 15 12 0D|52:1E 11 11 1E 14 12 11|53:0F 10 10 0E 01 01 1E
54:1F 04 04 04 04 04 04|55:11 11 11 11 11 11 0E|56:11 11 11 11 11 0A 04|57:11 11 11 15 15 15 0A
58:11 11 0A 04 0A 11 11|59:11 11 11 0A 04 04 04|5A:1F 01 02 04 08 10 1F|5B:0E 08 08 08 08 08 0E
5C:00 10 08 04 02 01 00|5D:0E 02 02 02 02 02 0E|5E:04 0A 11 00 00 00 00|5F:00 00 00 00 00 00 1F
60:08 04 02 00 00 00 00|61:00 00 0E 01 0F 11 0F|62:10 10 16 19 11 11 1E|63:00 00 0E 10 10 11 0E
64:01 01 0D 13 11 11 0F|65:00 00 0E 11 1F 10 0E|66:06 09 08 1C 08 08 08|67:00 0F 11 11 0F 01 0E
68:10 10 16 19 11 11 11|69:04 00 0C 04 04 04 0E|6A:02 00 06 02 02 12 0C|6B:10 10 12 14 18 14 12
6C:0C 04 04 04 04 04 0E|6D:00 00 1A 15 15 11 11|6E:00 00 16 19 11 11 11|6F:00 00 0E 11 11 11 0E
70:00 00 1E 11 1E 10 10|71:00 00 0D 13 0F 01 01|72:00 00 16 19 10 10 10|73:00 00 0E 10 0E 01 1E
74:08 08 1C 08 08 09 06|75:00 00 11 11 11 13 0D|76:00 00 11 11 11 0A 04|77:00 00 11 11 15 15 0A
78:00 00 11 0A 04 0A 11|79:00 00 11 11 0F 01 0E|7A:00 00 1F 02 04 08 1F|7B:02 04 04 08 04 04 02
7C:04 04 04 04 04 04 04|7D:08 04 04 02 04 04 08|7E:00 00 08 15 02 00 00|B0:0C 12 12 0C 00 00 00`;

/** Glyph rows by character. */
const FONT = new Map<string, number[]>(
  GLYPHS.trim()
    .split(/[|\n]/)
    .map((entry) => {
      const [code = '20', rows = ''] = entry.split(':');
      return [String.fromCharCode(parseInt(code, 16)), rows.split(' ').map((r) => parseInt(r, 16))];
    }),
);

const REPLACEMENTS: Record<string, string> = {
  ß: 'ss',
  '‘': "'",
  '’': "'",
  '‚': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '–': '-',
  '—': '-',
  '…': '...',
  '×': 'x',
  '\u00a0': ' ',
  '\t': ' ',
  '\r': ' ',
  '\n': ' ',
};

/**
 * Text mapped onto the font: accents are dropped (é → e), typographic quotes and dashes become
 * ASCII; anything else that has no glyph is refused, naming the characters.
 */
export function toFontText(text: string): Result<string> {
  let out = '';
  const missing = new Set<string>();
  for (const ch of text) {
    const mapped = REPLACEMENTS[ch] ?? (FONT.has(ch) ? ch : ch.normalize('NFD').replace(/[\u0300-\u036f]/g, ''));
    for (const c of mapped) {
      if (FONT.has(c)) out += c;
      else missing.add(ch);
    }
    if (mapped === '') missing.add(ch);
  }
  if (missing.size > 0) return fail(`cannot show ${[...missing].map((c) => JSON.stringify(c)).join(' ')} on the LED matrix`);
  return ok(out);
}

/** The columns of one glyph (bit 0 = top row), blank edge columns trimmed; a space is 3 wide. */
export function glyphColumns(ch: string): number[] {
  const rows = FONT.get(ch) ?? FONT.get('?') ?? [];
  const cols: number[] = [];
  for (let x = 0; x < 5; x += 1) {
    let col = 0;
    rows.forEach((row, y) => {
      if (row & (0x10 >> x)) col |= 1 << y;
    });
    cols.push(col);
  }
  if (ch === ' ') return [0, 0, 0];
  while (cols.length > 0 && cols[0] === 0) cols.shift();
  while (cols.length > 0 && cols[cols.length - 1] === 0) cols.pop();
  return cols;
}
