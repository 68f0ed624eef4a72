// Fuzz of the HDC decoders (issue 9 "bad input"; helix-device-cloud.md §14: a non-JSON payload
// stopped the original agent's MQTT loop): whatever arrives on reply/ or notify/, the decoders
// never throw, every method they hand on is well-formed, and every answer built from their
// output encodes as JSON.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as hdc from '../../../dialects/hdc';
import { params, TIMEOUT_MS } from './check';
import { payloads, text } from './text';

const K = 'dev1-my_app';
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const message = fc.oneof(
  json,
  fc.record(
    {
      id: fc.oneof(fc.constantFrom('m1', '', 'x'.repeat(200)), json),
      command: fc.oneof(fc.constant('method.exec'), json),
      thingKey: fc.oneof(fc.constant(K), json),
      params: fc.oneof(
        fc.record(
          {
            method: fc.oneof(fc.constantFrom('ping', 'file_upload', '', 'a\u0000'), text(20), json),
            params: fc.oneof(json, fc.constant({})),
          },
          { requiredKeys: [] },
        ),
        json,
      ),
    },
    { requiredKeys: [] },
  ),
);
const reply = fc.oneof(
  fc.record({
    '1': fc.record(
      { success: fc.oneof(fc.boolean(), json), params: fc.oneof(fc.record({ messages: fc.array(message, { maxLength: 4 }) }), json) },
      { requiredKeys: [] },
    ),
  }),
  fc.dictionary(fc.oneof(fc.constantFrom('1', '2', '0', '01', '-1'), text(4)), json),
);
const payload = payloads(
  fc.oneof(
    { arbitrary: reply.map((r) => JSON.stringify(r)), weight: 4 },
    json.map((j) => JSON.stringify(j)),
  ),
);

describe('fuzz: HDC inbound decoders', { timeout: TIMEOUT_MS }, () => {
  it('decodeReply and the mailbox decoder never throw and hand on only well-formed methods', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const r = hdc.decodeReply(p);
        if (!r.ok) {
          assert.equal(typeof r.error, 'string');
          return;
        }
        for (const [n, res] of r.value) {
          assert.ok(Number.isInteger(n) && n > 0);
          hdc.describeFailure(res);
          for (const item of hdc.decodeMailboxCheck(res, K)) {
            if (item.kind === 'method') {
              const { id, method, params: ps } = item.request;
              assert.ok(typeof id === 'string' && id !== '' && id.length <= 128);
              assert.ok(typeof method === 'string' && method !== '' && !hdc.hasControl(method));
              assert.ok(typeof ps === 'object' && ps !== null && !Array.isArray(ps));
              JSON.parse(hdc.encodeCommand(hdc.mailboxAck(id, 0, '', ps)));
            } else if (item.kind === 'bad') {
              assert.ok(item.code >= 2 && item.code <= 19);
              if (item.id !== undefined) JSON.parse(hdc.encodeCommand(hdc.mailboxAck(item.id, item.code, item.message)));
            }
          }
          if (res.success) {
            const f = hdc.decodeFileGet(res);
            if (f.ok) assert.ok(f.value.crc32 === undefined || (f.value.crc32 >= 0 && f.value.crc32 <= 0xffffffff));
          }
        }
      }),
      params(),
    );
  });

  it('decodeNotify never throws', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const r = hdc.decodeNotify(p, K);
        assert.equal(typeof r.ok, 'boolean');
      }),
      params(),
    );
  });

  it('no cloud file name or folder leads outside the allowed directories', () => {
    const part = fc.oneof(fc.constantFrom('..', '.', '', '/', '/etc', 'a', '../..', '..\\..', '\u0000'), text(12));
    const pathish = fc.array(part, { maxLength: 5 }).map((a) => a.join('/'));
    fc.assert(
      fc.property(pathish, fc.option(pathish, { nil: undefined }), (name, dir) => {
        const r = hdc.resolveInside(['/srv/hdc'], name, dir);
        if (r.ok) assert.ok(r.value.startsWith('/srv/hdc/'), r.value);
        const n = hdc.checkFileName(name);
        if (n.ok) assert.ok(!n.value.includes('/') && n.value !== '..');
      }),
      params(),
    );
  });
});
