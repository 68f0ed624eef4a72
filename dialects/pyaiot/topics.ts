/**
 * Pyaiot MQTT topics (pyaiot.md §3): nodes publish under `node/`, the gateway under `gateway/`.
 * Node ids and resource names are single topic levels: no `/`, `+`, `#`, no NUL, not empty.
 */

export const CHECK_TOPIC = 'node/check';
export const GATEWAY_CHECK_TOPIC = 'gateway/check';

/** Names a node may not give a resource (pyaiot.md §7 N13, §9): they collide with the gateway's own keys or topics. */
export const RESERVED_RESOURCES: readonly string[] = ['id', 'protocol', 'check', 'resources'];

/** A node id or resource name that fits one topic level (pyaiot.md §9: a `/` breaks topic splitting). */
export function isLevel(s: string): boolean {
  return s !== '' && !/[/+#]/.test(s) && !s.includes('\u0000') && Buffer.byteLength(s, 'utf8') <= 256;
}

/** Why a resource name cannot be used, or undefined when it can. */
export function checkResourceName(name: string): string | undefined {
  if (!isLevel(name)) return `resource name "${name.slice(0, 40)}" must be non-empty and without "/", "+" or "#"`;
  if (RESERVED_RESOURCES.includes(name)) return `resource name "${name}" is reserved by pyaiot (${RESERVED_RESOURCES.join(', ')})`;
  return undefined;
}

/** Why a node id cannot be used, or undefined when it can. */
export function checkNodeId(id: string): string | undefined {
  if (!isLevel(id)) return `node id "${id.slice(0, 40)}" must be non-empty and without "/", "+" or "#"`;
  return undefined;
}

export const discoverTopic = (id: string): string => `gateway/${id}/discover`;
export const setTopic = (id: string, resource: string): string => `gateway/${id}/${resource}/set`;
export const setFilter = (id: string): string => `gateway/${id}/+/set`;
export const resourcesTopic = (id: string): string => `node/${id}/resources`;
export const valueTopic = (id: string, resource: string): string => `node/${id}/${resource}`;

/** What a topic the node side receives is. */
export type NodeTopic = { kind: 'discover' } | { kind: 'set'; resource: string } | { kind: 'gateway-check' } | { kind: 'other' };

export function parseNodeTopic(id: string, topic: string): NodeTopic {
  if (topic === GATEWAY_CHECK_TOPIC) return { kind: 'gateway-check' };
  if (topic === discoverTopic(id)) return { kind: 'discover' };
  const prefix = `gateway/${id}/`;
  if (topic.startsWith(prefix) && topic.endsWith('/set')) {
    const resource = topic.slice(prefix.length, -'/set'.length);
    if (isLevel(resource)) return { kind: 'set', resource };
  }
  return { kind: 'other' };
}

/** What a topic the gateway side receives is (subscriptions `node/check`, `node/+/resources`, `node/+/+`). */
export type GatewayTopic =
  { kind: 'check' } | { kind: 'resources'; id: string } | { kind: 'value'; id: string; resource: string } | { kind: 'other' };

export function parseGatewayTopic(topic: string): GatewayTopic {
  if (topic === CHECK_TOPIC) return { kind: 'check' };
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'node') return { kind: 'other' };
  const id = parts[1] ?? '';
  const last = parts[2] ?? '';
  if (!isLevel(id) || !isLevel(last)) return { kind: 'other' };
  if (last === 'resources') return { kind: 'resources', id };
  return { kind: 'value', id, resource: last };
}
