/**
 * Uploading a log the way Cumulocity expects for `c8y_LogfileRequest` (device integration guide,
 * "Log file retrieval"): an event of type `c8y_LogfileRequest` on the device, the file attached
 * to it as the event's binary, and the binary's URL as the operation's result (`503`/`506`).
 * The device's managed-object id comes from the identity API (`c8y_Serial`, the type `100` uses).
 */
import { randomBytes } from 'node:crypto';
import { httpRequest, jsonBody, type HttpResponse } from '../http-client';
import { platformTls, type PlatformHttpAccess } from '../platform';

export type PlatformAccess = PlatformHttpAccess;

export interface LogFile {
  /** File name shown on the platform, e.g. `syslog-20260101T100000Z.log`. */
  name: string;
  content: Buffer;
  /** Event text. */
  text: string;
  time: Date;
}

const TIMEOUT_MS = 30_000;
const SMALL = 64 * 1024;

/** multipart/form-data with the binary's description (`object`) and the file (`file`), as the REST reference shows. */
export function multipartBody(boundary: string, name: string, content: Buffer): Buffer {
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="object"\r\nContent-Type: application/json\r\n\r\n` +
    `${JSON.stringify({ name, type: 'text/plain' })}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name.replace(/["\r\n]/g, '_')}"\r\n` +
    `Content-Type: text/plain\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), content, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')]);
}

function expect(res: HttpResponse, what: string, ...statuses: number[]): void {
  if (statuses.includes(res.status)) return;
  const body = jsonBody(res);
  const message = typeof body?.['message'] === 'string' ? `: ${body['message'].slice(0, 200)}` : '';
  throw new Error(`${what} failed: HTTP ${res.status}${message}`);
}

/** The managed-object id of the device with this external id (`GET /identity/externalIds/c8y_Serial/<id>`). */
export async function managedObjectId(p: PlatformAccess, deviceId: string): Promise<string> {
  const res = await httpRequest({
    method: 'GET',
    url: `${p.baseUrl}/identity/externalIds/c8y_Serial/${encodeURIComponent(deviceId)}`,
    headers: { Authorization: p.authorization, Accept: 'application/json' },
    timeoutMs: TIMEOUT_MS,
    tls: platformTls(p),
    maxResponseBytes: SMALL,
  });
  expect(res, 'looking up the device', 200);
  const mo = jsonBody(res)?.['managedObject'];
  const id = typeof mo === 'object' && mo !== null ? (mo as Record<string, unknown>)['id'] : undefined;
  if (typeof id !== 'string' && typeof id !== 'number') throw new Error('looking up the device failed: no managed object id in the answer');
  return String(id);
}

/** Creates the event, attaches the file and returns the binary's URL. Rejects with the step that failed. */
export async function uploadLogFile(p: PlatformAccess, moId: string, file: LogFile): Promise<string> {
  const created = await httpRequest({
    method: 'POST',
    url: `${p.baseUrl}/event/events`,
    headers: { Authorization: p.authorization, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ source: { id: moId }, type: 'c8y_LogfileRequest', time: file.time.toISOString(), text: file.text }),
    timeoutMs: TIMEOUT_MS,
    tls: platformTls(p),
    maxResponseBytes: SMALL,
  });
  expect(created, 'creating the log event', 200, 201);
  const eventId = jsonBody(created)?.['id'];
  if (typeof eventId !== 'string' && typeof eventId !== 'number')
    throw new Error('creating the log event failed: no event id in the answer');
  const boundary = `----device-agent-${randomBytes(12).toString('hex')}`;
  const uploaded = await httpRequest({
    method: 'POST',
    url: `${p.baseUrl}/event/events/${encodeURIComponent(String(eventId))}/binaries`,
    headers: { Authorization: p.authorization, Accept: 'application/json', 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: multipartBody(boundary, file.name, file.content),
    timeoutMs: TIMEOUT_MS + Math.ceil(file.content.length / 1024), // + 1 ms per KiB: slow links
    tls: platformTls(p),
    maxResponseBytes: SMALL,
  });
  expect(uploaded, 'uploading the log file', 200, 201);
  return `${p.baseUrl}/event/events/${encodeURIComponent(String(eventId))}/binaries`;
}
