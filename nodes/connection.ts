import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { AgentStatus } from '../agent/platform';
import { fail, ok, type Result } from '../dialects/types';
import { defaultDeviceId, readHostIdentity } from '../devices/host/identity';
import type { BackoffOptions } from '../transport/backoff';
import { DEFAULT_DURABLE_OPTIONS, DurableOutbox } from '../transport/durable-outbox';
import { MemoryOutbox, type Outbox } from '../transport/outbox';
import { safeName } from '../agent/state-store';
import { statusFor, type ConnectionNode } from './common';
import type { ConnectionCredentials, ConnectionDef } from './connection-config';
import { registerConnectionTestEndpoint } from './connection-test-endpoint';
import { dialectOf, type PreparedConnection } from './dialects';

type Def = NodeDef & ConnectionDef;
type Self = ConnectionNode & Node<ConnectionCredentials>;

const VERSION = ((): string => {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** Outbox settings (`deviceAgentOutbox` in settings.js). */
interface OutboxSettings {
  /** Keep the outbox in memory only (nothing survives a restart). Default false. */
  memory?: boolean;
  maxBytes?: number;
  segmentBytes?: number;
  fsync?: 'always' | 'interval';
  syncIntervalMs?: number;
}

/**
 * Open outboxes by store location. They outlive the node object so that a redeploy neither
 * loses nor reopens anything; a removed connection node takes its outbox (and its files) with it.
 */
const outboxes = new Map<string, Outbox>();

function outboxFor(key: string, make: () => Outbox): Outbox {
  let o = outboxes.get(key);
  if (!o) {
    o = make();
    outboxes.set(key, o);
  }
  return o;
}

function makeOutbox(dir: string, s: OutboxSettings): Outbox {
  if (s.memory) return new MemoryOutbox({ maxBytes: s.maxBytes ?? DEFAULT_DURABLE_OPTIONS.maxBytes });
  return new DurableOutbox(dir, {
    maxBytes: s.maxBytes ?? DEFAULT_DURABLE_OPTIONS.maxBytes,
    segmentBytes: s.segmentBytes ?? DEFAULT_DURABLE_OPTIONS.segmentBytes,
    fsync: s.fsync === 'always' ? 'always' : 'interval',
    syncIntervalMs: s.syncIntervalMs ?? DEFAULT_DURABLE_OPTIONS.syncIntervalMs,
  });
}

interface Settings {
  userDir?: string;
  deviceAgentDataDir?: string;
  deviceAgentHostRoot?: string;
  deviceAgentBackoff?: BackoffOptions;
  deviceAgentOutbox?: OutboxSettings;
}

const init = (RED: NodeAPI): void => {
  registerConnectionTestEndpoint(RED);
  function ConnectionNodeImpl(this: Self, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const users = new Set<Node>();
    const settings = RED.settings as unknown as Settings; // Node-RED exposes settings.js values here
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(key, subs);
    let last: AgentStatus | undefined;
    node.agent = undefined;
    node.configError = undefined;
    node.statusOf = (st: AgentStatus): NodeStatus => statusFor(st, t);

    node.register = (user: Node): void => {
      users.add(user);
      if (node.configError) user.status({ fill: 'red', shape: 'dot', text: t('connection.status.config-error') });
      else if (last) user.status(statusFor(last, t));
    };
    node.deregister = (user: Node): void => {
      users.delete(user);
    };

    const identity = readHostIdentity(settings.deviceAgentHostRoot ?? '/');
    const dialect = dialectOf(def.dialect);
    const parsed: Result<PreparedConnection> = dialect
      ? dialect.prepare(def, node.credentials ?? {}, {
          env: process.env,
          defaultDeviceId: defaultDeviceId(identity),
          hardware: { serial: identity.serial, model: identity.model, revision: identity.revision },
          agentVersion: VERSION,
          dataDir: settings.deviceAgentDataDir ?? path.join(settings.userDir ?? path.join(os.homedir(), '.node-red'), 'device-agent'),
          hostRoot: settings.deviceAgentHostRoot ?? '/',
          readFile: (f) => {
            try {
              return ok(fs.readFileSync(f, 'utf8'));
            } catch (err) {
              return fail((err as NodeJS.ErrnoException).code ?? String(err));
            }
          },
        })
      : fail(`unknown platform dialect "${String(def.dialect)}"`);
    if (!parsed.ok) {
      node.configError = parsed.error;
      node.deviceId = '';
      node.error(new Error(t('connection.errors.config', { reason: parsed.error })), {});
      return;
    }
    const prepared = parsed.value;
    node.deviceId = prepared.deviceId;
    // One store per connection node, under the data directory: <dataDir>/outbox/<node id>.
    const outboxSettings = settings.deviceAgentOutbox ?? {};
    const outboxDir = path.join(prepared.dataDir, 'outbox', safeName(node.id));
    const outboxKey = `${outboxSettings.memory ? 'memory:' : ''}${outboxDir}`;
    let outbox: Outbox;
    try {
      outbox = outboxFor(outboxKey, () => makeOutbox(outboxDir, outboxSettings));
    } catch (err) {
      node.configError = String(err);
      node.error(new Error(t('connection.errors.outbox', { reason: String(err) })), {});
      return;
    }
    const agent = prepared.create(outbox, settings.deviceAgentBackoff);
    node.agent = agent;
    let shown = '';
    agent.on('status', (st: AgentStatus) => {
      last = st;
      const s = statusFor(st, t);
      const key = JSON.stringify(s);
      // Reconnect attempts flip between connecting and disconnected; show only what changes.
      if (key !== shown) {
        shown = key;
        for (const u of users) u.status(s);
      }
      if (st.state === 'bad-credentials' || st.state === 'config-error' || st.state === 'takeover') {
        node.error(new Error(t(`connection.errors.${st.state}`, { deviceId: prepared.deviceId })), {});
      }
    });
    agent.on('warning', (w: string) => node.warn(w));
    agent.on('dropped', (n: number, total: number) => node.warn(t('connection.errors.dropped', { count: n, total })));
    agent.on('platform-error', (e: { code: string; template: string; text: string }) =>
      node.warn(t('connection.errors.platform', { code: e.code, template: e.template, text: e.text })),
    );
    // Start on the next tick, once the client nodes of this deploy have registered their operations.
    const startTimer = setImmediate(() => agent.start());

    node.on('close', (removed: boolean, done: () => void) => {
      clearImmediate(startTimer);
      const finish = (): void => {
        if (removed) {
          const o = outboxes.get(outboxKey);
          outboxes.delete(outboxKey);
          // The connection is gone for good: so is what it had queued.
          void o?.close().then(() => fs.rmSync(outboxDir, { recursive: true, force: true }));
        }
        done();
      };
      agent.stop().then(finish, (err: unknown) => {
        node.error(err, {});
        finish();
      });
    });
  }

  RED.nodes.registerType<Self, Def, unknown, ConnectionCredentials>('device-agent-connection', ConnectionNodeImpl, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      bootstrapUser: { type: 'text' },
      bootstrapPassword: { type: 'password' },
      trinitySecret: { type: 'password' },
      lpcUser: { type: 'text' },
      lpcPassword: { type: 'password' },
      pyUser: { type: 'text' },
      pyPassword: { type: 'password' },
    },
  });
};

export = init;
