// SmartREST 2.0 CSV for the simulator, written from §3 of the protocol reference and deliberately
// independent of dialects/ so that a bug in our client codec cannot be cancelled out by the same
// bug here.

/** One decoded record, or the raw text of a line that neither quote style could parse. */
export type DecodedRecord = { ok: true; fields: string[] } | { ok: false; id: string; raw: string };

/** Quote a field iff it needs it (§3.1 rule 3): `"` `,` CR LF TAB, or leading/trailing blank. */
export function encodeField(value: string): string {
  const needs = /[",\r\n\t]/.test(value) || /^[ \t]|[ \t]$/.test(value);
  return needs ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Encode one record: fields joined by `,`, exactly as given (no trimming of empty fields). */
export function encodeRecord(fields: readonly string[]): string {
  return fields.map(encodeField).join(',');
}

/** Encode several records joined by LF, no trailing LF (§3.1 rule 3). */
export function encodeRecords(records: ReadonlyArray<readonly string[]>): string {
  return records.map(encodeRecord).join('\n');
}

type Parsed = { fields: string[]; next: number } | undefined;

/** True at a record terminator: LF, CR LF, a CR at the very end, or the end of the text. */
function terminatorLength(s: string, i: number): number {
  if (i >= s.length) return 0;
  if (s[i] === '\n') return 1;
  if (s[i] === '\r' && s[i + 1] === '\n') return 2;
  if (s[i] === '\r' && i + 1 >= s.length) return 1;
  return -1;
}

/**
 * Parse one record starting at `pos`. `backslash` enables the fallback pass of §3.1 rule 4 in
 * which `\"` inside a quoted field is an escaped quote (other backslashes stay literal).
 */
function parseRecord(s: string, pos: number, backslash: boolean): Parsed {
  const fields: string[] = [];
  let i = pos;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return undefined; // unterminated quote
        const c = s[i];
        if (c === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (backslash && c === '\\' && s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        field += c;
        i++;
      }
      fields.push(field);
      if (s[i] === ',') {
        i++;
        continue;
      }
      const t = terminatorLength(s, i);
      if (t < 0) return undefined; // text after a closing quote
      return { fields, next: i + t };
    }
    for (;;) {
      const t = terminatorLength(s, i);
      if (t >= 0) {
        fields.push(field);
        return { fields, next: i + t };
      }
      const c = s[i];
      if (c === ',') break;
      if (c === '"') return undefined; // quote inside an unquoted field
      field += c;
      i++;
    }
    fields.push(field);
    i++;
  }
}

/**
 * Decode a payload into records (§3.1 rules 2, 4, 6). Each record is tried strictly first, then
 * with the backslash fallback; a record that fails both is reported with its physical line and
 * parsing resumes after the next LF, so the good lines of the same publish still count.
 */
export function decodeRecords(payload: string): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const blank = terminatorLength(payload, pos);
    if (blank > 0) {
      pos += blank; // empty line
      continue;
    }
    const parsed = parseRecord(payload, pos, false) ?? parseRecord(payload, pos, true);
    if (parsed) {
      out.push({ ok: true, fields: parsed.fields });
      pos = parsed.next;
      continue;
    }
    const lf = payload.indexOf('\n', pos);
    const end = lf < 0 ? payload.length : lf;
    const raw = payload.slice(pos, end).replace(/\r$/, '');
    const comma = raw.indexOf(',');
    const id = (comma < 0 ? raw : raw.slice(0, comma)).replace(/"/g, '');
    out.push({ ok: false, id, raw });
    pos = lf < 0 ? payload.length : lf + 1;
  }
  return out;
}
