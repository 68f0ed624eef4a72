// The Trinity receive pipeline up to the handler (trinity.md §6 and its corrections; T6–T13, T18, T19).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDownlink, type Downlink, type DownlinkContext } from '../../../dialects/trinity';

const P = '12345678/AAA0123456789AB';
const S = '000000000000000';
const CTX: DownlinkContext = { cid: '12345678', hid: 'AAA0123456789AB', trusted: [], pids: ['my_app_id'] };

function refused(d: Downlink): { code: number; text: string; tct: string | undefined } {
  assert.equal(d.kind, 'refused', JSON.stringify(d));
  if (d.kind !== 'refused') throw new Error('not refused');
  return { code: d.code, text: d.text, tct: d.tct };
}

describe('trinity decode (§6)', () => {
  it('T6: a command from the server decodes with PID, sender, TCT, time stamp and arguments', () => {
    const d = decodeDownlink(CTX, `${P}/my_app_id/</${S}`, '{"c": [123456789,">a_tct", ["sum_these",1,2,3]]}');
    assert.equal(d.kind, 'command');
    if (d.kind !== 'command') return;
    assert.deepEqual(d.command, {
      pid: 'my_app_id',
      sender: S,
      senderPid: undefined,
      tct: '>a_tct',
      ts: 123456789,
      parseCode: 0,
      name: 'sum_these',
      args: [1, 2, 3],
    });
  });

  it('T7: a command without a TCT is ignored and counted, not answered', () => {
    const d = decodeDownlink(CTX, `${P}/my_app_id/</${S}`, '{"c": [0, ["sum_these", 1]]}');
    assert.deepEqual([d.kind, d.kind === 'ignored' && d.bad], ['ignored', true]);
  });

  it('T8: a bad time stamp still runs, with parse code 1', () => {
    const d = decodeDownlink(CTX, `${P}/my_app_id/</${S}`, '{"c": ["x", ">t1", ["sum_these", 1]]}');
    assert.ok(d.kind === 'command' && d.command.parseCode === 1 && d.command.ts === undefined && d.command.tct === '>t1');
  });

  it('T10: a PID that is not registered is refused -19 "Unknown PID" with its TCT', () => {
    assert.deepEqual(refused(decodeDownlink(CTX, `${P}/other/</${S}`, '{"c": [0, ">t2", ["x"]]}')), {
      code: -19,
      text: 'Unknown PID',
      tct: '>t2',
    });
  });

  it('T11: an empty command is refused -7 "Error" with its TCT', () => {
    assert.deepEqual(refused(decodeDownlink(CTX, `${P}/my_app_id/</${S}`, '{"c": [0, ">t3", []]}')), {
      code: -7,
      text: 'Error',
      tct: '>t3',
    });
  });

  it('T12: four items are refused -4 "Error" and, the TCT being known, answered', () => {
    assert.deepEqual(refused(decodeDownlink(CTX, `${P}/my_app_id/</${S}`, '{"c": [0, ">t4", ["a"], 1]}')), {
      code: -4,
      text: 'Error',
      tct: '>t4',
    });
  });

  it('T13: an untrusted sender is dropped without an answer, even for a malformed payload', () => {
    for (const payload of ['{"c": [0, ">t5", ["sum_these", 1]]}', '{"c": [0, ">t5", []]}', 'hello']) {
      const d = decodeDownlink(CTX, `${P}/my_app_id/</999`, payload);
      assert.equal(d.kind, 'ignored', payload);
    }
    assert.equal(decodeDownlink(CTX, `${P}/my_app_id/</`, '{"c": [0, ">t", ["a"]]}').kind, 'ignored');
  });

  it('T18: a sender on the trusted list may command application PIDs', () => {
    const ctx = { ...CTX, trusted: ['BBB000000000001'] };
    assert.equal(decodeDownlink(ctx, `${P}/my_app_id/</BBB000000000001`, '{"c": [0, ">t", ["a"]]}').kind, 'command');
    assert.equal(decodeDownlink(CTX, `${P}/my_app_id/</BBB000000000001`, '{"c": [0, ">t", ["a"]]}').kind, 'ignored');
  });

  it('system commands (PID 0) come only from the Smart server, not from a trusted device', () => {
    const ctx = { ...CTX, trusted: ['BBB000000000001'] };
    assert.equal(decodeDownlink(ctx, `${P}/0/</BBB000000000001`, '{"c": [0, ">t", ["get", "host"]]}').kind, 'ignored');
    assert.equal(decodeDownlink(ctx, `${P}/0/</${S}`, '{"c": [0, ">t", ["get", "host"]]}').kind, 'command');
  });

  it('T19: a payload that is not JSON is refused -14 without a TCT (no reply possible)', () => {
    assert.deepEqual(refused(decodeDownlink(CTX, `${P}/my_app_id/</${S}`, 'hello')), { code: -14, text: 'Error', tct: undefined });
  });

  it('d, e and x sent to a device are ignored as bad input (they crashed 0.10.1)', () => {
    for (const p of ['{"d": [0, 1]}', '{"e": [0, [[0, 1, "a"]]]}', '{"x": [0, 0]}']) {
      const d = decodeDownlink(CTX, `${P}/my_app_id/</${S}`, p);
      assert.ok(d.kind === 'ignored' && d.bad, p);
    }
  });
});
