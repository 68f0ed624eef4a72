/**
 * On-disk frame of one outbox record: u32 body length, u32 CRC-32 of the body, then the body
 * (UTF-8 JSON `[idx, topic, payload, batchable, at]`). A frame whose length runs past the end
 * of the file or whose CRC does not match is a torn write: everything from it on is discarded.
 */
export interface StoredRecord {
  /** Position in its lane's log: 0, 1, 2 … without gaps. */
  idx: number;
  topic: string;
  payload: string;
  batchable: boolean;
  /** When it was queued (ms since 1970). */
  at: number;
}

export const HEADER_BYTES = 8;

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as zlib computes it; Node 18 has no zlib.crc32. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i += 1) c = (CRC_TABLE[(c ^ (buf[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function encodeFrame(r: StoredRecord): Buffer {
  const body = Buffer.from(JSON.stringify([r.idx, r.topic, r.payload, r.batchable ? 1 : 0, r.at]), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

function decodeBody(body: Buffer): StoredRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 5) return undefined;
  const [idx, topic, payload, batchable, at] = v as unknown[];
  if (typeof idx !== 'number' || typeof topic !== 'string' || typeof payload !== 'string' || typeof at !== 'number') return undefined;
  return { idx, topic, payload, batchable: batchable === 1, at };
}

export interface DecodedFrames {
  records: { record: StoredRecord; bytes: number }[];
  /** Bytes of complete, valid frames from the start of the buffer. */
  used: number;
  /** A frame was invalid (bad CRC or body); `used` stops before it. */
  corrupt: boolean;
}

/**
 * Decodes the complete frames at the start of `buf`. An incomplete last frame is not an error
 * (the caller may read more); an invalid one is.
 */
export function decodeFrames(buf: Buffer, limit = Number.POSITIVE_INFINITY): DecodedFrames {
  const records: DecodedFrames['records'] = [];
  let off = 0;
  while (records.length < limit && off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    const end = off + HEADER_BYTES + len;
    if (end > buf.length) break;
    const record =
      crc32(buf, off + HEADER_BYTES, end) === buf.readUInt32LE(off + 4) ? decodeBody(buf.subarray(off + HEADER_BYTES, end)) : undefined;
    if (!record) return { records, used: off, corrupt: true };
    records.push({ record, bytes: end - off });
    off = end;
  }
  return { records, used: off, corrupt: false };
}

/** Length of the frame starting at `buf[0]`, or undefined if the header is incomplete. */
export function frameLength(buf: Buffer): number | undefined {
  return buf.length >= HEADER_BYTES ? HEADER_BYTES + buf.readUInt32LE(0) : undefined;
}
