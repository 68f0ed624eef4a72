// Dispatch of SmartREST lines published on s/us and s/us/<child>; errors become s/e lines.
import { decodeRecords, encodeField } from './csv';
import { dataHandlers } from './data';
import { inventoryHandlers } from './inventory';
import { ArgumentError, type Handler, type LineContext, type LineError } from './lines';
import { operationHandlers } from './operations';

const HANDLERS = new Map<string, Handler>([
  ...Object.entries(inventoryHandlers),
  ...Object.entries(dataHandlers),
  ...Object.entries(operationHandlers),
]);

/** `<code>,<template id>,<text>` as the platform writes s/e lines (§10). */
export function errorLine(code: number, id: string, text: string): string {
  return `${code},${encodeField(id)},${text}`;
}

function runLine(fields: string[], ctx: LineContext): LineError | undefined {
  const [id = '', ...args] = fields;
  if (!/^\d+$/.test(id)) return { code: 43, text: 'Invalid message identifier' };
  const handler = HANDLERS.get(id);
  if (!handler) return { code: 40, text: `No template for this message id` };
  try {
    return handler(args, ctx);
  } catch (err) {
    if (err instanceof ArgumentError) return { code: 45, text: err.message };
    throw err;
  }
}

/**
 * Process every record of one publish in order. A bad record (malformed, unknown id, wrong
 * arguments) stores nothing and yields an s/e line; the other records still count.
 */
export function processUpstream(payload: string, ctx: LineContext, sendError: (line: string) => void): void {
  for (const record of decodeRecords(payload)) {
    if (!record.ok) {
      sendError(errorLine(42, record.id, 'Malformed request'));
      continue;
    }
    const failure = runLine(record.fields, ctx);
    if (failure) sendError(errorLine(failure.code, record.fields[0] ?? '', failure.text));
  }
  // Availability: any message from the device counts, even one the platform rejects (§11).
  const target = ctx.model.devices.get(ctx.target);
  if (target) target.lastMessage = ctx.now;
}
