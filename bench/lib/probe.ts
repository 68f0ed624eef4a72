/**
 * Loaded by the settings.js of the bench's Node-RED child (see red.ts), inside the Node-RED
 * process. Bench only: nothing in the package loads it.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { BATCH_RULE } from '../../dialects/cumulocity/encode';
import { collect, isRecord } from './util';

export interface ProbeOptions {
  /**
   * One record per publish. The package has no switch to turn batching off (records of one topic
   * queued together always travel joined), so the bench lowers the batch budget of the dialect's
   * rule object — the one the courier reads on every publish — to 0 bytes: the courier then
   * takes exactly one record per publish. The module is the same instance the nodes use, since
   * Node-RED loads the package through its real path.
   */
  unbatched: boolean;
  /**
   * TCP_NODELAY on every client socket the process opens (the agent's MQTT connection): what a
   * one-line change in transport/session.ts would do. Used only by the bench's "what if" figure.
   */
  noDelay: boolean;
  /**
   * No mqtt-packet number cache: the first packet mqtt.js writes in a process otherwise builds a
   * cache of 65 536 two-byte Buffers (about 6 MB of heap). What mqtt.js's `writeCache: false`
   * client option does (a one-line change in transport/session.ts); used only by the bench's
   * "what if" figure.
   */
  noNumberCache: boolean;
}

/** mqtt-packet as mqtt.js loads it (a dependency of mqtt, not of this package). */
function mqttPacketWriter(): { cacheNumbers: boolean } {
  const file = require.resolve('mqtt-packet', { paths: [path.dirname(require.resolve('mqtt/package.json'))] });
  const mod = require(file) as { writeToStream: { cacheNumbers: boolean } };
  return mod.writeToStream;
}

export function install(o: ProbeOptions): void {
  if (o.unbatched) BATCH_RULE.maxPayloadBytes = 0;
  if (o.noNumberCache) mqttPacketWriter().cacheNumbers = false;
  if (o.noDelay) {
    diagnostics.subscribe('net.client.socket', (message: unknown) => {
      (message as { socket?: Socket }).socket?.setNoDelay(true); // the channel's documented message shape
    });
  }
  process.on('message', (m: unknown) => {
    if (!isRecord(m) || m['cmd'] !== 'mem') return;
    collect();
    const u = process.memoryUsage();
    // Modules loaded so far: what a flow made Node-RED load on top of the palette.
    const modules = Object.keys(require.cache);
    process.send?.({ kind: 'mem', rss: u.rss, heapUsed: u.heapUsed, external: u.external, modules });
  });
}
