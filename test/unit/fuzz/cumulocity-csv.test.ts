// Fuzz of the SmartREST CSV layer (protocol reference §3.1; issue 4 item 5; R5): decodePayload
// never throws and always answers a Result of string records, and encode → decode is the
// identity for records of arbitrary strings once control characters are stripped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePayload, decodeRecords, encodeRecord, encodeRecords, stripControl } from '../../../dialects/cumulocity';
import { params, RUNS, short, TIMEOUT_MS } from './check';
import { csvPayload, records } from './cumulocity-payloads';
import { payloads, text } from './text';

/** What the decoder must give back for `recs`: controls stripped, records that encode to nothing dropped. */
function expected(recs: readonly (readonly string[])[]): string[][] {
  return recs.map((r) => r.map(stripControl)).filter((r) => encodeRecord(r) !== '');
}

/** Is the string free of lone surrogates (so a UTF-8 round trip keeps it)? */
function wellFormed(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

describe(`fuzz: SmartREST CSV (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  it('decodePayload never throws and answers ok with string records or a failure with a reason', () => {
    fc.assert(
      fc.property(payloads(csvPayload(['200', '510', '70'])), (payload) => {
        const r = decodePayload(payload);
        if (r.ok) {
          assert.ok(Array.isArray(r.value));
          for (const rec of r.value) {
            assert.ok(rec.length > 0, 'a record has at least one field');
            assert.ok(
              rec.every((f) => typeof f === 'string'),
              short(rec),
            );
          }
        } else {
          assert.ok(typeof r.error === 'string' && r.error.startsWith('malformed CSV: '), short(r));
        }
        // decodeRecords agrees with decodePayload and keeps one quoted flag per field.
        const d = decodeRecords(payload);
        assert.equal(d.ok, r.ok);
        if (d.ok) for (const rec of d.value) assert.equal(rec.quoted.length, rec.fields.length);
      }),
      params(),
    );
  });

  it('round trip: decodePayload(encodeRecords(records)) gives the records back, controls stripped', () => {
    fc.assert(
      fc.property(records([], 6), (recs) => {
        const r = decodePayload(encodeRecords(recs));
        assert.ok(r.ok, `the encoder's own output must decode: ${short(r)}`);
        assert.deepEqual(r.value, expected(recs));
      }),
      params(),
    );
  });

  it('round trip of one record through UTF-8 bytes, as it travels over MQTT', () => {
    fc.assert(
      fc.property(fc.array(text(40).filter(wellFormed), { minLength: 1, maxLength: 10 }), (fields) => {
        const wire = Buffer.from(encodeRecord(fields), 'utf8').toString('utf8');
        const r = decodePayload(wire);
        assert.ok(r.ok, short(r));
        assert.deepEqual(r.value, expected([fields]));
      }),
      params(),
    );
  });

  it('round trip holds with CRLF line ends and a trailing line end', () => {
    fc.assert(
      fc.property(records([], 4), fc.constantFrom('\r\n', '\n'), (recs, eol) => {
        const payload = recs.map(encodeRecord).join(eol) + eol;
        const r = decodePayload(payload);
        assert.ok(r.ok, short(r));
        assert.deepEqual(r.value, expected(recs));
      }),
      params(),
    );
  });

  it('the backslash fallback (§3.1 rule 4) turns \\" into a quote when the strict pass fails', () => {
    fc.assert(
      fc.property(fc.array(text(12), { minLength: 1, maxLength: 4 }), (parts) => {
        // Build one quoted field whose inner quotes are escaped with a backslash only.
        const inner = parts.map((p) => stripControl(p).replace(/\\/g, '').replace(/"/g, '')).join('\\"');
        const r = decodePayload(`511,dev,"${inner}"`);
        assert.ok(r.ok, short(r));
        const parsed = r.value[0]?.[2];
        // When inner has no `\"`, strict parsing applies and keeps it verbatim; else quotes come back.
        assert.equal(parsed, inner.includes('\\"') ? inner.replace(/\\"/g, '"') : inner);
      }),
      params(),
    );
  });
});
