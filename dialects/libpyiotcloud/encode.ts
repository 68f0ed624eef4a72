/** Replies of a libpyiotcloud device as outbox records (libpyiotcloud.md §2, §4). */
import { fail, ok, type BatchRule, type Outbound, type Result } from '../types';
import { replyTopic } from './topics';
import type { Json } from './requests';

/** Replies are JSON objects, one per publish. */
export const BATCH_RULE: BatchRule = { separator: '', maxPayloadBytes: 256 * 1024 };

export const MAX_REPLY_BYTES = 256 * 1024;

/**
 * The answer to a request, QoS 1, not retained. `control` priority: an answer must not wait
 * behind anything (the cloud reads its mailbox once, about 1 s after the request).
 */
export function encodeReply(deviceId: string, api: string, body: Json): Result<Outbound> {
  let payload: string;
  try {
    payload = JSON.stringify(body);
  } catch (err) {
    return fail(`reply cannot be encoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (Buffer.byteLength(payload, 'utf8') > MAX_REPLY_BYTES) return fail(`reply over ${MAX_REPLY_BYTES} bytes`);
  return ok({ topic: replyTopic(deviceId, api), payload, priority: 'control', batchable: false });
}
