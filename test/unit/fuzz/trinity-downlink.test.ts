// Fuzz of the Trinity downlink decoder and what the agent does with its output (issue 8 "bad
// input"; trinity.md: malformed commands stopped the original's network thread): whatever arrives,
// parsePayload and decodeDownlink never throw and return well-formed values, untrusted senders
// never get anything but "ignored", and planning and encoding the answer never throw either.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CODES,
  decodeDownlink,
  encodeReply,
  parsePayload,
  planSystemRpc,
  type Downlink,
  type DownlinkContext,
  type ParseResult,
  type TrinitySettings,
} from '../../../dialects/trinity';
import { params, RUNS, short, TIMEOUT_MS } from './check';
import { payloads, text } from './text';

const CTX: DownlinkContext = { cid: '12345678', hid: 'AAA0123456789AB', trusted: ['BBB000000000001'], pids: ['my_app_id', 'pump'] };
const P = `${CTX.cid}/${CTX.hid}`;
const S = '000000000000000';
const KNOWN_CODES = new Set<number>(Object.values(CODES));
const SETTINGS: TrinitySettings = {
  pdr_interval: 3600,
  use_rtc: false,
  keep_alive: 60,
  default_qos: 1,
  clean_session: true,
  trusted_senders: [],
  host: 'h',
};
const SYSTEM_RPCS = [
  'set_pdr_interval',
  'set_use_rtc',
  'set_ping_interval',
  'set_clean_session',
  'set_host',
  'take_a_break',
  'get',
  'pub_full_data',
  'pub_all_settings',
  'pup_ip_address',
  'reboot_hardware',
  'add_trusted_sender',
  'remove_trusted_sender',
  'clear_all_trusted_sender',
  'restart_client',
  'upgrade_client',
  'data_write',
];

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const name = fc.oneof(fc.constantFrom('sum_these', ...SYSTEM_RPCS, '__proto__', 'constructor'), text(12));
const tct = fc.oneof(fc.constantFrom('>a_tct', '>t1', 'a/b', 'x+y', '#', ''), text(10));
const ts = fc.oneof(fc.integer(), fc.constant('x'), fc.double(), fc.constant(null));

/** Commands as Smart writes them, with and without TCT, and near misses of the shape. */
const validCommand: fc.Arbitrary<string> = fc
  .tuple(ts, fc.option(tct, { nil: undefined }), name, fc.array(json, { maxLength: 4 }))
  .map(([t, c, n, args]) => JSON.stringify({ c: c === undefined ? [t, [n, ...args]] : [t, c, [n, ...args]] }));
const otherMessages: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('c', 'd', 'e', 'x', 'i', 'q', ''), fc.array(json, { maxLength: 5 })).map(([k, v]) => JSON.stringify({ [k]: v })),
  fc.dictionary(fc.constantFrom('c', 'd', 'e', 'x'), json, { maxKeys: 3 }).map((o) => JSON.stringify(o)),
  fc.array(fc.array(json, { maxLength: 4 }), { maxLength: 4 }).map((events) => JSON.stringify({ e: [0, events] })),
);
const payload = payloads(fc.oneof({ arbitrary: validCommand, weight: 3 }, otherMessages));

const sender = fc.oneof(fc.constantFrom(S, 'BBB000000000001', '999', ''), text(16));
const pid = fc.oneof(fc.constantFrom('0', 'my_app_id', 'pump', 'other', ''), text(10));
const topic: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.tuple(pid, sender).map(([p, s]) => `${P}/${p}/</${s}`), weight: 6 },
  fc.tuple(pid, sender, text(8), text(8)).map(([p, s, a, b]) => `${P}/${p}/</${s}/${a}/${b}`),
  fc.tuple(pid).map(([p]) => `${P}/${p}/<`),
  text(40),
  fc.tuple(text(10), text(10)).map(([a, b]) => `${a}/${b}/my_app_id/</${S}`),
);

function checkParse(r: ParseResult): void {
  if (r.ok) {
    assert.ok([0, 1, 2].includes(r.code));
    assert.ok(['c', 'd', 'e', 'x', 'i'].includes(r.message.type));
    if (r.message.type === 'c') {
      assert.equal(typeof r.message.name, 'string');
      assert.ok(Array.isArray(r.message.args));
      assert.ok(r.message.tct === undefined || (typeof r.message.tct === 'string' && r.message.tct !== ''));
    }
    if (r.message.type === 'e') assert.ok(r.message.events.length > 0);
    return;
  }
  assert.ok(KNOWN_CODES.has(r.code) && r.code < 0, `code ${r.code}`);
  assert.ok(r.tct === undefined || typeof r.tct === 'string');
  assert.ok(r.reason.length > 0);
}

function checkDownlink(d: Downlink, t: string): void {
  switch (d.kind) {
    case 'ignored':
      assert.ok(d.reason.length > 0 && typeof d.bad === 'boolean');
      return;
    case 'refused':
      assert.ok(KNOWN_CODES.has(d.code) && d.code < 0);
      assert.ok(d.text === 'Error' || d.text === 'Unknown PID');
      return;
    case 'command': {
      const c = d.command;
      assert.ok(t.startsWith(`${P}/${c.pid}/</${c.sender}`));
      assert.ok(c.sender === S || CTX.trusted.includes(c.sender), 'commands only from trusted senders');
      assert.ok(c.pid !== '0' || c.sender === S, 'system commands only from the server');
      assert.ok(c.pid === '0' || CTX.pids.includes(c.pid), 'only registered PIDs reach a handler');
      assert.equal(typeof c.tct, 'string');
      assert.ok(Array.isArray(c.args));
      return;
    }
  }
}

describe(`fuzz: Trinity downlink decoder (${RUNS} runs each)`, { timeout: TIMEOUT_MS }, () => {
  it('parsePayload returns a well-formed result with a known code for any payload', () => {
    fc.assert(
      fc.property(payload, (p) => {
        checkParse(parsePayload(p));
      }),
      params(),
    );
  });

  it('decodeDownlink never throws, never answers an untrusted sender, and its answers can be encoded', () => {
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        let d: Downlink;
        try {
          d = decodeDownlink(CTX, t, p);
        } catch (err) {
          throw new Error(`decodeDownlink threw on ${short(t)} ${short(p)}: ${String(err)}`);
        }
        checkDownlink(d, t);
        const levels = t.split('/');
        const trusted = levels[4] === S || CTX.trusted.includes(levels[4] ?? '\u0000');
        if (!trusted) assert.equal(d.kind, 'ignored', `untrusted sender answered: ${short(d)}`);
        if (d.kind === 'refused' && d.tct !== undefined) {
          const r = encodeReply(CTX, d.tct, 0, d.code, d.text);
          if (r.ok) assert.deepEqual(JSON.parse(r.value.payload), { x: [0, d.code, d.text] });
        }
      }),
      params(),
    );
  });

  it('a system command with any arguments is planned without throwing, and its reply encodes', () => {
    fc.assert(
      fc.property(name, fc.array(json, { maxLength: 3 }), fc.boolean(), (n, args, flow) => {
        const plan = planSystemRpc(
          { settings: SETTINGS, hostAllowList: ['ok.example.com'], attributes: { hid: 'h' }, flowHandles: () => flow },
          n,
          args,
        );
        assert.ok(Number.isInteger(plan.code));
        assert.ok(Array.isArray(plan.effects));
        const r = encodeReply(CTX, '>t', 0, plan.code, plan.result);
        assert.ok(r.ok, r.ok ? '' : r.error);
      }),
      params(),
    );
  });
});
