// The simulator's own SmartREST codec against the vectors of §3.2 / §3.3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRecords, encodeRecord, encodeRecords } from '../../sim/csv';

const ENCODE: Array<[string, string[], string]> = [
  ['E1', ['200', 'c8y_Temperature', 'T', '25.3', 'C'], '200,c8y_Temperature,T,25.3,C'],
  ['E2', ['400', 'c8y_MyEvent', 'Something was triggered'], '400,c8y_MyEvent,Something was triggered'],
  ['E3', ['100', 'This value, needs escaping', 'plain'], '100,"This value, needs escaping",plain'],
  ['E4', ['502', 'c8y_Restart', 'said "no"'], '502,c8y_Restart,"said ""no"""'],
  ['E5', ['113', 'a=1\nb=2'], '113,"a=1\nb=2"'],
  ['E6', ['400', 't', ' lead'], '400,t," lead"'],
  ['E7', ['400', 't', 'trail '], '400,t,"trail "'],
  ['E8', ['400', 't', 'a\tb'], '400,t,"a\tb"'],
  ['E9', ['400', 't', 'a\r\nb'], '400,t,"a\r\nb"'],
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

const DECODE: Array<[string, string, string[][]]> = [
  ['D1', '510,dev1', [['510', 'dev1']]],
  ['D2', '510,dev1\n', [['510', 'dev1']]],
  [
    'D3',
    '510,dev1\r\n511,dev1,uptime',
    [
      ['510', 'dev1'],
      ['511', 'dev1', 'uptime'],
    ],
  ],
  [
    'D4',
    '513,dev1,"a=1\nb=2"\n510,dev1',
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
  ['D16', '', []],
  [
    'D17',
    '516,dev1,piAgent,0.4,https://t1.example.com/inventory/binaries/9',
    [['516', 'dev1', 'piAgent', '0.4', 'https://t1.example.com/inventory/binaries/9']],
  ],
  ['empty lines', '\n\r\n510,dev1\n\n', [['510', 'dev1']]],
  ['quoted empty', '400,t,""', [['400', 't', '']]],
];

function goodRecords(payload: string): string[][] {
  return decodeRecords(payload).map((r) => {
    assert.ok(r.ok, `record of ${JSON.stringify(payload)} failed to decode`);
    return r.fields;
  });
}

describe('simulator SmartREST CSV', () => {
  for (const [name, fields, wire] of ENCODE) {
    it(`encodes ${name} exactly as the reference table says`, () => {
      assert.equal(encodeRecord(fields), wire);
    });
  }

  it('joins records with LF and no trailing LF (E19)', () => {
    assert.equal(
      encodeRecords([
        ['510', 'dev1'],
        ['511', 'dev1', 'ls -l'],
      ]),
      '510,dev1\n511,dev1,ls -l',
    );
  });

  for (const [name, wire, records] of DECODE) {
    it(`decodes ${name} into the expected records`, () => {
      assert.deepEqual(goodRecords(wire), records);
    });
  }

  it('reports an unterminated quote as one bad line and keeps decoding after the next LF (D15)', () => {
    const out = decodeRecords('200,a,b,1\n511,dev1,"unterminated\n400,t,after');
    assert.deepEqual(out, [
      { ok: true, fields: ['200', 'a', 'b', '1'] },
      { ok: false, id: '511', raw: '511,dev1,"unterminated' },
      { ok: true, fields: ['400', 't', 'after'] },
    ]);
  });

  it('refuses a quote inside an unquoted field and text after a closing quote', () => {
    assert.equal(decodeRecords('400,t,ab"c')[0]?.ok, false);
    assert.equal(decodeRecords('400,t,"ab"c')[0]?.ok, false);
  });

  it('round-trips awkward values through encode and decode', () => {
    const fields = ['513', 'dev1', 'a "quoted", multi\nline\r\nvalue\twith tabs ', ' ', '\\"', ''];
    assert.deepEqual(goodRecords(encodeRecord(fields)), [fields]);
  });
});
