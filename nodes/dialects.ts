/**
 * The platform dialects a connection node can speak. Each entry validates the node's settings
 * (pure) and makes the agent for them; the connection node does the rest (status, outbox,
 * lifecycle) the same way for every platform. To add a platform: a pure module in
 * dialects/<platform>/, an agent implementing agent/platform.ts, and an entry here.
 */
import { CumulocityAgent } from '../agent/cumulocity-agent';
import type { PlatformAgent } from '../agent/platform';
import { ok, type Result } from '../dialects/types';
import type { BackoffOptions } from '../transport/backoff';
import type { Outbox } from '../transport/outbox';
import { parseConnectionConfig, type ConfigContext, type ConnectionCredentials, type ConnectionDef } from './connection-config';
import { HDC_DIALECT } from './dialect-hdc';
import { LIBPYIOTCLOUD_DIALECT } from './dialect-libpyiotcloud';
import { PYAIOT_DIALECT } from './dialect-pyaiot';
import { TRINITY_DIALECT } from './dialect-trinity';

/** A validated connection: the device it speaks for and how to make its agent. */
export interface PreparedConnection {
  deviceId: string;
  /** Host part of the store location of this connection's durable state. */
  dataDir: string;
  create(outbox: Outbox, backoff: BackoffOptions | undefined): PlatformAgent;
}

export interface Dialect {
  /** Shown in the editor's platform choice. */
  label: string;
  /** Settings and credentials as the node has them; each dialect reads the fields it knows. */
  prepare(def: ConnectionDef, creds: ConnectionCredentials, ctx: ConfigContext): Result<PreparedConnection>;
}

export const DIALECTS: Readonly<Record<string, Dialect>> = {
  cumulocity: {
    label: 'Cumulocity (SmartREST 2.0)',
    prepare(def, creds, ctx) {
      const parsed = parseConnectionConfig(def, creds, ctx);
      if (!parsed.ok) return parsed;
      const cfg = parsed.value;
      return ok({
        deviceId: cfg.deviceId,
        dataDir: cfg.dataDir,
        create: (outbox, backoff) => new CumulocityAgent(backoff ? { ...cfg, backoff } : cfg, outbox),
      });
    },
  },
  trinity: TRINITY_DIALECT,
  libpyiotcloud: LIBPYIOTCLOUD_DIALECT,
  pyaiot: PYAIOT_DIALECT,
  hdc: HDC_DIALECT,
};

/** The dialect a node names ("" = cumulocity, the first one). */
export function dialectOf(name: unknown): Dialect | undefined {
  const key = typeof name === 'string' && name.trim() !== '' ? name.trim() : 'cumulocity';
  return Object.hasOwn(DIALECTS, key) ? DIALECTS[key] : undefined;
}
