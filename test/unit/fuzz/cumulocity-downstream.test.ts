// Fuzz of the Cumulocity downstream dispatcher, one property per topic (issue 4 item 5; R5):
// whatever arrives, decodeDownstream returns well-formed Inbound values of the kinds that topic
// can yield, never throws and never reaches its own catch-all.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDownstream, decodeRecords } from '../../../dialects/cumulocity';
import { assertInbounds, type Kind, params, RUNS, short, TIMEOUT_MS } from './check';
import { credentialsLine, csvPayload, deepJsonPayload, validJsonPayload, validStaticPayload } from './cumulocity-payloads';
import { injection, payloads, text, truncated } from './text';

/** For a CSV topic: one result per record, or a single 'ignored' when the payload is not CSV. */
function assertPerRecord(topic: string, payload: string, out: unknown[]): void {
  const recs = decodeRecords(payload);
  if (recs.ok) assert.equal(out.length, recs.value.length, `one result per record on ${topic}`);
  else assert.equal(out.length, 1, `a malformed payload on ${topic} yields one 'ignored': ${short(out)}`);
}

interface TopicCase {
  topic: string;
  kinds: readonly Kind[];
  valid: fc.Arbitrary<string>;
  csv: boolean;
}

const CASES: TopicCase[] = [
  { topic: 's/ds', kinds: ['operation', 'bad-operation', 'reply', 'ignored'], valid: validStaticPayload, csv: true },
  { topic: 's/dcr', kinds: ['credentials', 'ignored'], valid: credentialsLine.map((c) => c.line), csv: true },
  { topic: 's/e', kinds: ['platform-error'], valid: csvPayload(['41', '42', '45', '50', '70']), csv: false },
  {
    topic: 'devicecontrol/notifications',
    kinds: ['operation', 'ignored'],
    valid: fc.oneof({ arbitrary: validJsonPayload, weight: 9 }, deepJsonPayload),
    csv: false,
  },
  { topic: 's/dc/my-collection', kinds: ['reply', 'ignored'], valid: csvPayload(['700', '701', '9999']), csv: true },
  { topic: 's/dat', kinds: ['reply', 'ignored'], valid: csvPayload(['71']), csv: true },
  { topic: 's/dt', kinds: ['reply', 'ignored'], valid: csvPayload(['20', '41']), csv: true },
];

describe(`fuzz: decodeDownstream per topic (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  for (const c of CASES) {
    it(`${c.topic}: any payload gives well-formed ${c.kinds.join('/')} results and never throws`, () => {
      fc.assert(
        fc.property(payloads(c.valid), (payload) => {
          const out = decodeDownstream(c.topic, payload);
          assertInbounds(out, c.kinds);
          if (c.csv) assertPerRecord(c.topic, payload, out);
        }),
        params(),
      );
    });
  }

  it('s/e: one platform-error per non-empty line, its text verbatim after the second comma', () => {
    fc.assert(
      fc.property(payloads(csvPayload(['41', '50'])), (payload) => {
        const out = decodeDownstream('s/e', payload);
        assertInbounds(out, ['platform-error']);
        const lines = payload.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        assert.equal(out.length, lines.filter((l) => l !== '').length);
        for (const [i, line] of lines.filter((l) => l !== '').entries()) {
          const e = out[i];
          if (e?.kind !== 'platform-error') assert.fail(short(e));
          const rebuilt = [e.code, e.template, e.text].join(',');
          // Without two commas the missing parts are empty: the line is a prefix of the rebuilt one.
          assert.ok(rebuilt === line || rebuilt.startsWith(line), `${short(line)} → ${short(e)}`);
        }
      }),
      params(),
    );
  });

  it('s/dcr: a credentials line decodes to its password, and no reason ever echoes it', () => {
    fc.assert(
      fc.property(credentialsLine, fc.nat(), (cred, cut) => {
        const whole = decodeDownstream('s/dcr', cred.line);
        assertInbounds(whole, ['credentials', 'ignored']);
        const [first] = whole;
        if (first?.kind === 'credentials') assert.equal(first.password, cred.password);
        else assert.equal(first?.kind, 'ignored'); // tenant or user stripped to nothing by the encoder
        const prefix = cred.line.slice(0, cut % (cred.line.length + 1));
        for (const i of decodeDownstream('s/dcr', prefix)) {
          if (i.kind === 'ignored') assert.ok(!i.reason.includes('Pw-'), `reason echoes the password: ${short(i.reason)}`);
        }
      }),
      params(),
    );
  });

  it('any other topic: exactly one ignored with a reason, whatever the payload', () => {
    const known = new Set(CASES.map((c) => c.topic));
    const topic = fc.oneof(
      text(30),
      fc.constantFrom('s/dc/', 's/dc/a/b', 's/us', 's/ds/child', 'devicecontrol/notifications/x', 's/e ', 'S/DS', '#', '+/+'),
    );
    fc.assert(
      fc.property(
        topic.filter((t) => !known.has(t) && !/^s\/dc\/[^/]+$/.test(t)),
        fc.oneof(truncated(validStaticPayload), injection),
        (t, payload) => {
          const out = decodeDownstream(t, payload);
          assertInbounds(out, ['ignored']);
          assert.equal(out.length, 1);
        },
      ),
      params(),
    );
  });

  it('s/dc/<any xid without a slash>: replies or ignored, one per record', () => {
    fc.assert(
      fc.property(
        text(20).filter((x) => x !== '' && !x.includes('/')),
        payloads(csvPayload(['700']), false),
        (xid, payload) => {
          const topic = `s/dc/${xid}`;
          const out = decodeDownstream(topic, payload);
          assertInbounds(out, ['reply', 'ignored']);
          assertPerRecord(topic, payload, out);
        },
      ),
      params(),
    );
  });

  it('non-string topic or payload (a misbehaving caller) gives one ignored', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (t, p) => {
        fc.pre(typeof t !== 'string' || typeof p !== 'string');
        // The signature says string; the guard in decodeDownstream is for JavaScript callers.
        const out = (decodeDownstream as (a: unknown, b: unknown) => unknown)(t, p);
        assertInbounds(out, ['ignored']);
      }),
      params(),
    );
  });
});
