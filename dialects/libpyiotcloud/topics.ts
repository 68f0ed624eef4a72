/**
 * libpyiotcloud topics (libpyiotcloud.md §2): requests on `<deviceid>/<api>`, the reply on the
 * same topic with `server/` in front.
 */

/** The one subscription: every request to this device. */
export function requestFilter(deviceId: string): string {
  return `${deviceId}/#`;
}

/** Where the answer to `<deviceid>/<api>` goes. */
export function replyTopic(deviceId: string, api: string): string {
  return `server/${deviceId}/${api}`;
}

/** The API name of a request topic (everything after `<deviceid>/`), or undefined when it is not one. */
export function apiOf(deviceId: string, topic: string): string | undefined {
  const prefix = `${deviceId}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const api = topic.slice(prefix.length);
  return api === '' ? undefined : api;
}

/** A device id the topics can carry: not empty, no `/`, `+`, `#` (libpyiotcloud.md §1: otherwise opaque). */
export function isDeviceId(s: string): boolean {
  return s !== '' && !/[/+#]/.test(s) && !s.includes('\u0000') && Buffer.byteLength(s, 'utf8') <= 1024;
}
