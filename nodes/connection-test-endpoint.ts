/**
 * Admin endpoints of the connection dialog (registered once from connection.ts):
 *
 * - `POST device-agent-connection/test` (permission `device-agent-connection.write`): parses the
 *   dialog's current, unsaved settings with the same parseConnectionConfig the node uses, then
 *   connects once (nodes/connection-probe.ts) and answers the steps as codes the editor words.
 *   Passwords the dialog did not change arrive as Node-RED's placeholder `__PWRD__`: those are read
 *   from the stored credentials of the node id. Nothing is saved, nothing published.
 * - `POST device-agent-connection/state` (permission `device-agent-connection.read`): the
 *   bootstrap state for the dialog — the deployed node's agent state (e.g. waiting for acceptance)
 *   and whether device credentials were obtained (the file the agent keeps; never its content).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { DeviceState } from '../agent/state-store';
import { fail, ok } from '../dialects/types';
import { defaultDeviceId, readHostIdentity } from '../devices/host/identity';
import { isConnectionNode } from './common';
import { parseConnectionConfig, type ConfigContext, type ConnectionCredentials, type ConnectionDef } from './connection-config';
import { cumulocityTarget, loginFor, probeConnection, sessionTarget, type ProbeStep } from './connection-probe';
import { dialectOf } from './dialects';
import { MemoryOutbox } from '../transport/outbox';

/** What the editor sends for a password field it did not change (Node-RED's own placeholder). */
const UNCHANGED = '__PWRD__';

interface Settings {
  userDir?: string;
  deviceAgentDataDir?: string;
  deviceAgentHostRoot?: string;
  /** Per-step timeout of the connection test, ms (default 10 000). */
  deviceAgentTestTimeoutMs?: number;
}

interface TestBody {
  id?: unknown;
  config?: unknown;
  credentials?: unknown;
}

export interface TestAnswer {
  ok: boolean;
  steps: ProbeStep[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function settingsOf(RED: NodeAPI): Settings {
  return RED.settings; // Node-RED exposes the settings.js values as properties
}

/** The context parseConnectionConfig needs, built as the connection node builds it. */
export function configContext(settings: Settings): ConfigContext {
  const identity = readHostIdentity(settings.deviceAgentHostRoot ?? '/');
  return {
    env: process.env,
    defaultDeviceId: defaultDeviceId(identity),
    hardware: { serial: identity.serial, model: identity.model, revision: identity.revision },
    agentVersion: '0.0.0',
    dataDir: settings.deviceAgentDataDir ?? path.join(settings.userDir ?? path.join(os.homedir(), '.node-red'), 'device-agent'),
    readFile: (f) => {
      try {
        return ok(fs.readFileSync(f, 'utf8'));
      } catch (err) {
        return fail((err as NodeJS.ErrnoException).code ?? String(err));
      }
    },
  };
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Only the string and boolean settings of a dialog; anything else is dropped (the body is user
 * input). A whole-value `${NAME}` is replaced by the environment variable, as Node-RED does when
 * it creates the node on deploy; an unset variable stays as it is (parseConnectionConfig treats
 * it as empty).
 */
function asDef(v: unknown, env: NodeJS.ProcessEnv = process.env): ConnectionDef {
  const def: Record<string, string | boolean> = {};
  if (!isRecord(v)) return def;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'boolean') def[k] = x;
    else if (typeof x === 'string') {
      const name = ENV_REF.exec(x.trim())?.[1];
      def[k] = name !== undefined ? (env[name] ?? x) : x;
    }
  }
  return def;
}

/**
 * Dialog credentials (every dialect's fields), with unchanged password placeholders replaced by
 * the node's stored ones.
 */
export function mergeCredentials(typed: unknown, stored: ConnectionCredentials): ConnectionCredentials {
  const out: ConnectionCredentials = {};
  const t = isRecord(typed) ? typed : {};
  for (const f of new Set([...Object.keys(t), ...Object.keys(stored)])) {
    const v = t[f];
    if (v === UNCHANGED || v === undefined) {
      const s = stored[f];
      if (s !== undefined) out[f] = s;
    } else if (typeof v === 'string') {
      out[f] = v;
    }
  }
  return out;
}

function storedCredentials(RED: NodeAPI, id: string): ConnectionCredentials {
  if (!id) return {};
  const c: unknown = RED.nodes.getCredentials(id);
  if (!isRecord(c)) return {};
  const out: ConnectionCredentials = {};
  for (const [f, v] of Object.entries(c)) if (typeof v === 'string') out[f] = v;
  return out;
}

export async function testConnection(RED: NodeAPI, body: TestBody): Promise<TestAnswer> {
  const settings = settingsOf(RED);
  const id = typeof body.id === 'string' ? body.id : '';
  const creds = mergeCredentials(body.credentials, storedCredentials(RED, id));
  const def = asDef(body.config);
  const opts = { timeoutMs: settings.deviceAgentTestTimeoutMs ?? 10_000 };
  const dialect = typeof def.dialect === 'string' && def.dialect.trim() ? def.dialect.trim() : 'cumulocity';
  const configError = (reason: string): TestAnswer => ({
    ok: false,
    steps: [{ step: 'config', ok: false, code: 'config-error', params: { reason } }],
  });
  if (dialect === 'cumulocity') {
    // Cumulocity's own path: the login may be the bootstrap user or credentials obtained by it.
    const parsed = parseConnectionConfig(def, creds, configContext(settings));
    if (!parsed.ok) return configError(parsed.error);
    const cfg = parsed.value;
    const stored = cfg.auth.mode === 'bootstrap' ? new DeviceState(cfg.dataDir, cfg.host, cfg.deviceId).loadCredentials() : undefined;
    const steps = await probeConnection(cumulocityTarget(cfg, loginFor(cfg, stored)), opts);
    return { ok: steps.every((s) => s.ok), steps };
  }
  // Every other dialect: the session its agent would open first (an agent made only to ask, never started).
  const d = dialectOf(dialect);
  if (!d) return configError(`unknown platform dialect "${dialect}"`);
  const prepared = d.prepare(def, creds, configContext(settings));
  if (!prepared.ok) return configError(prepared.error);
  const session = prepared.value.create(new MemoryOutbox(), undefined).probeSession?.();
  if (!session) return { ok: false, steps: [{ step: 'config', ok: false, code: 'no-test', params: { dialect } }] };
  const steps = await probeConnection(sessionTarget(session), opts);
  return { ok: steps.every((s) => s.ok), steps };
}

export interface StateAnswer {
  deployed: boolean;
  /** The deployed node's agent state (connecting, bootstrapping, connected…). */
  state?: string;
  queued?: number;
  /** Device credentials obtained by bootstrap for the dialog's host and device id. */
  registered: boolean;
  registeredAt?: string;
  deviceId?: string;
}

export function connectionState(RED: NodeAPI, body: TestBody): StateAnswer {
  const id = typeof body.id === 'string' ? body.id : '';
  const node: unknown = id ? RED.nodes.getNode(id) : null;
  const answer: StateAnswer = { deployed: false, registered: false };
  if (isConnectionNode(node)) {
    answer.deployed = true;
    if (node.agent) {
      answer.state = node.agent.currentStatus.state;
      answer.queued = node.agent.currentStatus.queued;
    } else {
      answer.state = 'config-error';
    }
  }
  const def = asDef(body.config);
  const ctx = configContext(settingsOf(RED));
  const host = typeof def.host === 'string' ? def.host.trim() : '';
  const deviceId = (typeof def.deviceId === 'string' && def.deviceId.trim()) || ctx.defaultDeviceId;
  answer.deviceId = deviceId;
  if (host && !ENV_REF.test(host)) {
    const c = new DeviceState(ctx.dataDir, host, deviceId).loadCredentials();
    if (c) {
      answer.registered = true;
      const at = (c as { obtainedAt?: unknown }).obtainedAt;
      if (typeof at === 'string') answer.registeredAt = at;
    }
  }
  return answer;
}

/** Registers the endpoints once per admin app (the test helper makes a new app for every load). */
const registered = new WeakSet<object>();

export function registerConnectionTestEndpoint(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
  app.post('/device-agent-connection/test', RED.auth.needsPermission('device-agent-connection.write'), (req: Request, res: Response) => {
    const body: unknown = req.body;
    testConnection(RED, isRecord(body) ? body : {}).then(
      (a) => res.json(a),
      (err: unknown) => {
        RED.log.warn(`device-agent-connection test: ${String(err)}`);
        res.status(500).json({ ok: false, steps: [{ step: 'config', ok: false, code: 'internal', params: { error: String(err) } }] });
      },
    );
  });
  app.post('/device-agent-connection/state', RED.auth.needsPermission('device-agent-connection.read'), (req: Request, res: Response) => {
    const body: unknown = req.body;
    try {
      res.json(connectionState(RED, isRecord(body) ? body : {}));
    } catch (err) {
      res.status(500).json({ error: String(err) });
    }
  });
}
