import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeFirmware, encodeSoftwareTypes, ITEMS_PER_RECORD, MAX_PAYLOAD_BYTES, softwareListLines } from '../../../dialects/cumulocity';

const item = (i: number, pad = 0) => ({ name: `pkg-${i}${'x'.repeat(pad)}`, version: `1.${i}`, type: 'archive', url: '' });

describe('Cumulocity software list lines', () => {
  it('encodes the legacy list as one 116 record (name, version, url)', () => {
    const r = softwareListLines(
      [
        { name: 'a', version: '1', url: 'https://x/1' },
        { name: 'b,c', version: '2' },
      ],
      'legacy',
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.map((l) => l.payload),
      ['116,a,1,https://x/1,"b,c",2,'],
    );
    assert.equal(r.value[0]?.topic, 's/us');
  });

  it('refuses a legacy list that does not fit one record', () => {
    const r = softwareListLines(
      Array.from({ length: 400 }, (_, i) => item(i, 40)),
      'legacy',
    );
    assert.equal(r.ok, false);
  });

  it('sends an empty advanced list as a bare 140', () => {
    assert.deepEqual(softwareListLines([], 'advanced'), {
      ok: true,
      value: [{ topic: 's/us', payload: '140', priority: 'control', batchable: true }],
    });
  });

  it('splits an advanced list: 140 with the first 100 items, then 141 batches of up to 100', () => {
    const items = Array.from({ length: 250 }, (_, i) => item(i));
    const r = softwareListLines(items, 'advanced');
    assert.ok(r.ok);
    const lines = r.value.map((l) => l.payload);
    assert.deepEqual(
      lines.map((l) => l.slice(0, 4)),
      ['140,', '141,', '141,'],
    );
    const counts = lines.map((l) => (l.split(',').length - 1) / 4);
    assert.deepEqual(counts, [ITEMS_PER_RECORD, ITEMS_PER_RECORD, 50]);
    assert.ok(lines[0]?.startsWith('140,pkg-0,1.0,archive,,pkg-1,'));
    assert.ok(lines[2]?.endsWith('pkg-249,1.249,archive,'));
  });

  it('also splits by bytes so every record stays within the payload budget', () => {
    const items = Array.from({ length: 120 }, (_, i) => item(i, 300));
    const r = softwareListLines(items, 'advanced');
    assert.ok(r.ok);
    assert.ok(r.value.length > 2, `${r.value.length} records`);
    for (const l of r.value) assert.ok(Buffer.byteLength(l.payload) <= MAX_PAYLOAD_BYTES);
    const names = r.value.flatMap((l) =>
      l.payload
        .split(',')
        .slice(1)
        .filter((_, i) => i % 4 === 0),
    );
    assert.deepEqual(
      names,
      items.map((i) => i.name),
    );
  });

  it("encodes the protocol file's 115 and 143 examples", () => {
    assert.deepEqual(encodeFirmware({ name: 'raspios', version: '12.5' }), {
      ok: true,
      value: { topic: 's/us', payload: '115,raspios,12.5,', priority: 'control', batchable: true },
    });
    const types = encodeSoftwareTypes(['npm', 'nodered-flows']);
    assert.ok(types.ok);
    assert.equal(types.value.payload, '143,npm,nodered-flows');
    assert.equal(encodeFirmware({ name: '', version: '1' }).ok, false);
  });
});
