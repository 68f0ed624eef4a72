/**
 * Downstream operations (protocol reference §6.2, §8): static `s/ds` lines and JSON from
 * `devicecontrol/notifications`, both turned into the platform's JSON fragment shape. Pure.
 */
import { fail, ok, type Inbound, type Operation, type Result } from '../types';

type Parser = (fields: readonly string[]) => Result<unknown>;
type FieldParser = (fields: readonly string[]) => Result<Record<string, string>>;

/** Reason of every static operation line that does not fit its template (§6.2 parsing rules). */
export const MALFORMED_OPERATION = 'malformed operation';

const bad = fail<never>(MALFORMED_OPERATION);

/**
 * Exactly `names.length` fields (missing trailing ones are empty, §3.1 rule 5) as an object; extra
 * non-empty fields or an empty mandatory field (name marked `!`) make the line malformed.
 */
function fixed(names: readonly string[]): FieldParser {
  return (fields) => {
    if (fields.slice(names.length).some((f) => f !== '')) return bad;
    const out: Record<string, string> = {};
    for (const [i, raw] of names.entries()) {
      const name = raw.replace('!', '');
      const value = fields[i] ?? '';
      if (raw.endsWith('!') && value === '') return bad;
      out[name] = value;
    }
    return ok(out);
  };
}

/** Fixed groups of `names.length` fields; a remainder or an empty mandatory field is malformed (§6.2). */
function groups(names: readonly string[]): Parser {
  const one = fixed(names);
  return (fields) => {
    if (fields.length % names.length !== 0) return bad;
    const list: unknown[] = [];
    for (let i = 0; i < fields.length; i += names.length) {
      const g = one(fields.slice(i, i + names.length));
      if (!g.ok) return g;
      list.push(g.value);
    }
    return ok(list);
  };
}

/** Runs a `fixed` parser, then converts the listed keys to integers (the JSON form carries numbers, §8). */
function withIntegers(parser: FieldParser, keys: readonly string[], optional: boolean): Parser {
  return (fields) => {
    const r = parser(fields);
    if (!r.ok) return r;
    const obj: Record<string, unknown> = { ...r.value };
    for (const key of keys) {
      const text = obj[key];
      if (text === '' && optional) delete obj[key];
      else if (typeof text === 'string' && /^\d+$/.test(text)) obj[key] = Number(text);
      else return bad;
    }
    return ok(obj);
  };
}

/** `$FW,…,$SW,(…)…,$CONF,(…)…` of 527 → `{firmware?, software, configuration}` (§6.2). */
const deviceProfile: Parser = (fields) => {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const f of fields) {
    if (f === '$FW' || f === '$SW' || f === '$CONF') {
      if (sections.has(f)) return bad;
      current = [];
      sections.set(f, current);
    } else if (current === undefined) return bad;
    else current.push(f);
  }
  const fw = sections.get('$FW') ?? [];
  const software = groups(['name!', 'version', 'url', 'action!'])(sections.get('$SW') ?? []);
  const configuration = groups(['url!', 'type!'])(sections.get('$CONF') ?? []);
  if (!software.ok || !configuration.ok) return bad;
  const profile: Record<string, unknown> = { software: software.value, configuration: configuration.value };
  if (fw.some((f) => f !== '')) {
    const [name = '', version = '', url = '', isPatch = '', dependency = ''] = fw;
    if (fw.length !== 5 || name === '' || !['true', 'false', ''].includes(isPatch)) return bad;
    profile['firmware'] = { name, version, url, isPatch: isPatch === 'true', dependency };
  }
  return ok(profile);
};

interface StaticOperation {
  fragment: string;
  parse: Parser;
}

const TABLE = new Map<string, StaticOperation>([
  ['510', { fragment: 'c8y_Restart', parse: fixed([]) }],
  ['511', { fragment: 'c8y_Command', parse: fixed(['text!']) }],
  ['513', { fragment: 'c8y_Configuration', parse: fixed(['config']) }],
  ['515', { fragment: 'c8y_Firmware', parse: fixed(['name!', 'version!', 'url!']) }],
  ['516', { fragment: 'c8y_SoftwareList', parse: groups(['name!', 'version', 'url']) }],
  ['517', { fragment: 'c8y_MeasurementRequestOperation', parse: fixed(['requestName!']) }],
  ['518', { fragment: 'c8y_Relay', parse: fixed(['relayState!']) }],
  ['519', { fragment: 'c8y_RelayArray', parse: (f) => (f.length > 0 && f.every((s) => s !== '') ? ok([...f]) : bad) }],
  ['520', { fragment: 'c8y_UploadConfigFile', parse: fixed([]) }],
  ['521', { fragment: 'c8y_DownloadConfigFile', parse: fixed(['url!']) }],
  [
    '522',
    {
      fragment: 'c8y_LogfileRequest',
      parse: withIntegers(fixed(['logFile!', 'dateFrom', 'dateTo', 'searchText', 'maximumLines']), ['maximumLines'], true),
    },
  ],
  ['524', { fragment: 'c8y_DownloadConfigFile', parse: fixed(['url!', 'c8y_ConfigurationType!']) }],
  ['525', { fragment: 'c8y_Firmware', parse: fixed(['name!', 'version!', 'url!', 'dependency!']) }],
  ['526', { fragment: 'c8y_UploadConfigFile', parse: fixed(['type!']) }],
  ['527', { fragment: 'c8y_DeviceProfile', parse: deviceProfile }],
  ['528', { fragment: 'c8y_SoftwareUpdate', parse: groups(['name!', 'version', 'url', 'action!']) }],
  ['529', { fragment: 'c8y_SoftwareUpdate', parse: groups(['name!', 'version', 'softwareType', 'url', 'action!']) }],
  [
    '530',
    {
      fragment: 'c8y_RemoteAccessConnect',
      parse: withIntegers(fixed(['hostname!', 'port!', 'connectionKey!']), ['port'], false),
    },
  ],
]);

/** Static operation id → fragment (§6.2). */
export const STATIC_OPERATIONS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([...TABLE].map(([id, op]) => [id, op.fragment])),
);

/** Fragment of a static operation id, undefined if the id is not an operation (§6.2). */
export function fragmentOfStaticId(id: string): string | undefined {
  return TABLE.get(id)?.fragment;
}

/**
 * Decodes one `s/ds` operation record `<id>,<deviceId>,<params…>` (§6.2): a known id becomes an
 * operation, or a bad-operation with reason "malformed operation"; anything else is ignored.
 */
export function decodeStaticOperation(fields: readonly string[]): Inbound {
  const id = fields[0] ?? '';
  const op = TABLE.get(id);
  if (op === undefined) return { kind: 'ignored', reason: `unknown static operation id ${id}` };
  const deviceId = fields[1] ?? '';
  if (deviceId === '') return { kind: 'ignored', reason: `operation ${id} (${op.fragment}) without a device id` };
  const params = op.parse(fields.slice(2));
  if (!params.ok) return { kind: 'bad-operation', fragment: op.fragment, deviceId, reason: MALFORMED_OPERATION };
  return { kind: 'operation', operation: { fragment: op.fragment, deviceId, params: params.value } };
}

/** Keys of an operation object that are metadata, not the operation's fragment (§8). */
export const OPERATION_METADATA_KEYS: ReadonlySet<string> = new Set([
  'id',
  'self',
  'status',
  'deviceId',
  'deviceName',
  'deviceExternalIDs',
  'externalSource',
  'description',
  'creationTime',
  'lastUpdated',
  'bulkOperationId',
  'failureReason',
  'delivery',
  'com_cumulocity_model_Agent',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function idText(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * Decodes one operation from `devicecontrol/notifications` (§8): fragment = first `c8y_` key, else
 * the first non-metadata key holding an object, else any non-metadata key; params = its value.
 * Operations already SUCCESSFUL or FAILED are ignored.
 */
export function decodeJsonOperation(json: unknown): Inbound {
  if (!isRecord(json)) return { kind: 'ignored', reason: 'operation is not a JSON object' };
  const id = idText(json['id']);
  if (id === undefined) return { kind: 'ignored', reason: 'operation without id' };
  const status = json['status'];
  if (status === 'SUCCESSFUL' || status === 'FAILED') {
    return { kind: 'ignored', reason: `operation ${id} is already ${status}` };
  }
  const source = json['externalSource'];
  const deviceId = (isRecord(source) ? idText(source['externalId']) : undefined) ?? idText(json['deviceId']);
  if (deviceId === undefined) return { kind: 'ignored', reason: `operation ${id} without a device id` };
  const keys = Object.keys(json).filter((k) => k !== '' && !OPERATION_METADATA_KEYS.has(k));
  const fragment = keys.find((k) => k.startsWith('c8y_')) ?? keys.find((k) => isRecord(json[k])) ?? keys[0];
  if (fragment === undefined) return { kind: 'ignored', reason: `operation ${id} without a fragment` };
  const operation: Operation = { id, fragment, deviceId, params: json[fragment] };
  const description = json['description'];
  if (typeof description === 'string') operation.description = description;
  return { kind: 'operation', operation };
}
