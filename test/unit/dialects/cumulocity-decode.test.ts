// Downstream dispatch (protocol reference §2, §3.1 rules 10–11, §3.3, §8, §12 item 4).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDownstream, decodeJsonOperation } from '../../../dialects/cumulocity';
import type { Inbound } from '../../../dialects/types';

function only(list: Inbound[]): Inbound {
  const [first, ...rest] = list;
  assert.ok(first !== undefined && rest.length === 0, JSON.stringify(list));
  return first;
}
function kinds(list: Inbound[]): string[] {
  return list.map((i) => i.kind);
}

describe('cumulocity decode: vectors D11–D17 through decodeDownstream (§3.3)', () => {
  it('D11: a quoted password keeps its comma and doubled quote', () => {
    assert.deepEqual(decodeDownstream('s/dcr', '70,t12345,device_rpi-0001,"p,w""d"'), [
      { kind: 'credentials', tenant: 't12345', username: 'device_rpi-0001', password: 'p,w"d' },
    ]);
  });

  it('D12: an unquoted password with a comma is rejoined (rule 10)', () => {
    assert.deepEqual(decodeDownstream('s/dcr', '70,t12345,device_rpi-0001,pa,ss'), [
      { kind: 'credentials', tenant: 't12345', username: 'device_rpi-0001', password: 'pa,ss' },
    ]);
  });

  it('D13: s/e line gives code, template and text', () => {
    assert.deepEqual(decodeDownstream('s/e', '41,100,Device already existing'), [
      { kind: 'platform-error', code: '41', template: '100', text: 'Device already existing' },
    ]);
  });

  it('D14: s/e text is everything after the second comma, verbatim', () => {
    assert.deepEqual(decodeDownstream('s/e', '50,100,Error on device creation, message: Error on identity creation'), [
      {
        kind: 'platform-error',
        code: '50',
        template: '100',
        text: 'Error on device creation, message: Error on identity creation',
      },
    ]);
  });

  it('D15: malformed CSV dispatches no record, only one ignored with a reason', () => {
    const out = only(decodeDownstream('s/ds', '510,dev1\n511,dev1,"unterminated'));
    assert.equal(out.kind, 'ignored');
    assert.match(out.kind === 'ignored' ? out.reason : '', /unterminated quoted field.*on s\/ds/);
  });

  it('D15: malformed credentials do not echo the payload in the reason', () => {
    const out = only(decodeDownstream('s/dcr', '70,t1,u,"secret'));
    assert.ok(out.kind === 'ignored' && !out.reason.includes('secret'));
  });

  it('D16: an empty payload decodes to nothing on every CSV topic', () => {
    for (const topic of ['s/ds', 's/dcr', 's/e', 's/dc/pi', 's/dat']) assert.deepEqual(decodeDownstream(topic, ''), []);
  });

  it('D17: a 516 line with one group becomes a c8y_SoftwareList operation', () => {
    assert.deepEqual(decodeDownstream('s/ds', '516,dev1,piAgent,0.4,https://t1.example.com/inventory/binaries/9'), [
      {
        kind: 'operation',
        operation: {
          fragment: 'c8y_SoftwareList',
          deviceId: 'dev1',
          params: [{ name: 'piAgent', version: '0.4', url: 'https://t1.example.com/inventory/binaries/9' }],
        },
      },
    ]);
  });
});

describe('cumulocity decode: s/ds (§6.2)', () => {
  it('dispatches several records of one publish in order, CRLF and trailing LF tolerated', () => {
    const out = decodeDownstream('s/ds', '510,dev1\r\n511,child-1,"uptime; ls"\r\n124,12345\n');
    assert.deepEqual(out, [
      { kind: 'operation', operation: { fragment: 'c8y_Restart', deviceId: 'dev1', params: {} } },
      { kind: 'operation', operation: { fragment: 'c8y_Command', deviceId: 'child-1', params: { text: 'uptime; ls' } } },
      { kind: 'reply', template: '124', fields: ['12345'] },
    ]);
  });

  it('decodes the replies 106, 124, 601 and 603 without a device id field', () => {
    assert.deepEqual(decodeDownstream('s/ds', '106\n106,a,b\n601,1.2.3\n603,1,2,3'), [
      { kind: 'reply', template: '106', fields: [] },
      { kind: 'reply', template: '106', fields: ['a', 'b'] },
      { kind: 'reply', template: '601', fields: ['1.2.3'] },
      { kind: 'reply', template: '603', fields: ['1', '2', '3'] },
    ]);
  });

  it('ignores an unknown id with a reason naming it, and keeps the other records', () => {
    const out = decodeDownstream('s/ds', '599,dev1,x\n510,dev1');
    assert.deepEqual(kinds(out), ['ignored', 'operation']);
    assert.match(out[0]?.kind === 'ignored' ? out[0].reason : '', /"599"/);
  });

  it('does not match longer ids by prefix (seed defect 4)', () => {
    assert.deepEqual(kinds(decodeDownstream('s/ds', '5100,dev1\n51,dev1')), ['ignored', 'ignored']);
  });

  it('turns a malformed known operation into bad-operation, not ignored', () => {
    assert.deepEqual(decodeDownstream('s/ds', '516,dev1,piAgent,0.4'), [
      { kind: 'bad-operation', fragment: 'c8y_SoftwareList', deviceId: 'dev1', reason: 'malformed operation' },
    ]);
  });

  it('accepts the backslash quote style of the docs (D6 shape)', () => {
    const out = only(decodeDownstream('s/ds', '511,myDeviceSerial,"execute this\\nand \\"this\\""'));
    assert.deepEqual(out, {
      kind: 'operation',
      operation: { fragment: 'c8y_Command', deviceId: 'myDeviceSerial', params: { text: 'execute this\\nand "this"' } },
    });
  });
});

describe('cumulocity decode: other topics (§2, §4, §7, §10)', () => {
  it('dispatches on the topic first: 520 on s/dc/pi is a custom reply, not c8y_UploadConfigFile', () => {
    assert.deepEqual(decodeDownstream('s/dc/pi', '520,rpi-0001,Send config,PENDING\n1001,rpi-0001,hello,'), [
      { kind: 'reply', template: '520', fields: ['rpi-0001', 'Send config', 'PENDING'] },
      { kind: 'reply', template: '1001', fields: ['rpi-0001', 'hello', ''] },
    ]);
    assert.equal(only(decodeDownstream('s/ds', '520,rpi-0001')).kind, 'operation');
  });

  it('decodes several s/e lines, each with a possibly empty template', () => {
    assert.deepEqual(decodeDownstream('s/e', '41,,MqttAuth: Cannot publish token\r\n45,211,Value is not a NUMBER: abc\n\n42'), [
      { kind: 'platform-error', code: '41', template: '', text: 'MqttAuth: Cannot publish token' },
      { kind: 'platform-error', code: '45', template: '211', text: 'Value is not a NUMBER: abc' },
      { kind: 'platform-error', code: '42', template: '', text: '' },
    ]);
  });

  it('keeps quotes in s/e text verbatim', () => {
    const out = only(decodeDownstream('s/e', '45,400,"a, b" is wrong'));
    assert.deepEqual(out, { kind: 'platform-error', code: '45', template: '400', text: '"a, b" is wrong' });
  });

  it('ignores other ids and incomplete 70 lines on s/dcr', () => {
    assert.deepEqual(kinds(decodeDownstream('s/dcr', '71,abc\n70,t1,u\n70,t1,u,')), ['ignored', 'ignored', 'ignored']);
  });

  it('keeps a quoted password with a comma as is even when a field follows', () => {
    const out = only(decodeDownstream('s/dcr', '70,t1,u,"p,w",x'));
    assert.deepEqual(out, { kind: 'credentials', tenant: 't1', username: 'u', password: 'p,w' });
  });

  it('decodes the token answer on s/dat and template answers on s/dt as replies', () => {
    assert.deepEqual(decodeDownstream('s/dat', '71,eyJhbGciOi.x.y'), [{ kind: 'reply', template: '71', fields: ['eyJhbGciOi.x.y'] }]);
    assert.deepEqual(decodeDownstream('s/dt', '20,pi,12345\n41,pi_v2'), [
      { kind: 'reply', template: '20', fields: ['pi', '12345'] },
      { kind: 'reply', template: '41', fields: ['pi_v2'] },
    ]);
  });

  it('ignores unknown topics, including s/dc without a collection', () => {
    for (const topic of ['s/us', 's/dc/', 's/dc/a/b', 'error', 'foo']) {
      assert.equal(only(decodeDownstream(topic, '510,dev1')).kind, 'ignored', topic);
    }
  });

  it('never throws on non-string input from untyped callers', () => {
    // JavaScript flows can hand over anything; the types cannot express that.
    const call = decodeDownstream as (topic: unknown, payload: unknown) => Inbound[];
    assert.equal(only(call('s/ds', Buffer.from('510,dev1'))).kind, 'ignored');
    assert.equal(only(call(undefined, '510')).kind, 'ignored');
  });
});

describe('cumulocity decode: devicecontrol/notifications (§8)', () => {
  const EXAMPLE =
    '{"id":"4711","status":"PENDING","deviceId":"12345","externalSource":{"externalId":"rpi-0001","type":"c8y_Serial"},"description":"Restart device","c8y_Restart":{}}';

  it('decodes the reference example with id, external id, description and fragment', () => {
    assert.deepEqual(decodeDownstream('devicecontrol/notifications', EXAMPLE), [
      {
        kind: 'operation',
        operation: { id: '4711', fragment: 'c8y_Restart', deviceId: 'rpi-0001', params: {}, description: 'Restart device' },
      },
    ]);
  });

  it('skips metadata keys and prefers a c8y_ key whatever the key order', () => {
    const out = decodeJsonOperation({
      creationTime: '2024-01-01T00:00:00.000Z',
      delivery: { status: 'PENDING', log: [] },
      com_cumulocity_model_Agent: {},
      self: 'https://t1.example.com/devicecontrol/operations/9',
      bulkOperationId: '3',
      myExtra: { a: 1 },
      c8y_Command: { text: 'uptime' },
      id: 9,
      deviceId: '12345',
      externalSource: { externalId: 'child-1', type: 'c8y_Serial' },
    });
    assert.deepEqual(out, {
      kind: 'operation',
      operation: { id: '9', fragment: 'c8y_Command', deviceId: 'child-1', params: { text: 'uptime' } },
    });
  });

  it('falls back to the deviceId field and to a non-c8y fragment holding an object', () => {
    const out = decodeJsonOperation({ id: '1', deviceId: '12345', note: 'x', acme_Blink: { times: 3 } });
    assert.deepEqual(out, {
      kind: 'operation',
      operation: { id: '1', fragment: 'acme_Blink', deviceId: '12345', params: { times: 3 } },
    });
  });

  it('ignores non-objects, missing id, missing device, missing fragment and finished operations', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[1], /not a JSON object/],
      ['x', /not a JSON object/],
      [{ deviceId: '1', c8y_Restart: {} }, /without id/],
      [{ id: '1', c8y_Restart: {} }, /without a device id/],
      [{ id: '1', deviceId: '2', status: 'PENDING', description: 'x' }, /without a fragment/],
      [{ id: '1', deviceId: '2', status: 'SUCCESSFUL', c8y_Restart: {} }, /already SUCCESSFUL/],
    ];
    for (const [json, reason] of cases) {
      const out = decodeJsonOperation(json);
      assert.equal(out.kind, 'ignored', JSON.stringify(json));
      assert.match(out.kind === 'ignored' ? out.reason : '', reason);
    }
  });

  it('ignores a payload that is not JSON and decodes a JSON array element by element', () => {
    assert.equal(only(decodeDownstream('devicecontrol/notifications', '{"id":')).kind, 'ignored');
    const list = decodeDownstream('devicecontrol/notifications', `[${EXAMPLE},${EXAMPLE.replace('4711', '4712')}]`);
    assert.deepEqual(kinds(list), ['operation', 'operation']);
  });
});
