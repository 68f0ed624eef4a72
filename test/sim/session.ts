// Per-connection state of the simulator and the topic rules of §2 / §4.1 for each session kind.
import type { Client } from 'aedes';
import type { SessionKind } from './auth';

export interface Session {
  readonly client: Client;
  readonly rawClientId: string;
  readonly deviceId: string;
  readonly kind: SessionKind;
  readonly username: string | undefined;
  readonly subscriptions: Set<string>;
}

/** Upstream SmartREST topics processed as lines: s/us and s/us/<child> (t, q, c modes alike). */
const UPSTREAM = /^[stqc]\/us(?:\/([^/]+))?$/;

/** The child id addressed by an upstream topic: undefined for the root, null if not upstream. */
export function upstreamChild(topic: string): string | undefined | null {
  const m = UPSTREAM.exec(topic);
  if (!m) return null;
  return m[1];
}

/** Downstream topics a device may subscribe; wildcards and anything else are refused (0x80). */
const DEVICE_SUBSCRIBE = /^(?:s\/(?:ds|e|dt|dat|dc\/[^/+#]+)|devicecontrol\/notifications)$/;

export function maySubscribe(kind: SessionKind, topic: string): boolean {
  if (kind === 'bootstrap') return topic === 's/dcr';
  return DEVICE_SUBSCRIBE.test(topic);
}

/** The bootstrap user may only poll (§4.1); its other publishes close the connection. */
export function mayPublish(kind: SessionKind, topic: string): boolean {
  return kind === 'bootstrap' ? topic === 's/ucr' : true;
}

/** Whole MQTT packet size from the remaining length: fixed header byte + varint + rest (§3.4). */
export function packetSize(remainingLength: number): number {
  let varint = 1;
  for (let n = remainingLength; n > 127; n = Math.floor(n / 128)) varint++;
  return 1 + varint + remainingLength;
}

export const MAX_PACKET_BYTES = 16184;
