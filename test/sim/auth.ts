// CONNECT checks of §1 / §1.1 / §11: client id grammar, users, bootstrap user, certificates.
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';

export const BOOTSTRAP_USER = 'management/devicebootstrap';

/** How a session authenticated; decides what it may publish and subscribe. */
export type SessionKind = 'device' | 'bootstrap' | 'cert';

export interface ClientIdentity {
  deviceId: string;
  connType: string;
  xid?: string;
}

/** Certificate facts of a TLS connection, or undefined when the client presented none. */
export interface PeerCert {
  authorized: boolean; // chain verified against the configured CA
  cn: string | undefined;
}

export interface ConnectFacts {
  clientId: string;
  protocolVersion: number;
  clean: boolean;
  username: string | undefined;
  password: Buffer | undefined;
  cert: PeerCert | undefined;
}

export interface AuthConfig {
  tenant: string;
  bootstrapPassword: string;
  users: ReadonlyMap<string, string>; // 'device_<id>' → password
  certTrusted(cn: string): boolean;
}

export type AuthResult =
  | { ok: true; kind: SessionKind; identity: ClientIdentity; username: string | undefined }
  | { ok: false; returnCode: 2 | 4 | 5; reason: string };

const CONN_TYPES = new Set(['d']);

/** `[<connType>:]<deviceId>[:<defaultXId>]` (§1); undefined when the id must be refused with 2. */
export function parseClientId(raw: string): ClientIdentity | undefined {
  const parts = raw.split(':');
  if (parts.length === 1) return raw === '' ? undefined : { deviceId: raw, connType: 'd' };
  if (parts.length > 3) return undefined; // a ':' inside the device part
  const [connType = '', deviceId = '', xid] = parts;
  if (!CONN_TYPES.has(connType) || deviceId === '') return undefined;
  return xid === undefined ? { deviceId, connType } : { deviceId, connType, xid };
}

/** Certificate facts of the connection a client came in on (plain TCP → undefined). */
export function peerCert(conn: Duplex): PeerCert | undefined {
  if (!(conn instanceof tls.TLSSocket)) return undefined;
  const cert = conn.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const cn: unknown = cert.subject?.CN;
  const first = Array.isArray(cn) ? (cn[0] as unknown) : cn;
  return { authorized: conn.authorized, cn: typeof first === 'string' ? first : undefined };
}

function refuse(returnCode: 2 | 4 | 5, reason: string): AuthResult {
  return { ok: false, returnCode, reason };
}

/** Decide a CONNECT; the order follows which problem the platform reports first. */
export function authenticate(f: ConnectFacts, cfg: AuthConfig): AuthResult {
  const identity = parseClientId(f.clientId);
  if (!identity) return refuse(2, 'client id rejected');
  // MQTT 3.1 refuses client ids of 24+ characters with 5, not 2 (§1).
  if (f.protocolVersion === 3 && f.clientId.length >= 24) return refuse(5, 'client id too long for 3.1');
  if (!f.clean) return refuse(5, 'clean session required'); // sim convention (§11)
  if (f.username !== undefined && f.username !== '') {
    const password = f.password?.toString('utf8') ?? '';
    if (password === '') return refuse(5, 'empty password'); // 4 is never sent for it (§1.1)
    if (f.username === BOOTSTRAP_USER) {
      return password === cfg.bootstrapPassword
        ? { ok: true, kind: 'bootstrap', identity, username: f.username }
        : refuse(4, 'bad bootstrap password');
    }
    const slash = f.username.indexOf('/');
    const tenant = f.username.slice(0, slash);
    const user = f.username.slice(slash + 1);
    if (slash < 0 || tenant !== cfg.tenant || cfg.users.get(user) !== password) {
      return refuse(4, 'bad user name or password');
    }
    return { ok: true, kind: 'device', identity, username: f.username };
  }
  if (!f.cert) return refuse(5, 'neither credentials nor certificate');
  if (!f.cert.authorized) return refuse(5, 'untrusted certificate chain');
  if (f.cert.cn !== identity.deviceId) return refuse(5, 'certificate CN does not match client id');
  if (!cfg.certTrusted(f.cert.cn)) return refuse(5, 'certificate not trusted for this device');
  return { ok: true, kind: 'cert', identity, username: undefined };
}
