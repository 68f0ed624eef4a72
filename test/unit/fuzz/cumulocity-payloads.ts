/**
 * Valid and near-valid Cumulocity downstream payloads (protocol reference §3, §4.1, §6.2, §8),
 * built with the dialect's own encoder, for the fuzz tests.
 */
import fc from 'fast-check';
import { encodeRecord, encodeRecords, STATIC_OPERATIONS, stripControl } from '../../../dialects/cumulocity';
import { text } from './text';

// ---- SmartREST records -------------------------------------------------------------------------

/** Records whose first field is one of `ids` (or, now and then, any text), other fields any text. */
export function records(ids: readonly string[], maxRecords = 5): fc.Arbitrary<string[][]> {
  const id = ids.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...ids), weight: 5 }, text(6)) : text(6);
  const record = fc.tuple(id, fc.array(text(), { maxLength: 8 })).map(([first, rest]) => [first, ...rest]);
  return fc.array(record, { minLength: 1, maxLength: maxRecords });
}

/** Valid SmartREST payloads (built with the encoder) of records starting with one of `ids`. */
export function csvPayload(ids: readonly string[], maxRecords = 5): fc.Arbitrary<string> {
  return records(ids, maxRecords).map(encodeRecords);
}

// ---- operations --------------------------------------------------------------------------------

/**
 * Text that is not a 527 section marker and, when `nonEmpty`, not empty — judged after the
 * encoder strips control characters, since that is what the decoder sees.
 */
function value(nonEmpty: boolean): fc.Arbitrary<string> {
  return text(16).filter((s) => {
    const seen = stripControl(s);
    return (!nonEmpty || seen !== '') && seen !== '$FW' && seen !== '$SW' && seen !== '$CONF';
  });
}
const req = value(true);
const opt = value(false);
const digits = fc.stringMatching(/^\d{1,6}$/);

function groupsOf(...fields: fc.Arbitrary<string>[]): fc.Arbitrary<string[]> {
  return fc.array(fc.tuple(...fields), { maxLength: 3 }).map((gs) => gs.flat());
}

/** Parameter fields of a valid line per static id (§6.2); `!` fields non-empty. */
const STATIC_PARAMS: Record<string, fc.Arbitrary<string[]>> = {
  '510': fc.constant([]),
  '511': fc.tuple(req),
  '513': fc.tuple(opt),
  '515': fc.tuple(req, req, req),
  '516': groupsOf(req, opt, opt),
  '517': fc.tuple(req),
  '518': fc.tuple(req),
  '519': fc.array(req, { minLength: 1, maxLength: 5 }),
  '520': fc.constant([]),
  '521': fc.tuple(req),
  '522': fc.tuple(req, opt, opt, opt, fc.oneof(digits, fc.constant(''))),
  '524': fc.tuple(req, req),
  '525': fc.tuple(req, req, req, req),
  '526': fc.tuple(req),
  '527': fc
    .tuple(
      fc.option(fc.tuple(req, opt, opt, fc.constantFrom('true', 'false', ''), opt), { nil: undefined }),
      groupsOf(req, opt, opt, req),
      groupsOf(req, req),
    )
    .map(([fw, sw, conf]) => [...(fw ? ['$FW', ...fw] : []), '$SW', ...sw, '$CONF', ...conf]),
  '528': groupsOf(req, opt, opt, req),
  '529': groupsOf(req, opt, opt, opt, req),
  '530': fc.tuple(req, digits, req),
};

export const STATIC_IDS: readonly string[] = Object.keys(STATIC_OPERATIONS);

/** A valid static operation record: `[id, deviceId, ...params]` and the fragment it must decode to. */
export interface StaticLine {
  id: string;
  fragment: string;
  fields: string[];
}

export const validStaticLine: fc.Arbitrary<StaticLine> = fc.constantFrom(...STATIC_IDS).chain((id) =>
  fc.tuple(fc.constant(id), req, STATIC_PARAMS[id] ?? fc.constant([])).map(([i, device, ps]) => ({
    id: i,
    fragment: STATIC_OPERATIONS[i] ?? '',
    fields: [i, device, ...ps],
  })),
);

/** Field lists that look like static operations but are arbitrary: any count, markers, digits, junk. */
export const anyStaticFields: fc.Arbitrary<string[]> = fc.oneof(
  validStaticLine.map((l) => l.fields),
  fc
    .tuple(
      fc.oneof({ arbitrary: fc.constantFrom(...STATIC_IDS), weight: 4 }, text(6)),
      fc.oneof(fc.constant(''), text(10)),
      fc.array(
        fc.oneof(text(10), fc.constantFrom('$FW', '$SW', '$CONF', '', 'true', 'false'), digits, fc.stringMatching(/^\d{300,400}$/)),
        {
          maxLength: 14,
        },
      ),
    )
    .map(([id, device, rest]) => [id, device, ...rest]),
  // A valid line with fields dropped, duplicated or appended.
  fc.tuple(validStaticLine, fc.nat(), fc.nat(), fc.array(text(6), { maxLength: 3 })).map(([l, a, b, extra]) => {
    const f = l.fields;
    const cut = f.slice(0, 1 + (a % f.length));
    return b % 2 === 0 ? [...cut, ...extra] : [...f, ...f.slice(2 + (b % Math.max(1, f.length - 2))), ...extra];
  }),
);

/** An `s/ds` payload of valid operation lines (and now and then a reply line), encoded. */
export const validStaticPayload: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { arbitrary: validStaticLine.map((l) => l.fields), weight: 5 },
      records(['106', '124', '601', '603'], 1).map((r) => r[0] ?? []),
    ),
    {
      minLength: 1,
      maxLength: 5,
    },
  )
  .map(encodeRecords);

const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(text(12), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** Params in the fragment shapes of §8 plus arbitrary JSON. */
const jsonParams: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(text(8), jsonLeaf, { maxKeys: 5 }),
  fc.array(fc.dictionary(text(8), jsonLeaf, { maxKeys: 4 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const fragmentName = fc.oneof(
  fc.constantFrom(...Object.values(STATIC_OPERATIONS), 'c8y_Message', 'c8y_Custom'),
  text(10).map((s) => `c8y_${s}`),
);

/** A valid `devicecontrol/notifications` operation (§8) and the fragment it must decode to. */
export interface JsonOperation {
  json: Record<string, unknown>;
  fragment: string;
}

export const validJsonOperation: fc.Arbitrary<JsonOperation> = fc
  .record({
    id: fc.oneof(fc.stringMatching(/^\d{1,9}$/), fc.nat(), req),
    status: fc.constantFrom('PENDING', 'EXECUTING', undefined),
    device: fc.oneof(
      req.map((d) => ({ deviceId: d })),
      req.map((d) => ({ externalSource: { externalId: d, type: 'c8y_Serial' } })),
    ),
    fragment: fragmentName,
    params: jsonParams,
    description: fc.option(text(20), { nil: undefined }),
    extra: fc.dictionary(
      fc.constantFrom('self', 'creationTime', 'deviceName', 'delivery', 'com_cumulocity_model_Agent', 'bulkOperationId'),
      jsonLeaf,
      { maxKeys: 3 },
    ),
  })
  .map((r) => {
    const json: Record<string, unknown> = { ...r.extra, id: r.id, ...r.device, [r.fragment]: r.params };
    if (r.status !== undefined) json['status'] = r.status;
    if (r.description !== undefined) json['description'] = r.description;
    return { json, fragment: r.fragment };
  });

/** A valid operation with keys removed, values replaced by any JSON, or keys added. */
export const mutatedJsonOperation: fc.Arbitrary<unknown> = fc
  .tuple(
    validJsonOperation,
    fc.array(fc.tuple(fc.constantFrom('delete', 'set', 'add'), fc.nat(), text(8), fc.jsonValue({ maxDepth: 2 })), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([op, edits]) => {
    const json: Record<string, unknown> = { ...op.json };
    for (const [kind, n, key, v] of edits) {
      const keys = Object.keys(json);
      const target = keys.length === 0 ? key : (keys[n % keys.length] ?? key);
      if (kind === 'delete') delete json[target];
      else if (kind === 'set') json[target] = v;
      else json[key] = v;
    }
    return json;
  });

/** A `devicecontrol/notifications` payload: one operation or an array of them (valid ones). */
export const validJsonPayload: fc.Arbitrary<string> = fc.oneof(
  validJsonOperation.map((o) => JSON.stringify(o.json)),
  fc.array(validJsonOperation, { maxLength: 4 }).map((os) => JSON.stringify(os.map((o) => o.json))),
);

/** An operation whose params nest `depth` arrays or objects deep: 2 bytes per level on the wire. */
export function deepJsonOperation(fragment: string, depth: number, objects: boolean): string {
  const open = objects ? '{"a":' : '[';
  const close = objects ? '}' : ']';
  const inner = objects ? '{}' : '[]';
  return `{"id":"${depth}","deviceId":"rpi-fuzz","${fragment}":${open.repeat(depth)}${inner}${close.repeat(depth)}}`;
}

/** Deeply nested operations (JSON.parse copes with any depth, JSON.stringify not beyond a few thousand). */
export const deepJsonPayload: fc.Arbitrary<string> = fc
  .tuple(fragmentName, fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([f, d, o]) => deepJsonOperation(f, d, o));

/** One encoded `70` line (bootstrap credentials) with a recognisable secret password. */
export const credentialsLine: fc.Arbitrary<{ line: string; password: string }> = fc
  .tuple(req, req, fc.stringMatching(/^[A-Za-z0-9]{12,20}$/), fc.constantFrom('', ',', '"', ' ', '\\"'))
  .map(([tenant, user, secret, decoration]) => {
    const password = `Pw-${secret}${decoration}`;
    return { line: encodeRecord(['70', tenant, user, password]), password };
  });
