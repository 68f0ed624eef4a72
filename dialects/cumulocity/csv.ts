/**
 * SmartREST 2.0 line format (protocol reference §3.1): CSV records, UTF-8 byte counting and
 * truncation of long free text. Pure.
 */
import { fail, ok, type Result } from '../types';

/** Appended to free text that was cut to fit (§3.4). */
export const TRIM_MARKER = '...<trimmed>';

// Unicode control characters (C0, DEL, C1) except TAB, LF and CR (§3.1 rule 8).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const NEEDS_QUOTES = /["\r\n\t,]|^[ \t]|[ \t]$/;

/** Removes control characters other than TAB/CR/LF (§3.1 rule 8). */
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/** Number of bytes of `s` in UTF-8; a lone surrogate counts 3, as Buffer encodes it as U+FFFD (§3.4). */
export function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Encodes one field: quoted iff needed, `"` doubled inside quotes, nothing else escaped (§3.1 rules 3, 8). */
function encodeField(field: string): string {
  const clean = stripControl(field);
  return NEEDS_QUOTES.test(clean) ? `"${clean.replace(/"/g, '""')}"` : clean;
}

/** Encodes one record as a SmartREST line, exactly the fields given (§3.1 rules 3, 5, 8). */
export function encodeRecord(fields: readonly string[]): string {
  return fields.map(encodeField).join(',');
}

/** Encodes several records joined with LF, no trailing LF (§3.1 rule 3). */
export function encodeRecords(records: readonly (readonly string[])[]): string {
  return records.map(encodeRecord).join('\n');
}

/** A decoded record plus, per field, whether it was quoted on the wire (needed by §3.1 rule 10). */
export interface DecodedRecord {
  fields: string[];
  quoted: boolean[];
}

/**
 * One parsing pass over a whole payload (§3.1 rules 2, 4, 6). With `backslash`, `\"` inside a
 * quoted field is an escaped quote as well as `""`; other backslashes are always literal.
 */
function parse(payload: string, backslash: boolean): Result<DecodedRecord[]> {
  const records: DecodedRecord[] = [];
  const n = payload.length;
  let i = 0;
  while (i < n) {
    // Empty lines (LF, CRLF, or a final CR) are skipped.
    if (payload[i] === '\n') {
      i++;
      continue;
    }
    if (payload[i] === '\r' && (i + 1 === n || payload[i + 1] === '\n')) {
      i += i + 1 === n ? 1 : 2;
      continue;
    }
    const fields: string[] = [];
    const quoted: boolean[] = [];
    for (;;) {
      let value = '';
      const isQuoted = payload[i] === '"';
      if (isQuoted) {
        const open = i;
        i++;
        let closed = false;
        while (i < n) {
          const c = payload[i];
          if (c === '"') {
            if (payload[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (backslash && c === '\\' && payload[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          value += c;
          i++;
        }
        if (!closed) return fail(`unterminated quoted field starting at offset ${open}`);
      } else {
        const start = i;
        while (i < n && payload[i] !== ',' && payload[i] !== '\n' && payload[i] !== '\r') {
          if (payload[i] === '"') return fail(`quote inside an unquoted field at offset ${i}`);
          i++;
        }
        value = payload.slice(start, i);
      }
      fields.push(value);
      quoted.push(isQuoted);
      if (i >= n) break;
      const c = payload[i];
      if (c === ',') {
        i++;
        continue;
      }
      if (c === '\n') {
        i++;
        break;
      }
      if (c === '\r' && (i + 1 === n || payload[i + 1] === '\n')) {
        i += i + 1 === n ? 1 : 2;
        break;
      }
      return fail(c === '\r' ? `CR not followed by LF at offset ${i}` : `unexpected character after a closing quote at offset ${i}`);
    }
    records.push({ fields, quoted });
  }
  return ok(records);
}

/**
 * Decodes a payload keeping per-field quoting: strict RFC-4180 pass, then the backslash-quote
 * fallback (§3.1 rule 4). Fails when both passes fail; the error is the strict pass's.
 */
export function decodeRecords(payload: string): Result<DecodedRecord[]> {
  const strict = parse(payload, false);
  if (strict.ok) return strict;
  const lenient = parse(payload, true);
  return lenient.ok ? lenient : fail(`malformed CSV: ${strict.error}`);
}

/** Decodes a payload into records of fields; empty payload → no records (§3.1 rules 2, 4, 5, 6). */
export function decodePayload(payload: string): Result<string[][]> {
  const r = decodeRecords(payload);
  return r.ok ? ok(r.value.map((rec) => rec.fields)) : r;
}

/**
 * Cuts `texts` (in order, at code-point boundaries, so no UTF-8 character is split) to the longest
 * prefix that `fits` accepts; a cut text ends with TRIM_MARKER and the texts after it are dropped
 * (§3.4). `fits` must be monotonic: if it accepts a longer prefix it accepts a shorter one.
 */
export function truncateTexts(texts: readonly string[], fits: (candidate: readonly string[]) => boolean): string[] {
  if (fits(texts)) return [...texts];
  const points = texts.map((t) => Array.from(t));
  const total = points.reduce((sum, p) => sum + p.length, 0);
  if (total === 0) return [...texts];
  // cut(k) keeps the first k code points overall, k < total.
  const cut = (k: number): string[] => {
    const out: string[] = [];
    let left = k;
    for (const p of points) {
      if (left < p.length) {
        out.push(p.slice(0, left).join('') + TRIM_MARKER);
        return out;
      }
      out.push(p.join(''));
      left -= p.length;
    }
    return out;
  };
  let lo = 0;
  let hi = total - 1;
  if (!fits(cut(0))) return cut(0);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(cut(mid))) lo = mid;
    else hi = mid - 1;
  }
  return cut(lo);
}
