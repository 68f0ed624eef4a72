/**
 * Trinity Smart-MQTT topic scheme (trinity.md §4): `{CID}/{HID}/{PID}/>` up, `{CID}/{HID}/{PID}/</{SENDER}…`
 * down, replies on `{CID}/{HID}/0/>/{TCT}`.
 */

/** HID of the Smart server itself, trusted by every device (trinity.md §1: the code's 15 zeros, not the README's 8). */
export const TRUSTED_SERVER = '000000000000000';

/** PID of the agent itself: system RPCs, health data, replies. */
export const SYSTEM_PID = '0';

export interface TrinityIds {
  cid: string;
  hid: string;
}

/** MQTT user name: CID immediately followed by HID (trinity.md §2). */
export function trinityUsername(ids: TrinityIds): string {
  return `${ids.cid}${ids.hid}`;
}

/** The one subscription: every downlink to any PID of this device. */
export function downlinkFilter(ids: TrinityIds): string {
  return `${ids.cid}/${ids.hid}/+/</#`;
}

/** Data and events of one PID. */
export function uplinkTopic(ids: TrinityIds, pid: string): string {
  return `${ids.cid}/${ids.hid}/${pid}/>`;
}

/** Reply to a command that carried a TCT; always on PID 0, as 0.10.1 does (trinity.md §6 step 4). */
export function replyTopic(ids: TrinityIds, tct: string): string {
  return `${ids.cid}/${ids.hid}/${SYSTEM_PID}/>/${tct}`;
}

/** A downlink topic split into its levels (trinity.md §4: [2] PID, [4] sender HID, [5] sender PID, [6] ticket). */
export interface DownlinkTopic {
  pid: string;
  sender: string;
  senderPid?: string | undefined;
  ticket?: string | undefined;
}

/** The levels of a downlink topic of this device, or undefined when the topic is not one. */
export function parseDownlinkTopic(ids: TrinityIds, topic: string): DownlinkTopic | undefined {
  const levels = topic.split('/');
  if (levels.length < 4 || levels[0] !== ids.cid || levels[1] !== ids.hid || levels[3] !== '<') return undefined;
  const pid = levels[2] ?? '';
  if (pid === '') return undefined;
  return { pid, sender: levels[4] ?? '', senderPid: levels[5], ticket: levels[6] };
}

/** A PID or TCT that can go into a topic we publish: no wildcards, no NUL, not empty. */
export function isTopicLevel(s: string, allowSlash = false): boolean {
  return s !== '' && !/[+#]/.test(s) && !s.includes('\u0000') && (allowSlash || !s.includes('/')) && Buffer.byteLength(s, 'utf8') <= 1024;
}
