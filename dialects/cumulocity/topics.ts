/** Cumulocity MQTT topic map, usernames and the default will (protocol reference §1, §2). Pure. */
import { fail, ok, type Result } from '../types';

/** Static templates up, root device (§2). */
export const UP = 's/us';
/** Static downstream lines: operations and replies for the whole hierarchy (§2). */
export const DOWN_STATIC = 's/ds';
/** Operations as JSON with ids (§2, §8). */
export const DOWN_JSON = 'devicecontrol/notifications';
/** Error/debug lines caused by our publishes (§2, §10). */
export const ERRORS = 's/e';
/** Bootstrap credential polling, up (§4.1). */
export const BOOTSTRAP_UP = 's/ucr';
/** Bootstrap credential answers, down (§4.1). */
export const BOOTSTRAP_DOWN = 's/dcr';
/** Username of the bootstrap connection (§4.1). */
export const BOOTSTRAP_USER = 'management/devicebootstrap';
/** JWT request, cert sessions only (§4.2). */
export const TOKEN_UP = 's/uat';
/** JWT answer `71,<jwt>` (§4.2). */
export const TOKEN_DOWN = 's/dat';
/** Prefix of custom-collection downstream topics `s/dc/<xid>` (§2, §7). */
export const DOWN_CUSTOM_PREFIX = 's/dc/';
/** Template-existence answers `20`/`41` (§2, §7). */
export const TEMPLATE_DOWN = 's/dt';

/** Upstream static topic for the root device or a child (§2). */
export function upTopic(child?: string): string {
  return child === undefined ? UP : `${UP}/${child}`;
}

/**
 * Topic filters to subscribe per session, in order (§2 [rule], §5): `s/e`, then `s/ds` (static)
 * or `devicecontrol/notifications` (id) — never both — then `s/dc/<xid>` per collection, then
 * `s/dat` in cert mode.
 */
export function sessionSubscriptions(mode: 'id' | 'static', certAuth: boolean, collections: readonly string[] = []): string[] {
  const topics = [ERRORS, mode === 'static' ? DOWN_STATIC : DOWN_JSON];
  for (const xid of collections) topics.push(`${DOWN_CUSTOM_PREFIX}${xid}`);
  if (certAuth) topics.push(TOKEN_DOWN);
  return topics;
}

/** MQTT username `<tenantId>/<user>` (§1). */
export function username(tenant: string, user: string): string {
  return `${tenant}/${user}`;
}

/** Default last will: connection-lost event on `s/us` (§1 table, [rule]). */
export function defaultWill(): { topic: string; payload: string } {
  return { topic: UP, payload: '400,c8y_ConnectionEvent,"Device connection was lost."' };
}

/**
 * Checks a device (or child) external id used as client id or topic level (§1 client id): non-empty,
 * no `:` (client-id separator), no `/`, `+`, `#` (topic levels and wildcards).
 */
export function validateDeviceId(id: string): Result<string> {
  if (typeof id !== 'string' || id === '') return fail('device id must not be empty');
  const bad = /[:/+#]/.exec(id);
  if (bad) return fail(`device id must not contain "${bad[0]}"`);
  return ok(id);
}
