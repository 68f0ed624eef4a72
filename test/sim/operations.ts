// Upstream operation updates 500-507 (§6.1, §9): PENDING → EXECUTING → SUCCESSFUL | FAILED only.
import type { OperationStatus, SimOperation } from './model';
import { arg, arity, required, type Handler, type LineContext, type LineError } from './lines';

/** Where each status may come from; anything else is refused with an s/e line (sim). */
const ALLOWED_FROM: Record<OperationStatus, OperationStatus | undefined> = {
  PENDING: undefined,
  EXECUTING: 'PENDING',
  SUCCESSFUL: 'EXECUTING',
  FAILED: 'EXECUTING',
};

function transition(
  ctx: LineContext,
  op: SimOperation,
  to: OperationStatus,
  extra: { reason?: string; result?: string[] } = {},
): LineError | undefined {
  if (ALLOWED_FROM[to] !== op.status) {
    return { code: 41, text: `Operation ${op.id} is ${op.status}, cannot set ${to}` };
  }
  op.status = to;
  op.history.push(to);
  if (extra.reason !== undefined) op.failureReason = extra.reason;
  if (extra.result !== undefined) op.result = extra.result;
  ctx.changed();
  return undefined;
}

/** The oldest operation of this fragment for the addressed device in the given status. */
function oldest(ctx: LineContext, fragment: string, status: OperationStatus): SimOperation | undefined {
  return ctx.model.operations.find((op) => op.deviceId === ctx.target && op.fragment === fragment && op.status === status);
}

/** By id, and only among operations of the addressed device or its children. */
function byId(ctx: LineContext, id: string): SimOperation | LineError {
  const op = ctx.model.operations.find((o) => o.id === id);
  if (!op || !ctx.model.inTree(ctx.target, op.deviceId)) {
    return { code: 41, text: `Operation ${id} not found for device ${ctx.target}` };
  }
  return op;
}

/** What follows the fragment or id: nothing, one failure reason, or any number of results. */
type Extra = 'none' | 'reason' | 'result';
const MAX_ARGS: Record<Extra, number> = { none: 1, reason: 2, result: Infinity };

function byFragment(from: OperationStatus, to: OperationStatus, kind: Extra): Handler {
  return (args, ctx) => {
    arity(args, 1, MAX_ARGS[kind]);
    const fragment = required(args, 0, 'fragment');
    const op = oldest(ctx, fragment, from);
    if (!op) return { code: 41, text: `No ${from} operation with fragment ${fragment}` };
    return transition(ctx, op, to, extra(args.slice(1), kind));
  };
}

function byOperationId(to: OperationStatus, kind: Extra): Handler {
  return (args, ctx) => {
    arity(args, 1, MAX_ARGS[kind]);
    const op = byId(ctx, required(args, 0, 'operation id'));
    if (!('fragment' in op)) return op;
    return transition(ctx, op, to, extra(args.slice(1), kind));
  };
}

function extra(rest: string[], kind: Extra): { reason?: string; result?: string[] } {
  if (kind === 'none') return {};
  if (kind === 'reason') return { reason: arg(rest, 0) };
  return rest.length > 0 ? { result: rest } : {};
}

export const operationHandlers: Record<string, Handler> = {
  '500': (args, ctx) => {
    arity(args, 0, 0);
    ctx.resendPending();
    return undefined;
  },
  '501': byFragment('PENDING', 'EXECUTING', 'none'),
  '502': byFragment('EXECUTING', 'FAILED', 'reason'),
  '503': byFragment('EXECUTING', 'SUCCESSFUL', 'result'),
  '504': byOperationId('EXECUTING', 'none'),
  '505': byOperationId('FAILED', 'reason'),
  '506': byOperationId('SUCCESSFUL', 'result'),
  '507': (args, ctx) => {
    arity(args, 0, 2);
    const fragment = arg(args, 0);
    const reason = arg(args, 1);
    for (const op of ctx.model.operations) {
      if (op.deviceId !== ctx.target || op.status !== 'EXECUTING') continue;
      if (fragment !== '' && op.fragment !== fragment) continue;
      transition(ctx, op, 'FAILED', { reason });
    }
    return undefined;
  },
};
