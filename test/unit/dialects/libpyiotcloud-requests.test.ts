// libpyiotcloud requests and replies (libpyiotcloud.md §2, §3, §6 vectors 1–19, and the
// corrections). Replies are compared as parsed objects. Vectors that need device state (12, 16–19)
// run again end to end in test/integration/libpyiotcloud-agent.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiOf,
  builtinReply,
  decodeRequest,
  encodeReply,
  errorReply,
  flowReply,
  isDeviceId,
  replyTopic,
  requestFilter,
  type Request,
  type RequestLimits,
} from '../../../dialects/libpyiotcloud';

const D = 'c2bfb6ec02f4bb0cb146fe4b2c7752a90d02f79d';
const LIMITS: RequestLimits = { gpioPins: Array.from({ length: 28 }, (_, i) => i), uartMaxBytes: 64 };

const decode = (topic: string, payload: string): Request => decodeRequest(D, topic, payload, LIMITS);

function request(r: Request): { api: string; params: Record<string, unknown> } {
  assert.equal(r.kind, 'request', JSON.stringify(r));
  if (r.kind !== 'request') throw new Error('not a request');
  return { api: r.api, params: r.params };
}

describe('libpyiotcloud topics (§2)', () => {
  it('subscribes <deviceid>/# and answers on server/<deviceid>/<api>', () => {
    assert.equal(requestFilter(D), `${D}/#`);
    assert.equal(replyTopic(D, 'get_gpio'), `server/${D}/get_gpio`);
  });

  it('takes the API as everything after <deviceid>/ (a/b stays a/b)', () => {
    assert.equal(apiOf(D, `${D}/a/b`), 'a/b');
    assert.equal(apiOf(D, `${D}/`), undefined);
    assert.equal(apiOf(D, D), undefined);
  });

  it('accepts any device id without /, + and #', () => {
    assert.ok(isDeviceId('ft900device1') && isDeviceId(D));
    for (const bad of ['', 'a/b', 'a+b', 'a#']) assert.equal(isDeviceId(bad), false);
  });
});

describe('libpyiotcloud decoding (§6 vectors 1–8)', () => {
  it('1: get_status {} → get_status / {}', () => {
    assert.deepEqual(request(decode(`${D}/get_status`, '{}')), { api: 'get_status', params: {} });
  });

  it('2: set_gpio {"number": 12, "value": 1} → set_gpio / {number: 12, value: 1}', () => {
    assert.deepEqual(request(decode(`${D}/set_gpio`, '{"number": 12, "value": 1}')), { api: 'set_gpio', params: { number: 12, value: 1 } });
  });

  it('3: set_gpio {"number": "12", "value": "1"} → value made the integer 1, number as received', () => {
    assert.deepEqual(request(decode(`${D}/set_gpio`, '{"number": "12", "value": "1"}')).params, { number: '12', value: 1 });
  });

  it('4: write_uart {"data": "Hello World!"} → write_uart / {data: "Hello World!"}', () => {
    assert.deepEqual(request(decode(`${D}/write_uart`, '{"data": "Hello World!"}')), {
      api: 'write_uart',
      params: { data: 'Hello World!' },
    });
  });

  it('5: OTHER/get_status is ignored (not our device)', () => {
    assert.equal(decode('OTHER/get_status', '{}').kind, 'ignored');
  });

  it('6: a topic of just the device id is ignored (no api part)', () => {
    assert.equal(decode(D, '{}').kind, 'ignored');
  });

  it('7: get_gpio with "not json" is malformed: no reply', () => {
    assert.equal(decode(`${D}/get_gpio`, 'not json').kind, 'malformed');
    assert.equal(decode(`${D}/set_gpio`, '[1]').kind, 'malformed');
  });

  it('8: an unknown API is passed on as it is (to the flow)', () => {
    assert.deepEqual(request(decode(`${D}/unknown_api`, '{}')), { api: 'unknown_api', params: {} });
  });

  it('get_status answers even to a payload that is not JSON (the original never parsed it)', () => {
    assert.deepEqual(request(decode(`${D}/get_status`, 'garbage')), { api: 'get_status', params: {} });
  });

  it('extra keys are kept and ignored by the built-ins', () => {
    assert.deepEqual(request(decode(`${D}/get_rtc`, '{"extra": 1}')).params, { extra: 1 });
  });
});

describe('libpyiotcloud bad arguments: an error reply in the API shape', () => {
  const cases: [string, string, string, Record<string, unknown>][] = [
    ['get_gpio without number', 'get_gpio', '{}', {}],
    ['get_gpio number not a number', 'get_gpio', '{"number": "x"}', { number: 'x' }],
    ['GPIO out of range', 'get_gpio', '{"number": 99}', { number: 99 }],
    ['set_gpio value 2', 'set_gpio', '{"number": 4, "value": 2}', { number: 4 }],
    ['set_gpio value not a number', 'set_gpio', '{"number": 4, "value": "on"}', { number: 4 }],
    ['write_uart {}', 'write_uart', '{}', {}],
    ['write_uart oversize', 'write_uart', JSON.stringify({ data: 'x'.repeat(65) }), {}],
    ['write_uart data not text', 'write_uart', '{"data": 5}', {}],
    ['set_rtc bad value', 'set_rtc', '{"value": "soon"}', {}],
  ];
  for (const [what, api, payload, echo] of cases) {
    it(`${what}: invalid, answered with "error" and the pin echoed`, () => {
      const r = decode(`${D}/${api}`, payload);
      assert.equal(r.kind, 'invalid', JSON.stringify(r));
      if (r.kind !== 'invalid') return;
      const { error, ...rest } = r.reply;
      assert.equal(typeof error, 'string');
      assert.deepEqual(rest, echo);
    });
  }

  it('the oversize limit counts UTF-8 bytes', () => {
    assert.equal(decode(`${D}/write_uart`, JSON.stringify({ data: 'é'.repeat(32) })).kind, 'request');
    assert.equal(decode(`${D}/write_uart`, JSON.stringify({ data: 'é'.repeat(33) })).kind, 'invalid');
  });

  it('error replies of status APIs carry status "error"', () => {
    assert.deepEqual(errorReply('set_status', {}, 'x'), { status: 'error', error: 'x' });
  });
});

describe('libpyiotcloud replies (§6 vectors 9–19), QoS 1, not retained', () => {
  function wire(api: string, body: Record<string, unknown>): { topic: string; body: unknown } {
    const r = encodeReply(D, api, body);
    assert.ok(r.ok);
    assert.equal(r.value.batchable, false);
    return { topic: r.value.topic, body: JSON.parse(r.value.payload) as unknown };
  }

  const vectors: [string, string, Record<string, unknown>, Parameters<typeof builtinReply>[1], unknown][] = [
    ['9', 'get_status', {}, { api: 'get_status' }, { status: 'running' }],
    ['10', 'set_status', { status: 'restart' }, { api: 'set_status' }, { status: 'restarting' }],
    ['11', 'get_gpio', { number: 12 }, { api: 'get_gpio', value: 0 }, { number: 12, value: 0 }],
    ['12', 'get_gpio', { number: 12 }, { api: 'get_gpio', value: 1 }, { number: 12, value: 1 }],
    ['13', 'set_rtc', { value: 1561939200 }, { api: 'set_rtc' }, { value: 1561939200 }],
    ['14', 'get_rtc', {}, { api: 'get_rtc', nowMs: 1561939205_700 }, { value: 1561939205 }],
    ['15', 'write_uart', { data: 'hi' }, { api: 'write_uart' }, { data: 'hi' }],
    ['16', 'get_ip', {}, { api: 'get_ip', value: '10.0.0.7' }, { value: '10.0.0.7' }],
    ['17', 'get_subnet', {}, { api: 'get_subnet', value: '255.255.255.0' }, { value: '255.255.255.0' }],
    ['18', 'get_gateway', {}, { api: 'get_gateway', value: '10.0.0.1' }, { value: '10.0.0.1' }],
    ['19', 'get_mac', {}, { api: 'get_mac', value: '02:42:0a:00:00:07' }, { value: '02:42:0a:00:00:07' }],
  ];
  for (const [n, api, params, answer, expected] of vectors) {
    it(`${n}: ${api} ${JSON.stringify(params)} → server/D/${api} ${JSON.stringify(expected)}`, () => {
      const w = wire(api, builtinReply(params, answer));
      assert.equal(w.topic, `server/${D}/${api}`);
      assert.deepEqual(w.body, expected);
    });
  }

  it('set_gpio echoes the number as received and sends the value as an integer', () => {
    assert.deepEqual(builtinReply({ number: '12', value: 1 }, { api: 'set_gpio', value: 1 }), { number: '12', value: 1 });
  });
});

describe('libpyiotcloud flow replies', () => {
  it('a JSON object result is the reply', () => {
    assert.deepEqual(flowReply('set_mac', { value: 'x' }, ['{"value":"aa:bb"}']), { value: 'aa:bb' });
  });

  it('other results are wrapped as {value}', () => {
    assert.deepEqual(flowReply('x', {}, ['42']), { value: 42 });
    assert.deepEqual(flowReply('x', {}, ['ok']), { value: 'ok' });
    assert.deepEqual(flowReply('x', {}, ['1', '2']), { value: [1, 2] });
  });

  it('without a result: the built-in shape, else the request echoed', () => {
    assert.deepEqual(flowReply('set_status', { status: 'restart' }, undefined), { status: 'restarting' });
    assert.deepEqual(flowReply('get_status', {}, []), { status: 'running' });
    assert.deepEqual(flowReply('custom', { a: 1 }, undefined), { a: 1 });
  });
});
