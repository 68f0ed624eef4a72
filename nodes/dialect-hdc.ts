/** The registry entry of Helix Device Cloud: its settings parser and the agent, with a proxy tunnel for wss when set. */
import { HdcAgent } from '../agent/hdc-agent';
import { ok } from '../dialects/types';
import { TunnelAgent } from '../transport/http-proxy';
import { parseHdcConfig } from './connection-config-hdc';
import type { Dialect } from './dialects';

export const HDC_DIALECT: Dialect = {
  label: 'Helix Device Cloud (TR50)',
  prepare(def, creds, ctx) {
    const parsed = parseHdcConfig(def, creds, ctx);
    if (!parsed.ok) return parsed;
    const cfg = parsed.value;
    return ok({
      deviceId: cfg.thingKey,
      dataDir: cfg.dataDir,
      create: (outbox, backoff) => {
        const wsOptions = cfg.proxy ? { agent: new TunnelAgent(new URL(cfg.proxy), true) } : undefined;
        return new HdcAgent({ ...cfg, ...(backoff ? { backoff } : {}), wsOptions }, outbox);
      },
    });
  },
};
