/**
 * Reading the connection node's settings, shared by the dialects' settings parsers (pure). The
 * same rules as the Cumulocity parser: `${NAME}` left unresolved by Node-RED counts as empty.
 */
import { fail, ok, type Result } from '../dialects/types';
import type { TlsSettings } from '../transport/session';
import type { ConfigContext } from './connection-config';

/** A setting as text; an unresolved whole-value `${NAME}` is empty, so the default applies. */
export function str(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  return /^\$\{\w+\}$/.test(s) ? '' : s;
}

/** A checkbox; anything but true/false keeps the default (a typo cannot turn a check off). */
export function bool(v: unknown, dflt: boolean): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return dflt;
}

export function int(v: unknown, dflt: number, min: number, max: number, what: string): Result<number> {
  const s = str(v);
  if (s === '') return ok(dflt);
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) return fail(`${what} must be a whole number from ${min} to ${max}, not "${s}"`);
  return ok(n);
}

/** A comma or space separated list. */
export function list(v: unknown): string[] {
  return str(v)
    .split(/[\s,]+/)
    .filter((x) => x !== '');
}

/** Pin numbers from "0-27" or "4, 17, 22-27". */
export function pinList(v: unknown, dflt: readonly number[]): Result<number[]> {
  const s = str(v);
  if (s === '') return ok([...dflt]);
  const out = new Set<number>();
  for (const part of s.split(/[\s,]+/).filter((x) => x !== '')) {
    const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(part);
    const a = Number(m?.[1]);
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!m || a > b || b > 511) return fail(`GPIO pins must be numbers or ranges like 0-27, not "${part}"`);
    for (let i = a; i <= b; i += 1) out.add(i);
  }
  return ok([...out].sort((x, y) => x - y));
}

/** A secret from the node's credentials, or from the environment variable it names. */
export function secretFrom(fromEnv: boolean, cred: unknown, envName: unknown, dfltEnv: string, ctx: ConfigContext): string {
  if (fromEnv) return ctx.env[str(envName) || dfltEnv] ?? '';
  return typeof cred === 'string' ? cred : '';
}

/** TLS settings from the CA, certificate and key files named in the settings. */
export function readTls(
  def: { caFile?: unknown; certFile?: unknown; keyFile?: unknown; verifyServer?: unknown },
  ctx: ConfigContext,
): Result<TlsSettings> {
  const tls: TlsSettings = { verifyServer: bool(def.verifyServer, true) };
  for (const [field, file] of [
    ['ca', def.caFile],
    ['cert', def.certFile],
    ['key', def.keyFile],
  ] as const) {
    const f = str(file);
    if (!f) continue;
    const pem = ctx.readFile(f);
    if (!pem.ok) return fail(`cannot read the ${field} file ${f}: ${pem.error}`);
    tls[field] = pem.value;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined))
    return fail('a client certificate needs both the certificate file and the key file');
  return ok(tls);
}

/** A host name or address, without scheme or path. */
export function checkHost(host: string): string | undefined {
  if (!host) return 'host is not set';
  if (/[\s/]/.test(host)) return `host "${host}" must be a host name or address, without scheme or path`;
  return undefined;
}

/**
 * Scheme, host and port of a broker setting: `mqtt://host[:port]` or `mqtts://host[:port]` (no path,
 * no user in the URL), or a bare host name meaning `bare` on its default port. `what` names the
 * setting in the reasons (e.g. "pyaiot broker URL").
 */
export function brokerEndpoint(raw: string, what: string, bare: 'mqtt' | 'mqtts'): Result<{ url: string; host: string; tls: boolean }> {
  if (/^[a-z]+:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return fail(`"${raw}" is not a URL`);
    }
    const scheme = u.protocol.replace(/:$/, '');
    if (scheme !== 'mqtt' && scheme !== 'mqtts') return fail(`${what} must be mqtt:// or mqtts://, not ${scheme}://`);
    if (u.pathname !== '' && u.pathname !== '/') return fail(`${what} has no path`);
    if (u.username || u.password) return fail('put user and password into the credentials, not the URL');
    const port = u.port || (scheme === 'mqtt' ? '1883' : '8883');
    return ok({ url: `${scheme}://${u.hostname}:${port}`, host: u.hostname.replace(/^\[|\]$/g, ''), tls: scheme === 'mqtts' });
  }
  const bad = checkHost(raw);
  if (bad) return fail(bad);
  return ok({ url: `${bare}://${raw}:${bare === 'mqtt' ? 1883 : 8883}`, host: raw, tls: bare === 'mqtts' });
}
