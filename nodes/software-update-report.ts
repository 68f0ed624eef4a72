/**
 * How the software update node tells the platform an outcome (cumulocity.md §9): the installed
 * list (or firmware) first, then the final status; a failed rollback also raises a CRITICAL alarm.
 */
import type { NodeAPI, NodeMessageInFlow } from 'node-red';
import type { PlatformAgent } from '../agent/platform';
import type { Job, JobOperation } from '../devices/software/journal';
import { isConnectionNode } from './common';

export function agentOf(RED: NodeAPI, connection: string): PlatformAgent | undefined {
  const conn: unknown = connection ? RED.nodes.getNode(connection) : undefined;
  return isConnectionNode(conn) ? conn.agent : undefined;
}

interface OperationField {
  operation?: { key?: unknown; id?: unknown; fragment?: unknown; deviceId?: unknown; connection?: unknown };
}

/** `msg.operation` as the operation node sets it, or undefined for a plain message. */
export function operationOf(msg: NodeMessageInFlow): JobOperation | undefined {
  const o = (msg as NodeMessageInFlow & OperationField).operation;
  if (typeof o !== 'object' || o === null || typeof o.key !== 'string' || typeof o.fragment !== 'string') return undefined;
  return {
    key: o.key,
    id: typeof o.id === 'string' ? o.id : undefined,
    fragment: o.fragment,
    deviceId: typeof o.deviceId === 'string' ? o.deviceId : '',
    connection: typeof o.connection === 'string' ? o.connection : '',
  };
}

/**
 * `reported`: the status is queued (or cannot ever be: `warning` says why). `wait`: the operation
 * is not open yet — after a restart it reopens during the session start — so try again once the
 * connection is up. Errors sending the list are passed to `onError`; the status is still sent.
 */
export async function reportOutcome(
  agent: PlatformAgent,
  job: Job,
  onError: (err: unknown) => void,
): Promise<{ kind: 'reported'; warning?: string } | { kind: 'wait' }> {
  const op = job.operation;
  const out = job.outcome;
  if (!op || !out) return { kind: 'reported' };
  if (agent.currentStatus.state !== 'connected' && job.attempts > 1) return { kind: 'wait' };
  try {
    if (out.status === 'SUCCESSFUL' && job.kind === 'firmware' && out.firmware) await agent.sendFirmware?.(out.firmware);
    if (out.status === 'SUCCESSFUL' && job.kind === 'software' && agent.sendSoftwareList) {
      try {
        await agent.sendSoftwareList(out.installed, job.listMode);
      } catch (err) {
        if (job.listMode !== 'legacy') throw err;
        await agent.sendSoftwareList(out.installed, 'advanced'); // too long for one 116 record
      }
    }
    if (out.code === 'E_ROLLBACK') {
      const alarm = {
        action: 'raise',
        type: 'c8y_SoftwareRollbackFailed',
        severity: 'CRITICAL',
        text: out.reason ?? '',
        time: new Date(),
      } as const;
      await agent.sendAlarm(alarm);
    }
  } catch (err) {
    onError(err);
  }
  const err = agent.report(op.key, out.status, out.reason);
  if (err && agent.currentStatus.state !== 'connected') return { kind: 'wait' };
  return err ? { kind: 'reported', warning: err } : { kind: 'reported' };
}
