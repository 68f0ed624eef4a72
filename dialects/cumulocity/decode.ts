/** Downstream dispatch: topic first, then message id (protocol reference §2, §3, §12 item 4). Pure. */
import type { Inbound } from '../types';
import { decodeRecords, type DecodedRecord } from './csv';
import { decodeJsonOperation, decodeStaticOperation, fragmentOfStaticId } from './operations';
import { BOOTSTRAP_DOWN, DOWN_CUSTOM_PREFIX, DOWN_JSON, DOWN_STATIC, ERRORS, TEMPLATE_DOWN, TOKEN_DOWN } from './topics';

/** Reply ids that arrive on `s/ds` without a device id field (§6.2). */
export const STATIC_REPLY_IDS: ReadonlySet<string> = new Set(['106', '124', '601', '603']);

const ignored = (reason: string): Inbound => ({ kind: 'ignored', reason });

/** Decodes CSV records and maps each; a malformed payload yields one 'ignored' and nothing else (§3.1 rule 4). */
function eachRecord(topic: string, payload: string, map: (rec: DecodedRecord) => Inbound): Inbound[] {
  const records = decodeRecords(payload);
  // The payload itself is not echoed: on s/dcr it carries a password.
  if (!records.ok) return [ignored(`${records.error} on ${topic}`)];
  return records.value.map(map);
}

function reply(rec: DecodedRecord): Inbound {
  const [template = '', ...fields] = rec.fields;
  return { kind: 'reply', template, fields };
}

/** `s/ds` record: operation 510–530, reply 106/124/601/603, else ignored (§6.2). */
function staticLine(rec: DecodedRecord): Inbound {
  const id = rec.fields[0] ?? '';
  if (fragmentOfStaticId(id) !== undefined) return decodeStaticOperation(rec.fields);
  if (STATIC_REPLY_IDS.has(id)) return reply(rec);
  return ignored(`unknown message id "${id}" on ${DOWN_STATIC}`);
}

/** `s/dcr` record `70,<tenant>,<user>,<password>`; an unquoted password with commas is rejoined (§3.1 rule 10, §4.1). */
function credentialsLine(rec: DecodedRecord): Inbound {
  const [id, tenant = '', user = '', ...rest] = rec.fields;
  if (id !== '70') return ignored(`unknown message id "${id ?? ''}" on ${BOOTSTRAP_DOWN}`);
  const password = rest.length > 1 && rec.quoted[3] !== true ? rest.join(',') : (rest[0] ?? '');
  if (tenant === '' || user === '' || password === '') return ignored(`incomplete 70 line on ${BOOTSTRAP_DOWN}`);
  return { kind: 'credentials', tenant, username: user, password };
}

/** `s/e` lines: code, template, then everything after the 2nd comma verbatim, per line (§3.1 rule 11). */
function errorLines(payload: string): Inbound[] {
  const out: Inbound[] = [];
  for (const raw of payload.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const first = line.indexOf(',');
    const second = first < 0 ? -1 : line.indexOf(',', first + 1);
    const code = first < 0 ? line : line.slice(0, first);
    const template = first < 0 ? '' : line.slice(first + 1, second < 0 ? undefined : second);
    const text = second < 0 ? '' : line.slice(second + 1);
    out.push({ kind: 'platform-error', code, template, text });
  }
  return out;
}

/** `devicecontrol/notifications`: one JSON operation (or an array of them) (§8). */
function jsonOperations(payload: string): Inbound[] {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return [ignored(`payload on ${DOWN_JSON} is not JSON`)];
  }
  return Array.isArray(json) ? json.map(decodeJsonOperation) : [decodeJsonOperation(json)];
}

function dispatch(topic: string, payload: string): Inbound[] {
  switch (topic) {
    case DOWN_STATIC:
      return eachRecord(topic, payload, staticLine);
    case BOOTSTRAP_DOWN:
      return eachRecord(topic, payload, credentialsLine);
    case ERRORS:
      return errorLines(payload);
    case DOWN_JSON:
      return jsonOperations(payload);
    case TOKEN_DOWN:
    case TEMPLATE_DOWN:
      return eachRecord(topic, payload, reply);
  }
  const xid = topic.startsWith(DOWN_CUSTOM_PREFIX) ? topic.slice(DOWN_CUSTOM_PREFIX.length) : '';
  if (xid !== '' && !xid.includes('/')) return eachRecord(topic, payload, reply);
  return [ignored(`unhandled topic ${topic}`)];
}

/**
 * Decodes one downstream publish, dispatching on the topic first, then on the message id (§12 item 4).
 * Never throws: anything it cannot use comes back as kind 'ignored' with a reason.
 */
export function decodeDownstream(topic: string, payload: string): Inbound[] {
  if (typeof topic !== 'string' || typeof payload !== 'string') return [ignored('topic and payload must be strings')];
  try {
    return dispatch(topic, payload);
  } catch (err) {
    return [ignored(`decoder failure on ${topic}: ${err instanceof Error ? err.message : String(err)}`)];
  }
}
