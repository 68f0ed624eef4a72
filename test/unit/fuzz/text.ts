/**
 * Payload families for fuzzing any text decoder (issue 4 item 5): text of every Unicode kind,
 * random bytes read as UTF-8, injection-like tokens, huge (≥ 100 kB), truncated and mutated
 * versions of valid payloads.
 */
import fc from 'fast-check';

/** CSV, JSON and line-structure characters and fragments that parsers trip over. */
// prettier-ignore
export const INJECTION_TOKENS: readonly string[] = [
  '"', '""', '\\', '\\"', '\\\\"', ',', ',,', '\r', '\n', '\r\n', '\n\r', '\t', ' ', '\u0000',
  '\u007f', '\u0085', '\u2028', '\ufeff', '\ufffd', '{', '}', '[', ']', ':', '{"', '":', '"}', '{}',
  '[]', 'null', 'true', '-0', '1e400', 'NaN', '__proto__', 'constructor', 'prototype',
  '{"__proto__":{"x":1}}', '{"id":"1","deviceId":"d","c8y_Restart":{}}', '$FW', '$SW', '$CONF',
  '510', '511', '70', '%s', '${x}', '\ud800', '\udfff', '\ud83d\ude00',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

/** Short text of every family: ASCII with controls, graphemes, astral, lone surrogates, injection tokens. */
export function text(maxLength = 24): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.oneof(loneSurrogate, astral, fc.constantFrom(...INJECTION_TOKENS)), maxLength: Math.ceil(maxLength / 2) }),
    fc.string({ unit: fc.oneof({ arbitrary: fc.constantFrom(...INJECTION_TOKENS), weight: 2 }, fc.string({ maxLength: 3 })), maxLength }),
  );
}

/** Random bytes read as UTF-8, as the agent reads every payload (`payload.toString('utf8')`). */
export const bytesAsUtf8: fc.Arbitrary<string> = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8'));

/** Only injection tokens and short ASCII glued together. */
export const injection: fc.Arbitrary<string> = fc
  .array(fc.oneof({ arbitrary: fc.constantFrom(...INJECTION_TOKENS), weight: 3 }, fc.string({ maxLength: 4 })), { maxLength: 40 })
  .map((parts) => parts.join(''));

const HUGE_CHARS = 100_000;

/** `chunk` repeated to at least 100 000 characters (so ≥ 100 kB in UTF-8). */
export function repeatToHuge(chunk: string): string {
  const unit = chunk === '' ? 'x' : chunk;
  return unit.repeat(Math.ceil(HUGE_CHARS / unit.length));
}

/** Huge payloads built from `base`: repeated lines, one huge field, an unterminated quote, junk. */
export function huge(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    base.map((b) => repeatToHuge(`${b}\n`)),
    fc.tuple(base, text(8)).map(([b, t]) => `${b},${repeatToHuge(t)}`),
    fc.tuple(base, text(8)).map(([b, t]) => `${b},"${repeatToHuge(t)}`),
    fc.tuple(base, text(8)).map(([b, t]) => `${b},"${repeatToHuge(t.replace(/"/g, ''))}"`),
    injection.map(repeatToHuge),
  );
}

/** A prefix of `base` cut at any UTF-16 position (possibly inside a surrogate pair or a quote). */
export function truncated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.nat()).map(([b, n]) => b.slice(0, b.length === 0 ? 0 : n % b.length));
}

interface Mutation {
  kind: 'delete' | 'insert' | 'replace' | 'duplicate' | 'swap' | 'truncate';
  at: number;
  len: number;
  token: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'swap', 'truncate'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 8 }),
  token: fc.oneof(fc.constantFrom(...INJECTION_TOKENS), text(4)),
});

function mutate(s: string, m: Mutation): string {
  const at = m.at % (s.length + 1);
  const end = Math.min(s.length, at + m.len);
  switch (m.kind) {
    case 'delete':
      return s.slice(0, at) + s.slice(end);
    case 'insert':
      return s.slice(0, at) + m.token + s.slice(at);
    case 'replace':
      return s.slice(0, at) + m.token + s.slice(end);
    case 'duplicate':
      return s.slice(0, end) + s.slice(at, end) + s.slice(end);
    case 'swap':
      return s.slice(at) + s.slice(0, at);
    case 'truncate':
      return s.slice(0, at);
  }
}

/** `base` with one to four character-level mutations. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(mutate, b));
}

/**
 * Every payload family for a topic whose valid payloads `valid` generates. `withHuge` = false
 * drops the 100 kB family (for properties that run a slower check per input).
 */
export function payloads(valid: fc.Arbitrary<string>, withHuge = true): fc.Arbitrary<string> {
  const families: fc.WeightedArbitrary<string>[] = [
    { arbitrary: valid, weight: 4 },
    { arbitrary: truncated(valid), weight: 2 },
    { arbitrary: mutated(valid), weight: 4 },
    { arbitrary: bytesAsUtf8, weight: 1 },
    { arbitrary: text(200), weight: 1 },
    { arbitrary: injection, weight: 2 },
  ];
  if (withHuge) families.push({ arbitrary: huge(valid), weight: 1 });
  return fc.oneof(...families);
}
