// Trinity topic scheme (trinity.md §4) and identities (§1, §2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downlinkFilter, isTopicLevel, parseDownlinkTopic, replyTopic, trinityUsername, uplinkTopic } from '../../../dialects/trinity';

const IDS = { cid: '12345678', hid: 'AAA0123456789AB' };
const P = '12345678/AAA0123456789AB';

describe('trinity topics (§4)', () => {
  it('T1: the user name is CID immediately followed by HID', () => {
    assert.equal(trinityUsername(IDS), '12345678AAA0123456789AB');
  });

  it('T2: subscribes P/+/</#', () => {
    assert.equal(downlinkFilter(IDS), `${P}/+/</#`);
  });

  it('T3/T5: data and events go to P/{PID}/>', () => {
    assert.equal(uplinkTopic(IDS, 'my_app_id'), `${P}/my_app_id/>`);
  });

  it('T6: replies go to P/0/>/{TCT}, whatever PID the command had', () => {
    assert.equal(replyTopic(IDS, '>a_tct'), `${P}/0/>/>a_tct`);
  });

  it('splits a downlink into PID, sender, sender PID and ticket', () => {
    assert.deepEqual(parseDownlinkTopic(IDS, `${P}/my_app_id/</000000000000000/app2/tk`), {
      pid: 'my_app_id',
      sender: '000000000000000',
      senderPid: 'app2',
      ticket: 'tk',
    });
  });

  it('the seed example with an empty sender level parses with an empty sender', () => {
    assert.equal(parseDownlinkTopic(IDS, `${P}/my_app_id/</`)?.sender, '');
  });

  for (const t of [`${P}/my_app_id/>`, `99999999/AAA0123456789AB/x/</S`, `${P}//</S`, `${P}/x`, 'a/b']) {
    it(`is not a downlink of this device: ${t}`, () => {
      assert.equal(parseDownlinkTopic(IDS, t), undefined);
    });
  }

  it('refuses wildcards and NUL in a PID or TCT', () => {
    for (const s of ['a+b', '#', 'a\u0000b', '']) assert.equal(isTopicLevel(s), false);
    assert.equal(isTopicLevel('a/b'), false);
    assert.equal(isTopicLevel('a/b', true), true);
  });
});
