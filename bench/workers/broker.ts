/**
 * The broker of the throughput lines, in a child process of its own: a plain aedes on
 * 127.0.0.1 and, in the same process, the counting subscriber (mqtt.js, QoS 0 on `s/us`).
 * Every variant — our nodes, raw mqtt.js, Node-RED's mqtt out — publishes to this one broker
 * and is counted by this one subscriber, which parses each SmartREST line it receives.
 */
import * as net from 'node:net';
import Aedes from 'aedes';
import mqtt from 'mqtt';
import { serve, type Reply } from '../lib/ipc';
import { countRecords, TOPIC } from '../lib/records';
import { now } from '../lib/util';

const aedes = new Aedes();
const server = net.createServer((socket) => aedes.handle(socket));
/** Client ids whose start-up `500` line the broker has seen (our agent is then ready). */
const ready = new Set<string>();
const connected = new Set<string>();
const readyWaiters: (() => void)[] = [];

aedes.on('client', (c) => {
  connected.add(c.id);
  wake();
});
aedes.on('clientDisconnect', (c) => connected.delete(c.id));
aedes.on('publish', (packet, client) => {
  if (client && packet.topic === TOPIC && packet.payload.toString().startsWith('500')) {
    ready.add(client.id);
    wake();
  }
});

function wake(): void {
  for (const w of readyWaiters.splice(0)) w();
}

let records = 0;
let publishes = 0;
let firstAt = 0;
let lastAt = 0;
let target = Number.POSITIVE_INFINITY;
let onTarget: (() => void) | undefined;

async function main(): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('no port');
  const sub = mqtt.connect(`mqtt://127.0.0.1:${addr.port}`, { clientId: 'bench-subscriber', reconnectPeriod: 0, protocolVersion: 4 });
  await new Promise<void>((resolve, reject) => {
    sub.once('connect', () => resolve());
    sub.once('error', reject);
  });
  await sub.subscribeAsync(TOPIC, { qos: 0 });
  sub.on('message', (_topic, payload) => {
    const n = countRecords(payload.toString('utf8'));
    if (n === 0) return;
    const t = now();
    if (records === 0) firstAt = t;
    lastAt = t;
    records += n;
    publishes += 1;
    if (records >= target && onTarget) onTarget();
  });
  return addr.port;
}

const started = main();

function snapshot(): Reply {
  return { records, publishes, firstAt, lastAt };
}

serve(
  {
    port: async () => ({ port: await started }),
    reset: () => {
      records = 0;
      publishes = 0;
      firstAt = 0;
      lastAt = 0;
      return {};
    },
    /** Resolves when `n` records arrived, or when none arrived for `idleMs` (then short of `n`). */
    await: (m) =>
      new Promise<Reply>((resolve) => {
        const n = typeof m['n'] === 'number' ? m['n'] : 0;
        const idleMs = typeof m['idleMs'] === 'number' ? m['idleMs'] : 5000;
        let seen = records;
        const finish = (): void => {
          clearInterval(watch);
          target = Number.POSITIVE_INFINITY;
          onTarget = undefined;
          resolve(snapshot());
        };
        const watch = setInterval(() => {
          if (records === seen) finish();
          seen = records;
        }, idleMs);
        target = n;
        onTarget = finish;
        if (records >= n) finish();
      }),
    /** Resolves once `clientId` is connected and, with `startup: true`, has sent its start-up `500`. */
    awaitClient: (m) =>
      new Promise<Reply>((resolve, reject) => {
        const id = String(m['clientId']);
        const startup = m['startup'] === true;
        const t = setTimeout(() => reject(new Error(`client ${id} not ready`)), 30_000);
        const check = (): void => {
          if (startup ? ready.has(id) : connected.has(id)) {
            clearTimeout(t);
            resolve({});
          } else readyWaiters.push(check);
        };
        check();
      }),
  },
  async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    server.close();
  },
);
