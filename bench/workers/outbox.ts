/**
 * Line 2: the transport on its own, without Node-RED — the durable outbox with its default
 * options (segment log on disk, fsync every 100 ms), the courier and the MQTT session, exactly as
 * the connection node wires them.
 *
 * - `prepare` / `go` / `close`: records put by a producer that stays at most `lead` records ahead
 *   of the broker's acknowledgements, delivered at QoS 1, batched or one record per publish.
 * - `fill`: `n` records queued while offline; reports RSS and heap growth (after a full GC) and
 *   the bytes on disk. `drain` then connects and delivers the backlog.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BATCH_RULE } from '../../dialects/cumulocity/encode';
import type { BatchRule } from '../../dialects/types';
import { DEFAULT_BACKOFF } from '../../transport/backoff';
import { Courier } from '../../transport/courier';
import { DEFAULT_DURABLE_OPTIONS, DurableOutbox } from '../../transport/durable-outbox';
import { LANES } from '../../transport/outbox';
import { MqttSession } from '../../transport/session';
import { serve, type Reply } from '../lib/ipc';
import { recordLine, TOPIC } from '../lib/records';
import { collect, settledMemory } from '../lib/util';

/** One record per publish: the courier always takes the first record, and no second one fits in 0 bytes. */
const UNBATCHED: BatchRule = { separator: BATCH_RULE.separator, maxPayloadBytes: 0 };

interface Setup {
  dir: string;
  outbox: DurableOutbox;
  courier: Courier;
  session: MqttSession | undefined;
}

let current: Setup | undefined;

function open(batched: boolean): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-bench-outbox-'));
  const outbox = new DurableOutbox(dir, DEFAULT_DURABLE_OPTIONS);
  const courier = new Courier(outbox, batched ? BATCH_RULE : UNBATCHED);
  return { dir, outbox, courier, session: undefined };
}

function connect(s: Setup, url: string, clientId: string): Promise<void> {
  const session = new MqttSession({ url, clientId, keepaliveSec: 60, connectTimeoutMs: 5000, backoff: DEFAULT_BACKOFF });
  s.session = session;
  return new Promise((resolve) => {
    session.on('up', () => {
      s.courier.attach((topic, payload) => session.publish(topic, payload), LANES);
      resolve();
    });
    session.on('down', () => s.courier.detach());
    session.start();
  });
}

/** Resolves when nothing is pending or in flight. */
function idle(s: Setup): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      const st = s.outbox.stats();
      if (st.pending === 0 && st.inFlight === 0) {
        s.outbox.off('change', check);
        resolve();
      }
    };
    s.outbox.on('change', check);
    check();
  });
}

function put(s: Setup, k: number): Promise<number> {
  return s.outbox.put({ topic: TOPIC, payload: recordLine(k), priority: 'telemetry', batchable: true }, 'telemetry');
}

/** Puts records `base+1 … base+n`, never more than `lead` stored and not yet acknowledged. */
function produce(s: Setup, n: number, base: number, lead: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let produced = 0;
    const step = (): void => {
      const st = s.outbox.stats();
      const room = Math.min(lead - st.pending - st.inFlight, n - produced);
      for (let i = 0; i < room; i += 1) put(s, base + ++produced).catch(reject);
      if (produced >= n) {
        s.outbox.off('change', step);
        resolve();
      }
    };
    s.outbox.on('change', step);
    step();
  });
}

async function close(): Promise<void> {
  const s = current;
  current = undefined;
  if (!s) return;
  s.courier.dispose();
  await s.session?.stop();
  await s.outbox.close();
  fs.rmSync(s.dir, { recursive: true, force: true });
}

function dirBytes(dir: string): number {
  let b = 0;
  for (const f of fs.readdirSync(dir)) b += fs.statSync(path.join(dir, f)).size;
  return b;
}

serve(
  {
    prepare: async (m): Promise<Reply> => {
      await close();
      current = open(m['batched'] === true);
      await connect(current, String(m['url']), String(m['clientId']));
      return {};
    },
    go: async (m): Promise<Reply> => {
      if (!current) throw new Error('not prepared');
      await produce(current, Number(m['n']), Number(m['base']), Number(m['lead']));
      await idle(current);
      return {};
    },
    close: async (): Promise<Reply> => {
      await close();
      return {};
    },
    fill: async (m): Promise<Reply> => {
      await close();
      const n = Number(m['n']);
      const before = await settledMemory(() => {
        collect();
        return process.memoryUsage();
      });
      const s = open(true);
      current = s;
      let payloadBytes = 0;
      for (let i = 1; i <= n; i += 1000) {
        const chunk: Promise<number>[] = [];
        for (let k = i; k < Math.min(i + 1000, n + 1); k += 1) {
          payloadBytes += Buffer.byteLength(recordLine(k));
          chunk.push(put(s, k));
        }
        await Promise.all(chunk);
      }
      await new Promise((r) => setTimeout(r, 2 * DEFAULT_DURABLE_OPTIONS.syncIntervalMs)); // fsync and checkpoint done
      collect();
      const peak = process.memoryUsage();
      const after = await settledMemory(() => {
        collect();
        return process.memoryUsage();
      });
      const st = s.outbox.stats();
      return {
        queued: st.pending + st.inFlight,
        rss: after.rss - before.rss,
        rssPeak: peak.rss - before.rss,
        heapUsed: after.heapUsed - before.heapUsed,
        diskBytes: dirBytes(s.dir),
        payloadBytes,
      };
    },
    drain: async (m): Promise<Reply> => {
      if (!current) throw new Error('nothing filled');
      await connect(current, String(m['url']), String(m['clientId']));
      await idle(current);
      return {};
    },
  },
  close,
);
