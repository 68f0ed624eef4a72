/**
 * What an input message asks for, as modules (pure): a Cumulocity `c8y_SoftwareUpdate` (528/529)
 * or `c8y_Firmware` (515) operation in its JSON fragment shape, or a plain
 * `{name, version, url, sha256, signature, type, action}` (or a list of them).
 * The expected SHA-256 and signature may ride in the URL fragment (`#sha256=<hex>&sig=<base64url>`),
 * which is never sent to the server; a type may ride in the version as `<version>::<type>`
 * (thin-edge's convention for the legacy list).
 */
import { fail, ok, type Result } from '../../dialects/types';
import type { ModuleRequest, SoftwareAction } from './interface';
import { parseSha256 } from './verify';

export interface UpdateRequest {
  kind: 'software' | 'firmware';
  /** How to report the installed list: `advanced` when the operation carried software types. */
  listMode: 'legacy' | 'advanced';
  modules: ModuleRequest[];
}

export interface RequestDefaults {
  /** Install type of modules that name none. */
  type: string;
  /** Install type for `c8y_Firmware`; '' = firmware updates are off. */
  firmwareType: string;
  listMode: 'auto' | 'legacy' | 'advanced';
}

const MAX_MODULES = 50;
const ACTIONS: Record<string, SoftwareAction> = { install: 'install', update: 'install', delete: 'delete', remove: 'delete' };

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Moves `#sha256=…&sig=…` out of the URL. */
function splitUrl(raw: string): Result<{ url: string; sha256?: string; signature?: string }> {
  if (raw === '') return ok({ url: '' });
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return fail(`not a URL: "${raw.slice(0, 100)}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return fail(`only http(s) URLs can be downloaded, not ${u.protocol}`);
  const out: { url: string; sha256?: string; signature?: string } = { url: raw };
  if (u.hash.length > 1) {
    const frag = new URLSearchParams(u.hash.slice(1));
    const sha = frag.get('sha256');
    const sig = frag.get('sig') ?? frag.get('signature');
    if (sha !== null || sig !== null) {
      if (sha !== null) out.sha256 = sha;
      if (sig !== null) out.signature = sig;
      u.hash = '';
      out.url = u.href;
    }
  }
  return ok(out);
}

function toModule(item: unknown, index: number, d: RequestDefaults, typeKey: string): Result<ModuleRequest> {
  const where = `module ${index + 1}`;
  if (!isRecord(item)) return fail(`${where} is not an object`);
  const name = str(item['name']);
  if (name === '' || name.length > 214 || hasControl(name)) return fail(`${where}: a name is needed (printable, ≤ 214 characters)`);
  let version = str(item['version']);
  let type = str(item[typeKey]);
  const sep = version.lastIndexOf('::');
  if (sep >= 0) {
    type = type || version.slice(sep + 2);
    version = version.slice(0, sep);
  }
  type = type || d.type;
  const actionText = (str(item['action']) || 'install').toLowerCase();
  const action = ACTIONS[actionText];
  if (!action) return fail(`${name}: unknown action "${actionText}" (install or delete)`);
  if (action === 'install' && version === '') return fail(`${name}: a version is needed to install`);
  const url = splitUrl(str(item['url']));
  if (!url.ok) return fail(`${name}: ${url.error}`);
  const m: ModuleRequest = { name, version, type, action };
  if (action === 'install' && url.value.url !== '') m.url = url.value.url;
  const sha = str(item['sha256']) || url.value.sha256 || '';
  if (sha !== '') {
    const parsed = parseSha256(sha);
    if (!parsed.ok) return fail(`${name}: ${parsed.error}`);
    m.sha256 = parsed.value;
  }
  const sig = str(item['signature']) || url.value.signature || '';
  if (sig !== '') m.signature = sig;
  return ok(m);
}

function build(kind: UpdateRequest['kind'], items: readonly unknown[], d: RequestDefaults, typeKey: string): Result<UpdateRequest> {
  if (items.length === 0) return fail('nothing to install or delete');
  if (items.length > MAX_MODULES) return fail(`more than ${MAX_MODULES} modules in one update`);
  const modules: ModuleRequest[] = [];
  for (const [i, item] of items.entries()) {
    const m = toModule(item, i, d, typeKey);
    if (!m.ok) return m;
    if (modules.some((x) => x.name === m.value.name && x.type === m.value.type)) return fail(`${m.value.name} is listed twice`);
    modules.push(m.value);
  }
  const typed = items.some((i) => isRecord(i) && str(i[typeKey]) !== '');
  const listMode = d.listMode === 'auto' ? (typed ? 'advanced' : 'legacy') : d.listMode;
  return ok({ kind, listMode, modules });
}

/** An operation as the operation node delivers it (`msg.operation.fragment`, params in JSON fragment shape). */
export function requestFromOperation(fragment: string, params: unknown, d: RequestDefaults, resolvedUrl?: string): Result<UpdateRequest> {
  // Helix Device Cloud OTA (issue 9): `{package}` names a file of the cloud's store; the node
  // resolved it to its download URL first (nodes/software-update-hdc.ts).
  if (fragment === 'software_update') return hdcRequest(params, d, resolvedUrl);
  if (fragment === 'c8y_SoftwareUpdate') {
    if (!Array.isArray(params)) return fail('c8y_SoftwareUpdate without a list of modules');
    return build('software', params, d, 'softwareType');
  }
  if (fragment === 'c8y_Firmware') {
    if (d.firmwareType === '') return fail('firmware updates are not enabled on this device');
    if (!isRecord(params)) return fail('c8y_Firmware without name, version and url');
    if (str(params['dependency']) !== '') return fail('firmware patches (525) are not supported');
    const r = build('firmware', [{ ...params, action: 'install', type: d.firmwareType }], { ...d, listMode: 'legacy' }, 'type');
    return r;
  }
  return fail(`${fragment} is not a software or firmware update`);
}

/** An HDC `software_update` (helix-device-cloud.md §7): a .zip or .tar.gz package, installed under its name without the ending. */
function hdcRequest(params: unknown, d: RequestDefaults, url: string | undefined): Result<UpdateRequest> {
  if (!isRecord(params)) return fail('software_update without parameters');
  const pkg = str(params['package']);
  if (pkg === '') return fail('software_update without a package');
  const m = /^(.+?)\.(tar\.gz|tgz|zip)$/i.exec(pkg);
  if (!m?.[1]) return fail(`${pkg}: only .zip and .tar.gz packages can be installed`);
  if (!url) return fail(`${pkg}: no download URL for the package`);
  return build('software', [{ name: m[1], version: str(params['version']) || 'ota', url, action: 'install' }], d, 'type');
}

/** A plain message: `msg.payload` is one module or a list. */
export function requestFromPayload(payload: unknown, d: RequestDefaults): Result<UpdateRequest> {
  const items = Array.isArray(payload) ? payload : [payload];
  return build('software', items, d, 'type');
}
