// Helix Device Cloud dialect against the test vectors of helix-device-cloud.md §10 (H2–H19), with
// K = dev1-my_app and the fake clock T = 2018-01-02T03:04:05.000000Z.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import * as hdc from '../../../dialects/hdc';

const K = 'dev1-my_app';
const T = '2018-01-02T03:04:05.000000Z';
const AT = new Date('2018-01-02T03:04:05Z');

/** The wire text of one request holding the given commands. */
const wire = (...cs: hdc.Command[]): string => hdc.encodeRequest(cs.map(hdc.encodeCommand));

describe('HDC identity and time', () => {
  it('makes the thing key from device id and app id, the device id alone without an app id', () => {
    assert.deepEqual(hdc.thingKey('dev1', 'my_app'), { ok: true, value: K });
    assert.deepEqual(hdc.thingKey('dev1', ''), { ok: true, value: 'dev1' });
    assert.deepEqual(hdc.thingKey('07e4cfc1-9aa2-4af2-93a6-e1143b3ece36', 'device_manager_py'), {
      ok: true,
      value: '07e4cfc1-9aa2-4af2-93a6-e1143b3ece36-device_manager_py',
    });
  });

  it('refuses a thing key over 64 characters, empty device ids and wildcards', () => {
    assert.equal(hdc.thingKey('d'.repeat(60), 'app12').ok, false);
    assert.equal(hdc.thingKey('d'.repeat(58), 'app12').ok, true);
    assert.equal(hdc.thingKey('', 'app').ok, false);
    assert.equal(hdc.thingKey('a/b', 'app').ok, false);
    assert.equal(hdc.thingKey('a#', '').ok, false);
    assert.equal(hdc.thingKey('a b', '').ok, false);
  });

  it('writes UTC times with a 6-digit fraction and the ping time stamp without one', () => {
    assert.equal(hdc.hdcTime(AT), T);
    assert.equal(hdc.hdcTime(new Date('2018-01-02T03:04:05.123Z')), '2018-01-02T03:04:05.123000Z');
    assert.equal(hdc.pingTime(AT), '2018-01-02 03:04:05');
  });

  it('numbers topics from 0001, padded to four digits and growing past 9999', () => {
    assert.equal(hdc.requestTopic(1), 'api/0001');
    assert.equal(hdc.requestTopic(42), 'api/0042');
    assert.equal(hdc.requestTopic(10000), 'api/10000');
    assert.equal(hdc.replyNumber('reply/0001'), 1);
    assert.equal(hdc.replyNumber('reply/10000'), 10000);
    assert.equal(hdc.replyNumber('reply/0000'), undefined);
    assert.equal(hdc.replyNumber('reply/12/3'), undefined);
    assert.equal(hdc.replyNumber('notify/mailbox_activity'), undefined);
  });
});

describe('HDC commands (vectors H2–H19)', () => {
  it('H2 telemetry: property.batch with the corrId quirk and a null lowercase corrid', () => {
    assert.equal(
      wire(hdc.propertyBatch(K, [{ key: 'temp', value: 21.5, time: AT }], AT)),
      `{"1":{"command":"property.batch","params":{"thingKey":"dev1-my_app","key":"property_batch","value":"Property Batch","ts":"${T}","corrId":"${T}","data":[{"key":"temp","value":21.5,"ts":"${T}","corrid":null}]}}}`,
    );
  });

  it('H4 attribute: attribute.batch with a null republish in the item', () => {
    assert.equal(
      wire(hdc.attributeBatch(K, [{ key: 'os_name', value: 'Linux', time: AT }], AT)),
      `{"1":{"command":"attribute.batch","params":{"thingKey":"${K}","key":"attribute_batch","value":"Attribute Batch","ts":"${T}","data":[{"key":"os_name","value":"Linux","ts":"${T}","republish":null}]}}}`,
    );
  });

  it('H5 alarm: alarm.batch with state 0 on top, no top-level msg', () => {
    assert.equal(
      wire(hdc.alarmBatch(K, [{ key: 'door', state: 1, msg: 'open', time: AT }], AT)),
      `{"1":{"command":"alarm.batch","params":{"thingKey":"${K}","key":"alarm_batch","state":0,"ts":"${T}","republish":false,"data":[{"key":"door","state":1,"ts":"${T}","msg":"open","republish":false}]}}}`,
    );
  });

  it('H6 location: top-level lat/lng strings and every item field, unknown ones null', () => {
    const c = hdc.locationBatch(K, [{ lat: 45.35, lng: -75.91, time: AT }], AT);
    const p = c.params as hdc.JsonObject;
    assert.equal(c.command, 'location.batch');
    assert.equal(p['lat'], 'location_batch');
    assert.equal(p['lng'], 'Location Batch');
    assert.deepEqual(p['data'], [
      {
        lat: 45.35,
        lng: -75.91,
        heading: null,
        altitude: null,
        speed: null,
        fixAcc: null,
        fixType: null,
        ts: T,
        corrId: null,
        debounce: null,
        streetNumber: null,
        street: null,
        city: null,
        state: null,
        zipCode: null,
        country: null,
      },
    ]);
  });

  it('H7 two events joined into one request, numbered 1 and 2', () => {
    const joined = [hdc.logPublish(K, 'a', AT), hdc.logPublish(K, 'b', AT)].map(hdc.encodeCommand).join(hdc.BATCH_RULE.separator);
    assert.equal(
      hdc.requestFromJoined(joined),
      `{"1":{"command":"log.publish","params":{"thingKey":"${K}","msg":"a","ts":"${T}"}},"2":{"command":"log.publish","params":{"thingKey":"${K}","msg":"b","ts":"${T}"}}}`,
    );
    assert.equal(hdc.commandCount(joined), 2);
  });

  it('H8 mailbox.check with autoComplete false', () => {
    assert.equal(wire(hdc.mailboxCheck()), '{"1":{"command":"mailbox.check","params":{"autoComplete":false}}}');
  });

  it('H9 decodes a ping method from the mailbox and answers with the ping out params', () => {
    const reply = hdc.decodeReply(
      `{"1":{"success":true,"params":{"messages":[{"id":"m1","command":"method.exec","thingKey":"${K}","params":{"method":"ping","thingDefKey":"d","params":{}}}]}}}`,
    );
    assert.ok(reply.ok);
    const r = reply.value.get(1);
    assert.ok(r);
    assert.deepEqual(hdc.decodeMailboxCheck(r, K), [{ kind: 'method', request: { id: 'm1', method: 'ping', params: {} } }]);
    assert.equal(
      wire(hdc.mailboxAck('m1', 0, '', hdc.pingResult(hdc.pingTime(AT)))),
      '{"1":{"command":"mailbox.ack","params":{"id":"m1","errorCode":0,"errorMessage":"","params":{"response":"acknowledged","time_stamp":"2018-01-02 03:04:05"}}}}',
    );
  });

  it("H10 unknown method: code 12 with the agent's message", () => {
    assert.equal(
      wire(hdc.mailboxAck('m2', hdc.STATUS.NOT_FOUND, hdc.unknownMethodMessage('nope'))),
      '{"1":{"command":"mailbox.ack","params":{"id":"m2","errorCode":12,"errorMessage":"ERROR: \'Action \\"nope\\" does not have a callback\'"}}}',
    );
  });

  it('H11 disabled method: code 18', () => {
    assert.equal(
      wire(hdc.mailboxAck('m3', hdc.STATUS.NOT_SUPPORTED, hdc.DISABLED_MESSAGE)),
      '{"1":{"command":"mailbox.ack","params":{"id":"m3","errorCode":18,"errorMessage":"This method is disabled by its iot.cfg setting"}}}',
    );
  });

  it('H12 software update: Invoked, the started alarm, file.get from the global store', () => {
    assert.equal(wire(hdc.mailboxUpdate('m4', 'Invoked')), '{"1":{"command":"mailbox.update","params":{"id":"m4","msg":"Invoked"}}}');
    assert.equal(
      wire(hdc.fileGet(K, 'p.tar.gz', true)),
      `{"1":{"command":"file.get","params":{"thingKey":"${K}","fileName":"p.tar.gz","global":true}}}`,
    );
    assert.equal(wire(hdc.mailboxAck('m4', 0, '')), '{"1":{"command":"mailbox.ack","params":{"id":"m4","errorCode":0,"errorMessage":""}}}');
  });

  it('H13 a failed file.get carries the cloud error codes', () => {
    const r = hdc.decodeReply('{"1":{"success":false,"errorCodes":[-90008]}}');
    assert.ok(r.ok);
    assert.deepEqual(r.value.get(1), { success: false, errorCodes: [hdc.CLOUD_FILE_NOT_FOUND], errorMessages: [] });
  });

  it('H14 file.get reply: crc32 as a string or a number, both unsigned', () => {
    for (const crc of ['"222957957"', '222957957']) {
      const r = hdc.decodeReply(`{"1":{"success":true,"params":{"fileId":"f1","fileSize":11,"crc32":${crc}}}}`);
      assert.ok(r.ok);
      const one = r.value.get(1);
      assert.ok(one);
      assert.deepEqual(hdc.decodeFileGet(one), { ok: true, value: { fileId: 'f1', fileSize: 11, crc32: 222957957 } });
    }
    assert.equal(hdc.crc32(Buffer.from('hello world')), 222957957);
    assert.notEqual(hdc.crc32(Buffer.from('hello worlX')), 222957957);
    assert.equal(hdc.crc32(Buffer.from(' world'), hdc.crc32(Buffer.from('hello'))), 222957957, 'continues over chunks');
  });

  it('H16 file.put with the numeric crc32 and public false', () => {
    assert.equal(
      wire(hdc.filePut(K, 'log.txt', hdc.crc32(Buffer.from('hello world')), false)),
      `{"1":{"command":"file.put","params":{"thingKey":"${K}","fileName":"log.txt","public":false,"crc32":222957957,"global":false}}}`,
    );
  });

  it('H17 diag.time with params null; H18 thing.update names the thing by key; H19 property.current', () => {
    assert.equal(wire(hdc.diagTime()), '{"1":{"command":"diag.time","params":null}}');
    assert.equal(wire(hdc.diagPing()), '{"1":{"command":"diag.ping"}}');
    assert.equal(wire(hdc.thingUpdate(K, { name: 'Pump 7' })), `{"1":{"command":"thing.update","params":{"key":"${K}","name":"Pump 7"}}}`);
    assert.equal(wire(hdc.propertyCurrent(K, 'temp')), `{"1":{"command":"property.current","params":{"thingKey":"${K}","key":"temp"}}}`);
  });

  it('H3 decodes a success reply without params', () => {
    assert.deepEqual(hdc.decodeReply('{"1":{"success":true}}'), { ok: true, value: new Map([[1, { success: true, params: {} }]]) });
  });
});

describe('HDC bad input', () => {
  it('refuses malformed replies with a reason', () => {
    for (const t of ['', 'nope', '[]', '{}', '{"x":{"success":true}}', '{"1":{}}', '{"1":{"success":"yes"}}', '{"1":5}']) {
      const r = hdc.decodeReply(t);
      assert.equal(r.ok, false, t);
    }
  });

  it('turns malformed method.exec messages into error answers with the right code', () => {
    assert.deepEqual(hdc.decodeMailboxMessage({ command: 'method.exec', params: { method: 'x' } }, K), {
      kind: 'bad',
      code: 3,
      message: 'ERROR: method.exec without an id',
    });
    assert.equal((hdc.decodeMailboxMessage({ id: 'a', command: 'method.exec', params: {} }, K) as { code: number }).code, 2);
    assert.equal(
      (hdc.decodeMailboxMessage({ id: 'a', command: 'method.exec', params: { method: 'x', params: [1] } }, K) as { code: number }).code,
      2,
    );
    assert.equal(
      (hdc.decodeMailboxMessage({ id: 'a', command: 'method.exec', thingKey: 'other', params: { method: 'x' } }, K) as { code: number })
        .code,
      3,
    );
    assert.deepEqual(hdc.decodeMailboxMessage({ id: 'a', command: 'thing.update' }, K), {
      kind: 'other',
      id: 'a',
      command: 'thing.update',
    });
    assert.equal(hdc.decodeMailboxMessage('text', K).kind, 'bad');
  });

  it('ignores a mailbox notice for another thing', () => {
    assert.equal(hdc.decodeNotify(`{"thingKey":"${K}","sessionId":"s"}`, K).ok, true);
    assert.equal(hdc.decodeNotify('{"thingKey":"other"}', K).ok, false);
    assert.equal(hdc.decodeNotify('not json', K).ok, false);
  });

  it('maps flow results and failure reasons onto out params and status codes', () => {
    assert.deepEqual(hdc.outParams(['{"a":1}']), { a: 1 });
    assert.deepEqual(hdc.outParams(['7']), { result: 7 });
    assert.deepEqual(hdc.outParams(['x', 'y']), { results: ['x', 'y'] });
    assert.equal(hdc.outParams(undefined), undefined);
    assert.deepEqual(hdc.failureOf('8: disk full'), { code: 8, message: 'disk full' });
    assert.deepEqual(hdc.failureOf('pump jammed'), { code: 19, message: 'ERROR: pump jammed' });
    assert.deepEqual(hdc.failureOf('0: not a failure code'), { code: 19, message: 'ERROR: 0: not a failure code' });
  });

  it('keeps cloud file names to plain names and paths inside the allowed directories', () => {
    assert.equal(hdc.checkFileName('log.txt').ok, true);
    for (const bad of ['../x', 'a/b', '..', '', 'a\u0000b', 'a\\b', 'x'.repeat(256)]) assert.equal(hdc.checkFileName(bad).ok, false, bad);
    const allowed = ['/srv/hdc', '/var/tmp/in'];
    assert.deepEqual(hdc.resolveInside(allowed, 'a.txt'), { ok: true, value: '/srv/hdc/a.txt' });
    assert.deepEqual(hdc.resolveInside(allowed, 'a.txt', 'sub'), { ok: true, value: '/srv/hdc/sub/a.txt' });
    assert.deepEqual(hdc.resolveInside(allowed, 'a.txt', '/var/tmp/in'), { ok: true, value: '/var/tmp/in/a.txt' });
    for (const [name, dir] of [
      ['../../etc/passwd', undefined],
      ['passwd', '/etc'],
      ['x', '../..'],
      ['x', '/srv/hdc2'],
      ['', '/srv/hdc'],
    ] as const)
      assert.equal(hdc.resolveInside(allowed, name, dir).ok, false, `${dir ?? ''} ${name}`);
    assert.equal(hdc.resolveInside([], 'a').ok, false);
  });

  it('refuses file.get replies without a usable id, with a bad size or checksum', () => {
    const r = (p: string): hdc.CommandResult => {
      const d = hdc.decodeReply(`{"1":{"success":true,"params":${p}}}`);
      assert.ok(d.ok);
      const v = d.value.get(1);
      assert.ok(v);
      return v;
    };
    assert.equal(hdc.decodeFileGet(r('{}')).ok, false);
    assert.equal(hdc.decodeFileGet(r('{"fileId":"../x"}')).ok, false);
    assert.equal(hdc.decodeFileGet(r('{"fileId":"f","fileSize":-1}')).ok, false);
    assert.equal(hdc.decodeFileGet(r('{"fileId":"f","crc32":"abc"}')).ok, false);
    assert.equal(hdc.decodeFileGet(r('{"fileId":"f","crc32":4294967296}')).ok, false);
    assert.deepEqual(hdc.decodeFileGet(r('{"fileId":"f","crc32":null}')), {
      ok: true,
      value: { fileId: 'f', fileSize: undefined, crc32: undefined },
    });
  });
});
