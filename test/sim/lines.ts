// Shared plumbing of the upstream line handlers: the context they act in and argument checks.
import type { SimDevice, SimModel } from './model';

/** Everything a handler may touch while processing one line from one session. */
export interface LineContext {
  readonly model: SimModel;
  readonly root: string; // device id of the publishing session
  readonly target: string; // device the topic addresses (root, or the child of s/us/<child>)
  readonly now: Date;
  /** The target device, created (under the root) on first use — call only after validation. */
  device(): SimDevice;
  /** Send a downstream line to this session on `topic` (dropped unless subscribed). */
  reply(topic: string, fields: string[]): void;
  /** Deliver every PENDING operation of this session's tree again (`500`). */
  resendPending(): void;
  /** An operation changed; lets the simulator emit 'change'. */
  changed(): void;
}

/** A handler rejecting its line; becomes `<code>,<id>,<text>` on s/e. */
export interface LineError {
  code: 40 | 41 | 42 | 43 | 45;
  text: string;
}

export type Handler = (args: string[], ctx: LineContext) => LineError | undefined;

/** Thrown by the argument checks below and turned into a `45` line by the dispatcher. */
export class ArgumentError extends Error {}

export function arity(args: string[], min: number, max = Infinity): void {
  if (args.length < min || args.length > max) {
    throw new ArgumentError(`Wrong number of arguments: ${args.length}`);
  }
}

export function arg(args: string[], i: number): string {
  return args[i] ?? '';
}

export function required(args: string[], i: number, what: string): string {
  const v = arg(args, i);
  if (v === '') throw new ArgumentError(`Missing mandatory ${what}`);
  return v;
}

/** A plain decimal number (§3.1 rule 7); NaN, Infinity, hex and empty strings are refused. */
export function number(v: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) {
    throw new ArgumentError(`Value is not a NUMBER: ${v}`);
  }
  return Number(v);
}

export function optionalNumber(v: string): number | undefined {
  return v === '' ? undefined : number(v);
}

/** ISO-8601 time with date and time part; empty means server time. */
export function time(v: string, now: Date): string {
  if (v === '') return now.toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new ArgumentError(`Value is not a DATE: ${v}`);
  }
  return v;
}

/** Split a variadic tail into groups of `size`; a shorter last group is padded with ''. */
export function groups(args: string[], size: number, minLast = 1): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < args.length; i += size) {
    const g = args.slice(i, i + size);
    if (g.length < minLast) throw new ArgumentError(`Incomplete group at argument ${i + 1}`);
    while (g.length < size) g.push('');
    out.push(g);
  }
  return out;
}

/** Non-empty entries of a list argument (114, 118, 119, 143, 150). */
export function list(args: string[]): string[] {
  return args.filter((a) => a !== '');
}
