/**
 * Loaded by the settings.js of the bench's Node-RED child (see red.ts), inside the Node-RED
 * process. Bench only: nothing in the package loads it.
 */
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
}

export function install(o: ProbeOptions): void {
  if (o.unbatched) BATCH_RULE.maxPayloadBytes = 0;
  process.on('message', (m: unknown) => {
    if (!isRecord(m) || m['cmd'] !== 'mem') return;
    collect();
    const u = process.memoryUsage();
    // Modules loaded so far: what a flow made Node-RED load on top of the palette.
    const modules = Object.keys(require.cache);
    process.send?.({ kind: 'mem', rss: u.rss, heapUsed: u.heapUsed, external: u.external, modules });
  });
}
