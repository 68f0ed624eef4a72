// Fuzz of the libpyiotcloud request decoder and the replies built from its output (issue 8 "bad
// input"; libpyiotcloud.md corrections: one malformed request killed the original device): whatever
// arrives, decodeRequest never throws, its output is well-formed and within the device's limits,
// and every reply made from it encodes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BUILTIN_APIS,
  builtinReply,
  decodeRequest,
  encodeReply,
  errorReply,
  flowReply,
  gpioPin,
  type Request,
  type RequestLimits,
} from '../../../dialects/libpyiotcloud';
import { params, RUNS, short, TIMEOUT_MS } from './check';
import { payloads, text } from './text';

const D = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';
const LIMITS: RequestLimits = { gpioPins: [4, 5, 6, 12, 13, 17], uartMaxBytes: 32 };

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });
const value = fc.oneof(json, fc.constantFrom(0, 1, '0', '1', ' 1 ', '12', 12, -1, 1.5, 1e21, '1e3', true, false, null));
const api = fc.oneof(fc.constantFrom(...BUILTIN_APIS, 'set_mac', 'unknown_api', 'a/b', '__proto__'), text(10));
const validRequest: fc.Arbitrary<string> = fc
  .record({ number: value, value, data: fc.oneof(text(40), json), status: fc.oneof(fc.constant('restart'), json) }, { requiredKeys: [] })
  .map((o) => JSON.stringify(o));
const payload = payloads(
  fc.oneof(
    { arbitrary: validRequest, weight: 4 },
    json.map((j) => JSON.stringify(j)),
  ),
);
const topic = fc.oneof(
  { arbitrary: api.map((a) => `${D}/${a}`), weight: 8 },
  fc.constantFrom(D, `${D}/`, 'OTHER/get_status', `server/${D}/get_status`),
  text(50),
);

function check(r: Request, t: string, p: string): void {
  switch (r.kind) {
    case 'ignored':
      assert.ok(!t.startsWith(`${D}/`) || t === `${D}/`, `a request to us ignored: ${t}`);
      return;
    case 'malformed':
      assert.notEqual(r.api, 'get_status', 'get_status is always answered');
      return;
    case 'invalid':
      assert.equal(typeof r.reply['error'], 'string');
      assert.ok(BUILTIN_APIS.includes(r.api), `only built-ins check arguments: ${r.api}`);
      return;
    case 'request': {
      assert.ok(typeof r.params === 'object' && r.params !== null && !Array.isArray(r.params));
      if (r.api === 'get_gpio' || r.api === 'set_gpio') assert.ok(LIMITS.gpioPins.includes(gpioPin(r.params) ?? -1), short(p));
      if (r.api === 'set_gpio') assert.ok(r.params['value'] === 0 || r.params['value'] === 1);
      if (r.api === 'write_uart') assert.ok(Buffer.byteLength(String(r.params['data']), 'utf8') <= LIMITS.uartMaxBytes);
      if (r.api === 'set_rtc') assert.ok(Number.isSafeInteger(r.params['value']));
      return;
    }
  }
}

describe(`fuzz: libpyiotcloud request decoder (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  it('decodeRequest never throws and keeps every request within the device limits', () => {
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        let r: Request;
        try {
          r = decodeRequest(D, t, p, LIMITS);
        } catch (err) {
          throw new Error(`decodeRequest threw on ${short(t)} ${short(p)}: ${String(err)}`);
        }
        check(r, t, p);
      }),
      params(),
    );
  });

  it('every reply built from a decoded request encodes as one JSON object on server/<id>/<api>', () => {
    fc.assert(
      fc.property(topic, payload, fc.array(text(20), { maxLength: 3 }), (t, p, result) => {
        const r = decodeRequest(D, t, p, LIMITS);
        if (r.kind === 'ignored' || r.kind === 'malformed') return;
        const bodies =
          r.kind === 'invalid'
            ? [r.reply]
            : [
                builtinReply(r.params, { api: 'get_gpio', value: 1 }),
                builtinReply(r.params, { api: 'get_rtc', nowMs: 1 }),
                flowReply(r.api, r.params, result),
                errorReply(r.api, r.params, 'x'),
              ];
        for (const b of bodies) {
          const e = encodeReply(D, r.api, b);
          assert.ok(e.ok, e.ok ? '' : e.error);
          assert.equal(e.value.topic, `server/${D}/${r.api}`);
          const back = JSON.parse(e.value.payload) as unknown;
          assert.ok(typeof back === 'object' && back !== null && !Array.isArray(back));
        }
      }),
      params(),
    );
  });
});
