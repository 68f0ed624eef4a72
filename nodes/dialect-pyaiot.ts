/** The registry entry of pyaiot: its settings parser and the agent (a pyaiot MQTT node, pyaiot.md §6). */
import { PyaiotAgent } from '../agent/pyaiot-agent';
import { ok } from '../dialects/types';
import { parsePyaiotConfig } from './connection-config-pyaiot';
import type { Dialect } from './dialects';

export const PYAIOT_DIALECT: Dialect = {
  label: 'pyaiot (MQTT node)',
  prepare(def, creds, ctx) {
    const parsed = parsePyaiotConfig(def, creds, ctx);
    if (!parsed.ok) return parsed;
    const cfg = parsed.value;
    return ok({
      deviceId: cfg.nodeId,
      dataDir: cfg.dataDir,
      create: (outbox, backoff) => new PyaiotAgent({ ...cfg, ...(backoff ? { backoff } : {}) }, outbox),
    });
  },
};
