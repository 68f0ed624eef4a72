import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { PlatformAgent } from '../agent/platform';
import { fail, ok } from '../dialects/types';
import { statfsProbe } from '../devices/software/disk';
import { createHandlers } from '../devices/software/handlers';
import { UpdateError, reasonOf, type InstalledSoftware } from '../devices/software/interface';
import { acquireLock, Journal, type Job, type JobOperation } from '../devices/software/journal';
import { requestFromOperation, requestFromPayload, type UpdateRequest } from '../devices/software/request';
import { newJob, recoverJob, runJob, type UpdaterEnv } from '../devices/software/updater';
import { parseSoftwareUpdateConfig, type SoftwareUpdateDef, type SoftwareUpdateSettings } from './software-update-config';
import { resolveHdcPackage } from './software-update-hdc';
import { progressReporter } from './software-update-progress';
import { agentOf, operationOf, reportOutcome } from './software-update-report';

interface Def extends NodeDef, SoftwareUpdateDef {}

interface Settings {
  userDir?: string;
  deviceAgentDataDir?: string;
  deviceAgentSoftwareUpdate?: SoftwareUpdateSettings;
}

/** A job finished by a node that was closed meanwhile: the live nodes report it. */
const handover = new EventEmitter();
handover.setMaxListeners(0);
/** Jobs whose outcome is being reported right now, so two nodes (or a recovery pass) never report one twice. */
const settling = new Set<string>();

const init = (RED: NodeAPI): void => {
  function SoftwareUpdateNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = RED.settings as unknown as Settings; // Node-RED exposes settings.js values here
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(`software-update.${key}`, subs);
    const userDir = settings.userDir ?? path.join(os.homedir(), '.node-red');
    const s = settings.deviceAgentSoftwareUpdate ?? {};
    const parsed = parseSoftwareUpdateConfig(def, s, {
      userDir,
      supervised: Boolean(process.env['INVOCATION_ID'] || process.env['pm_id']) || s.supervised === true,
      readFile: (f) => {
        try {
          return ok(fs.readFileSync(f, 'utf8'));
        } catch (err) {
          return fail((err as NodeJS.ErrnoException).code ?? String(err));
        }
      },
    });
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: t('status.config') });
      node.error(new Error(t('errors.config', { reason: parsed.error })), {});
      node.on('input', (_m: NodeMessageInFlow, _s: unknown, done: (e?: Error) => void) =>
        done(new Error(t('errors.config', { reason: parsed.error }))),
      );
      return;
    }
    const cfg = parsed.value;
    const journal = new Journal(path.join(settings.deviceAgentDataDir ?? path.join(userDir, 'device-agent'), 'software'));
    const aborts = new Set<AbortController>();
    const running = new Set<Promise<void>>();
    const waiting = new Map<string, () => void>();
    let closed = false;

    const env = (opId: string, connection: string): UpdaterEnv => ({
      journal,
      // Platform binaries need the device's credentials; download.ts sends them only under this base URL.
      auth: () => agentOf(RED, connection || cfg.connection)?.platformHttp?.(),
      disk: statfsProbe,
      minFreeBytes: cfg.minFreeBytes,
      download: cfg.download,
      publicKey: cfg.publicKey,
      requireChecksum: cfg.requireChecksum,
      progress: progressReporter(
        opId,
        { status: (st) => node.status(st), message: (payload) => node.send([null, { topic: 'progress', payload }]) },
        (phase) => t(`phase.${phase}`),
      ),
      restartNodeRed: () => {
        node.warn(t('errors.restarting'));
        // The supervisor starts Node-RED again; the job resumes from its journal (phase restarting).
        setTimeout(() => process.exit(1), 1000);
      },
      now: Date.now,
    });

    /** The outcome goes to the platform (list first, then the status) and out of output 1; then the journal entry goes. */
    async function settle(job: Job, msg?: NodeMessage): Promise<void> {
      if (job.phase !== 'done' && job.phase !== 'failed') return; // restarting: the next process continues
      const out = job.outcome;
      if (!out || closed) {
        if (closed) handover.emit('settled');
        return;
      }
      if (settling.has(job.id)) return;
      settling.add(job.id);
      try {
        if (job.operation && !(await reportToPlatform(job))) return;
        journal.remove(job.id);
      } finally {
        settling.delete(job.id);
      }
      const payload = { jobId: job.id, modules: job.modules.map((m) => m.request), ...out };
      const result: NodeMessage & Record<string, unknown> = msg
        ? { ...msg, payload }
        : { topic: 'software-update', payload, recovered: true };
      if (job.operation && !msg) result['operation'] = { ...job.operation };
      node.status(
        out.status === 'SUCCESSFUL'
          ? { fill: 'green', shape: 'dot', text: t(out.restartRequired ? 'status.restart-needed' : 'status.installed') }
          : { fill: 'red', shape: 'dot', text: out.code ?? t('status.failed') },
      );
      node.send([result, null]);
    }

    /** False when the operation is not open yet (before the session start after a restart): tried again when connected. */
    async function reportToPlatform(job: Job): Promise<boolean> {
      const op = job.operation as JobOperation;
      const agent = agentOf(RED, op.connection);
      if (!agent) {
        node.warn(t('errors.no-connection', { id: op.id ?? op.key }));
        return true;
      }
      const r = await reportOutcome(agent, job, (err) =>
        node.error(new Error(t('errors.list', { reason: err instanceof Error ? err.message : String(err) }), { cause: err }), {}),
      );
      if (r.kind === 'wait') {
        waitForConnection(agent, job);
        return false;
      }
      if (r.warning) node.warn(t('errors.not-open', { reason: r.warning }));
      return true;
    }

    function waitForConnection(agent: PlatformAgent, job: Job): void {
      if (waiting.has(job.id)) return;
      const on = (st: { state: string }): void => {
        if (st.state !== 'connected') return;
        stop();
        const fresh = journal.load(job.id);
        if (fresh) track(settle(fresh));
      };
      const stop = (): void => {
        agent.off('status', on);
        waiting.delete(job.id);
      };
      waiting.set(job.id, stop);
      agent.on('status', on);
    }

    function track(p: Promise<void>): void {
      const q = p.catch((err: unknown) => node.error(err, {}));
      running.add(q);
      void q.finally(() => running.delete(q));
    }

    function start(job: Job, lock: { release(): void }, msg?: NodeMessage, recovering = false): Promise<void> {
      const ctl = new AbortController();
      aborts.add(ctl);
      const timer = setTimeout(
        () => ctl.abort(new UpdateError('E_TIMEOUT', `not finished within ${Math.round((job.deadline - job.createdAt) / 1000)} s`)),
        Math.max(1, job.deadline - Date.now()),
      );
      const e = env(job.operation?.id ?? job.id, job.operation?.connection ?? '');
      const run = recovering ? recoverJob(job, e, ctl.signal) : runJob(job, e, ctl.signal);
      return run
        .then((j) => settle(j, msg))
        .finally(() => {
          clearTimeout(timer);
          aborts.delete(ctl);
          lock.release();
        });
    }

    /** Jobs left by an earlier process (or a closed node): continue, undo or just report them. */
    function recoverAll(): void {
      if (closed) return;
      for (const job of journal.all()) {
        if (job.node !== node.id && RED.nodes.getNode(job.node)) continue; // another live node's job
        if (job.phase === 'done' || job.phase === 'failed') {
          job.attempts = Math.max(job.attempts, 2);
          track(settle(job));
          continue;
        }
        const lock = acquireLock(journal.stateDir, job.id);
        if (!lock) continue; // still running in this process (a closed node finishing) or elsewhere
        node.status({ fill: 'blue', shape: 'ring', text: t('status.recovering') });
        track(start(job, lock, undefined, true));
      }
    }

    function refuse(req: { op?: JobOperation | undefined; msg: NodeMessage }, err: UpdateError, done: () => void): void {
      const reason = reasonOf(err);
      if (req.op) agentOf(RED, req.op.connection)?.report(req.op.key, 'FAILED', reason);
      node.status({ fill: 'red', shape: 'dot', text: err.code });
      node.send([{ ...req.msg, payload: { status: 'FAILED', code: err.code, reason, installed: [] } }, null]);
      done();
    }

    const onInput = (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void): void => {
      const op = operationOf(msg);
      // HDC OTA: the package is a file of the cloud's store; find its URL first, then go on as usual.
      const hdcUrl = (msg as { hdcPackageUrl?: unknown }).hdcPackageUrl;
      if (op?.fragment === 'software_update' && typeof hdcUrl !== 'string') {
        resolveHdcPackage(agentOf(RED, op.connection), msg.payload).then(
          (url) => onInput({ ...msg, hdcPackageUrl: url }, _send, done),
          (err: unknown) => refuse({ op, msg }, new UpdateError('E_DOWNLOAD', err instanceof Error ? err.message : String(err)), done),
        );
        return;
      }
      let req: ReturnType<typeof requestFromPayload>;
      if (op) req = requestFromOperation(op.fragment, msg.payload, cfg.defaults, typeof hdcUrl === 'string' ? hdcUrl : undefined);
      else if (msg.payload !== undefined && msg.payload !== null && typeof msg.payload === 'object')
        req = requestFromPayload(msg.payload, cfg.defaults);
      else {
        node.status({ fill: 'red', shape: 'dot', text: t('status.bad-input') });
        done(new Error(t('errors.bad-input', { reason: t('errors.no-request') })));
        return;
      }
      if (!req.ok) {
        if (!op) {
          node.status({ fill: 'red', shape: 'dot', text: t('status.bad-input') });
          done(new Error(t('errors.bad-input', { reason: req.error })));
          return;
        }
        refuse({ op, msg }, new UpdateError('E_INPUT', req.error), done);
        return;
      }
      const request: UpdateRequest = req.value;
      const id = `${op ? `op-${(op.id ?? 'static').replace(/[^A-Za-z0-9_-]/g, '_')}` : 'msg'}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const lock = acquireLock(journal.stateDir, id);
      if (!lock) {
        refuse({ op, msg }, new UpdateError('E_BUSY', 'another update is running'), done);
        return;
      }
      const job = newJob(
        { id, node: node.id, ...request, operation: op, msgid: msg._msgid, handlers: cfg.handlers, timeoutSec: cfg.timeoutSec },
        Date.now(),
      );
      // Our journal decides the outcome, also across a restart: the agent must neither time it out early nor fail it as stale.
      if (op) agentOf(RED, op.connection)?.deferOperation?.(op.key, cfg.timeoutSec + 600);
      track(
        start(job, lock, msg).then(
          () => done(),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        ),
      );
    };
    node.on('input', onInput);

    // With a connection set, the platform learns the installed list and the types on every connect (143, 140).
    const announcer = cfg.connection ? agentOf(RED, cfg.connection) : undefined;
    const announce = (st: { state: string }): void => {
      if (st.state !== 'connected' || !announcer) return;
      track(
        (async () => {
          await announcer.sendSoftwareTypes?.(cfg.types);
          const items: InstalledSoftware[] = [];
          for (const h of createHandlers(cfg.handlers, statfsProbe).values()) items.push(...(await h.list()));
          await announcer.sendSoftwareList?.(items, 'advanced');
        })(),
      );
    };
    announcer?.on('status', announce);
    if (announcer?.currentStatus.state === 'connected') announce(announcer.currentStatus);

    handover.on('settled', recoverAll);
    const startup = setImmediate(recoverAll);
    node.status({});

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearImmediate(startup);
      handover.off('settled', recoverAll);
      announcer?.off('status', announce);
      for (const stop of waiting.values()) stop();
      for (const c of aborts)
        c.abort(new UpdateError('E_INTERRUPTED', 'the flow was redeployed or stopped during the update; rolled back'));
      // Rollbacks run to the end; Node-RED stops waiting after its own close timeout.
      Promise.allSettled([...running]).then(() => done(), done);
    });
  }
  RED.nodes.registerType('device-agent-software-update', SoftwareUpdateNode);
};

export = init;
