// Fuzz of the pyaiot decoders (issue 7 "bad input"): whatever a broker delivers, the node-side
// request decoder and the gateway table never throw; the table stays within its caps; it only
// ever lists names that fit one topic level and are not reserved; every publish it asks for is
// a well-formed gateway topic; a set request never reaches a topic with a wildcard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkResourceName, decodeNodeRequest, GatewayTable, parseGatewayTopic } from '../../../dialects/pyaiot';
import { params, TIMEOUT_MS } from './check';
import { payloads, text } from './text';

const id = fc.oneof(fc.constantFrom('nr1', 'nr2', 'a/b', '+', '#', '', 'check', 'x'.repeat(300)), text(12));
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });
const valid = fc.oneof(
  id.map((i) => JSON.stringify({ id: i })),
  fc
    .array(fc.oneof(id, fc.constantFrom('led', 'temperature', 'id', 'protocol', 'resources')), { maxLength: 40 })
    .map((a) => JSON.stringify(a)),
  json.map((v) => JSON.stringify({ value: v })),
  json.map((j) => JSON.stringify(j)),
);
const payload = payloads(valid);
const topic = fc.oneof(
  { arbitrary: fc.constant('node/check'), weight: 4 },
  { arbitrary: id.map((i) => `node/${i}/resources`), weight: 3 },
  { arbitrary: fc.tuple(id, fc.oneof(text(8), fc.constantFrom('led', 'temperature'))).map(([i, r]) => `node/${i}/${r}`), weight: 3 },
  text(40),
);

describe('pyaiot fuzz', () => {
  it('the gateway table takes any publish sequence without throwing and within its caps', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(topic, payload, fc.nat(200_000)), { maxLength: 60 }), (events) => {
        let n = 0;
        const t = new GatewayTable({ maxTimeSec: 120, maxNodes: 5, maxResources: 4, newUid: () => `u${(n += 1)}` });
        let now = 0;
        for (const [tp, p, dt] of events) {
          now += dt;
          const g = parseGatewayTopic(tp);
          const fx =
            g.kind === 'check'
              ? t.check(p, now)
              : g.kind === 'resources'
                ? t.resources(g.id, p)
                : g.kind === 'value'
                  ? t.value(g.id, g.resource, p)
                  : t.sweep(now);
          for (const pub of fx.publish) assert.match(pub.topic, /^gateway\/[^/+#]+\/discover$/);
          assert.ok(t.size <= 5);
          for (const node of t.list()) {
            assert.ok(node.resources.length <= 4);
            for (const r of node.resources) assert.equal(checkResourceName(r), undefined, r);
          }
          const first = t.list()[0];
          if (first) {
            const s = t.set({ uid: first.uid, endpoint: 'led', payload: p });
            if (s.ok) assert.doesNotMatch(s.publish.topic, /[+#]/);
          }
        }
      }),
      params(),
    );
  });

  it('the node-side decoder takes any topic and payload without throwing', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          text(40),
          id.map((i) => `gateway/nr1/${i}/set`),
          fc.constant('gateway/nr1/discover'),
        ),
        payload,
        (tp, p) => {
          const r = decodeNodeRequest('nr1', tp, Buffer.from(p, 'utf8'));
          if (r.kind === 'set') assert.equal(/[/+#]/.test(r.resource), false);
        },
      ),
      params(),
    );
  });
});
