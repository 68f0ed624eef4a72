// Operation → downstream wire forms: static `s/ds` lines (inverse of §6.2) and the JSON of §8.
// Params use the platform's fragment shapes, e.g. c8y_Command {text}, c8y_Configuration {config},
// c8y_Firmware {name,version,url[,dependency]}, c8y_SoftwareList [{name,version,url}],
// c8y_SoftwareUpdate [{name,version,url,action[,softwareType]}], c8y_LogfileRequest
// {logFile,dateFrom,dateTo,searchText,maximumLines}, c8y_RemoteAccessConnect
// {hostname,port,connectionKey}, c8y_Relay {relayState}, c8y_DownloadConfigFile {url[,type]}.
import type { SimDevice, SimOperation } from './model';

type Fields = string[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function field(params: unknown, key: string): string {
  return isRecord(params) ? text(params[key]) : '';
}

function items(params: unknown): Array<Record<string, unknown>> {
  return Array.isArray(params) ? params.filter(isRecord) : [];
}

/** Fields of a list in fixed groups, e.g. (name, version, url) per software item. */
function flatten(list: Array<Record<string, unknown>>, keys: readonly string[]): Fields {
  return list.flatMap((item) => keys.map((k) => text(item[k])));
}

/** A command or config may also be given as a bare string. */
function textOr(params: unknown, key: string): string {
  return typeof params === 'string' ? params : field(params, key);
}

type Encoder = (params: unknown) => Fields;

const ENCODERS = new Map<string, Encoder>([
  ['c8y_Restart', () => ['510']],
  ['c8y_Command', (p) => ['511', textOr(p, 'text')]],
  ['c8y_Configuration', (p) => ['513', textOr(p, 'config')]],
  [
    'c8y_Firmware',
    (p) => {
      const base = [field(p, 'name'), field(p, 'version'), field(p, 'url')];
      const dep = field(p, 'dependency');
      return dep === '' ? ['515', ...base] : ['525', ...base, dep];
    },
  ],
  ['c8y_SoftwareList', (p) => ['516', ...flatten(items(p), ['name', 'version', 'url'])]],
  [
    'c8y_SoftwareUpdate',
    (p) => {
      const list = items(p);
      return list.some((i) => i.softwareType !== undefined)
        ? ['529', ...flatten(list, ['name', 'version', 'softwareType', 'url', 'action'])]
        : ['528', ...flatten(list, ['name', 'version', 'url', 'action'])];
    },
  ],
  ['c8y_MeasurementRequestOperation', (p) => ['517', field(p, 'requestName')]],
  ['c8y_Relay', (p) => ['518', field(p, 'relayState')]],
  ['c8y_RelayArray', (p) => ['519', ...(Array.isArray(p) ? p.map(text) : [])]],
  ['c8y_UploadConfigFile', (p) => (field(p, 'type') === '' ? ['520'] : ['526', field(p, 'type')])],
  ['c8y_DownloadConfigFile', (p) => (field(p, 'type') === '' ? ['521', field(p, 'url')] : ['524', field(p, 'url'), field(p, 'type')])],
  ['c8y_LogfileRequest', (p) => ['522', ...['logFile', 'dateFrom', 'dateTo', 'searchText', 'maximumLines'].map((k) => field(p, k))]],
  [
    'c8y_DeviceProfile',
    (p) => {
      const fw = isRecord(p) ? p.firmware : undefined;
      const fwFields = ['name', 'version', 'url', 'isPatch', 'patchDependency'].map((k) => field(fw, k));
      const sw = flatten(items(isRecord(p) ? p.software : undefined), ['name', 'version', 'url', 'action']);
      const conf = flatten(items(isRecord(p) ? p.configuration : undefined), ['url', 'type']);
      return ['527', '$FW', ...fwFields, '$SW', ...sw, '$CONF', ...conf];
    },
  ],
  ['c8y_RemoteAccessConnect', (p) => ['530', field(p, 'hostname'), field(p, 'port'), field(p, 'connectionKey')]],
]);

/** `<id>,<target external id>,<params…>` for `s/ds`, or undefined when no static template exists. */
export function staticLine(op: SimOperation): Fields | undefined {
  const encode = ENCODERS.get(op.fragment);
  if (!encode) return undefined;
  const [id, ...rest] = encode(op.params);
  return id === undefined ? undefined : [id, op.deviceId, ...rest];
}

/** The `devicecontrol/notifications` JSON of §8 for one operation. */
export function jsonNotification(op: SimOperation, target: SimDevice | undefined): string {
  return JSON.stringify({
    id: op.id,
    status: op.status,
    deviceId: target?.id ?? '',
    externalSource: { externalId: op.deviceId, type: 'c8y_Serial' },
    description: op.description,
    [op.fragment]: op.params,
  });
}
