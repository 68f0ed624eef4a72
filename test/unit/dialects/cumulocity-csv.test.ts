// SmartREST 2.0 CSV (protocol reference §3.1–§3.3): every encode/decode vector, then edge cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodePayload,
  decodeRecords,
  encodeRecord,
  encodeRecords,
  stripControl,
  TRIM_MARKER,
  truncateTexts,
  utf8Bytes,
} from '../../../dialects/cumulocity';

// Wire notation of the reference: ⏎ = LF, ␍ = CR, ⇥ = TAB.
const wire = (s: string): string => s.replace(/⏎/g, '\n').replace(/␍/g, '\r').replace(/⇥/g, '\t');

const ENCODE_VECTORS: [string, string[], string][] = [
  ['E1', ['200', 'c8y_Temperature', 'T', '25.3', 'C'], '200,c8y_Temperature,T,25.3,C'],
  ['E2', ['400', 'c8y_MyEvent', 'Something was triggered'], '400,c8y_MyEvent,Something was triggered'],
  ['E3', ['100', 'This value, needs escaping', 'plain'], '100,"This value, needs escaping",plain'],
  ['E4', ['502', 'c8y_Restart', 'said "no"'], '502,c8y_Restart,"said ""no"""'],
  ['E5', ['113', 'a=1\nb=2'], wire('113,"a=1⏎b=2"')],
  ['E6', ['400', 't', ' lead'], '400,t," lead"'],
  ['E7', ['400', 't', 'trail '], '400,t,"trail "'],
  ['E8', ['400', 't', 'a\tb'], wire('400,t,"a⇥b"')],
  ['E9', ['400', 't', 'a\r\nb'], wire('400,t,"a␍⏎b"')],
  ['E10', ['100', '', 'myType'], '100,,myType'],
  ['E11', ['100', '', ''], '100,,'],
  ['E12', ['100'], '100'],
  ['E13', ['400', 'c8y_Note', 'Grüße 🌡'], '400,c8y_Note,Grüße 🌡'],
  ['E14', ['511', 'dev1', 'C:\\temp\\x'], '511,dev1,C:\\temp\\x'],
  ['E15', ['400', 't', 'a\\nb'], '400,t,a\\nb'],
  ['E16', ['400', 't', 'a\\"b'], '400,t,"a\\""b"'],
  ['E17', ['400', 't', '"'], '400,t,""""'],
  ['E18', ['400', 't', ''], '400,t,'],
  ['E20', ['116', 'piAgent', '0.3', ''], '116,piAgent,0.3,'],
];

describe('cumulocity csv: encode vectors (§3.2)', () => {
  for (const [id, fields, payload] of ENCODE_VECTORS) {
    it(`${id}: encodes ${JSON.stringify(fields)} exactly`, () => {
      assert.equal(encodeRecord(fields), payload);
    });
  }

  it('E13: counts 25 UTF-8 bytes for a 21-unit JS string', () => {
    const payload = encodeRecord(['400', 'c8y_Note', 'Grüße 🌡']);
    assert.equal(payload.length, 21);
    assert.equal(utf8Bytes(payload), 25);
    assert.equal(utf8Bytes(payload), Buffer.byteLength(payload, 'utf8'));
  });

  it('E19: joins records with LF and no trailing LF', () => {
    assert.equal(
      encodeRecords([
        ['510', 'dev1'],
        ['511', 'dev1', 'ls -l'],
      ]),
      wire('510,dev1⏎511,dev1,ls -l'),
    );
  });
});

const DECODE_VECTORS: [string, string, string[][]][] = [
  ['D1', '510,dev1', [['510', 'dev1']]],
  ['D2', wire('510,dev1⏎'), [['510', 'dev1']]],
  [
    'D3',
    wire('510,dev1␍⏎511,dev1,uptime'),
    [
      ['510', 'dev1'],
      ['511', 'dev1', 'uptime'],
    ],
  ],
  [
    'D4',
    wire('513,dev1,"a=1⏎b=2"⏎510,dev1'),
    [
      ['513', 'dev1', 'a=1\nb=2'],
      ['510', 'dev1'],
    ],
  ],
  ['D5', '513,dev1,"say ""hi"""', [['513', 'dev1', 'say "hi"']]],
  ['D6', '511,myDeviceSerial,"execute this\\nand \\"this\\""', [['511', 'myDeviceSerial', 'execute this\\nand "this"']]],
  ['D7', '503,c8y_Command,"a\\""b"', [['503', 'c8y_Command', 'a\\"b']]],
  ['D8', '100,,', [['100', '', '']]],
  ['D9', '106', [['106']]],
  ['D10', '511,dev1,"echo Grüße"', [['511', 'dev1', 'echo Grüße']]],
  ['D11', '70,t12345,device_rpi-0001,"p,w""d"', [['70', 't12345', 'device_rpi-0001', 'p,w"d']]],
  ['D12', '70,t12345,device_rpi-0001,pa,ss', [['70', 't12345', 'device_rpi-0001', 'pa', 'ss']]],
  ['D13', '41,100,Device already existing', [['41', '100', 'Device already existing']]],
  [
    'D14',
    '50,100,Error on device creation, message: Error on identity creation',
    [['50', '100', 'Error on device creation', ' message: Error on identity creation']],
  ],
  ['D16', '', []],
  [
    'D17',
    '516,dev1,piAgent,0.4,https://t1.example.com/inventory/binaries/9',
    [['516', 'dev1', 'piAgent', '0.4', 'https://t1.example.com/inventory/binaries/9']],
  ],
];

describe('cumulocity csv: decode vectors (§3.3)', () => {
  for (const [id, payload, records] of DECODE_VECTORS) {
    it(`${id}: decodes ${JSON.stringify(payload)} into ${records.length} record(s)`, () => {
      assert.deepEqual(decodePayload(payload), { ok: true, value: records });
    });
  }

  it('D6: keeps backslash-n as two characters, never a newline', () => {
    const r = decodePayload('511,myDeviceSerial,"execute this\\nand \\"this\\""');
    assert.ok(r.ok);
    assert.ok(!r.value[0]?.[2]?.includes('\n'));
  });

  it('D11/D12: records whether the password field was quoted (needed by rule 10)', () => {
    const quoted = decodeRecords('70,t12345,device_rpi-0001,"p,w""d"');
    const plain = decodeRecords('70,t12345,device_rpi-0001,pa,ss');
    assert.ok(quoted.ok && plain.ok);
    assert.deepEqual(quoted.value[0]?.quoted, [false, false, false, true]);
    assert.deepEqual(plain.value[0]?.quoted, [false, false, false, false, false]);
  });

  it('D15: refuses an unterminated quoted field and says where it started', () => {
    const r = decodePayload('511,dev1,"unterminated');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /unterminated quoted field starting at offset 9/);
  });
});

describe('cumulocity csv: encoder edge cases (§3.1 rules 3, 8)', () => {
  it('strips control characters other than TAB, CR and LF before quoting', () => {
    assert.equal(encodeRecord(['400', 't', 'a\u0000b\u0007c\u001bd\u007fe\u0085f']), '400,t,abcdef');
    assert.equal(stripControl('a\tb\rc\nd'), 'a\tb\rc\nd');
  });

  it('quotes a field that starts or ends with TAB', () => {
    assert.equal(encodeRecord(['400', '\tx', 'y\t']), '400,"\tx","y\t"');
  });

  it('does not quote inner spaces, backslashes, semicolons or non-ASCII text', () => {
    assert.equal(encodeRecord(['400', 'a b', 'c\\d;e', 'ü']), '400,a b,c\\d;e,ü');
  });

  it('round-trips awkward fields through decodePayload', () => {
    const fields = ['513', 'dev1', 'a="1",\r\nb=\\"2\\"', ' x ', '', '"', 'Grüße 🌡'];
    assert.deepEqual(decodePayload(encodeRecord(fields)), { ok: true, value: [fields] });
  });
});

describe('cumulocity csv: decoder edge cases (§3.1 rules 2, 4, 6)', () => {
  it('skips empty lines anywhere, CRLF ones included', () => {
    assert.deepEqual(decodePayload('\n510,a\n\n\r\n511,a,x\r\n\n'), {
      ok: true,
      value: [
        ['510', 'a'],
        ['511', 'a', 'x'],
      ],
    });
  });

  it('decodes a payload of only line breaks to no records', () => {
    assert.deepEqual(decodePayload('\n\r\n\n'), { ok: true, value: [] });
  });

  it('decodes a quoted empty field and an unquoted empty field alike (rule 6)', () => {
    assert.deepEqual(decodePayload('100,"",'), { ok: true, value: [['100', '', '']] });
  });

  it('accepts a trailing CR at the end of the payload', () => {
    assert.deepEqual(decodePayload('510,a\r'), { ok: true, value: [['510', 'a']] });
  });

  it('splits on LF only outside quotes', () => {
    assert.deepEqual(decodePayload('511,a,"x\ny"\n510,a'), {
      ok: true,
      value: [
        ['511', 'a', 'x\ny'],
        ['510', 'a'],
      ],
    });
  });

  it('refuses a quote inside an unquoted field in both passes', () => {
    assert.equal(decodePayload('511,a,b"c').ok, false);
  });

  it('refuses text after a closing quote in both passes', () => {
    assert.equal(decodePayload('511,a,"b"c').ok, false);
  });

  it('refuses a bare CR outside quotes', () => {
    assert.equal(decodePayload('510,a\rb').ok, false);
  });

  it('uses the backslash fallback for the whole payload only when the strict pass fails', () => {
    // Strict succeeds: the backslash stays literal.
    assert.deepEqual(decodePayload('400,"x\\"""'), { ok: true, value: [['400', 'x\\"']] });
    // Strict fails (text after closing quote); fallback reads \" as a quote.
    assert.deepEqual(decodePayload('400,"x\\"y"'), { ok: true, value: [['400', 'x"y']] });
  });
});

describe('cumulocity csv: byte counting and truncation (§3.4)', () => {
  it('counts UTF-8 bytes like Buffer, including astral and lone surrogates', () => {
    for (const s of ['', 'abc', 'é', '€', '🌡', 'a\uD800b', '\uDC00', 'x🌡y€']) {
      assert.equal(utf8Bytes(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
    }
  });

  it('returns texts unchanged when they already fit', () => {
    assert.deepEqual(
      truncateTexts(['abc'], () => true),
      ['abc'],
    );
  });

  it('cuts at code points, so an emoji is kept whole or dropped whole', () => {
    const fits = (c: readonly string[]): boolean => utf8Bytes(c.join('')) <= 20;
    const out = truncateTexts(['🌡🌡🌡🌡🌡🌡'], fits);
    assert.deepEqual(out, ['🌡🌡' + TRIM_MARKER]); // 8 + 12 bytes
  });

  it('keeps earlier texts whole and drops the ones after the cut', () => {
    const fits = (c: readonly string[]): boolean => c.join('').length <= 19;
    assert.deepEqual(truncateTexts(['abcd', 'efghijklmnop', 'qrst'], fits), ['abcd', 'efg' + TRIM_MARKER]);
  });
});
