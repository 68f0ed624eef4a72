/**
 * Many simulated pyaiot MQTT nodes for the pyaiot gateway line, in a child process of their own:
 * each behaves like upstream's mqtt-test-node.py (node/check at start and every 30 s, both
 * discover answers, `led` echoed) and publishes `temperature` once a second. Starts and values
 * are spread evenly over the period so the load is steady. Nodes share a few MQTT clients (the
 * gateway sees the same topics either way; a thousand sockets would only load the broker).
 */
import * as net from 'node:net';
import Aedes from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { serve } from '../lib/ipc';

// The devices' local broker lives here too (upstream: RSMB next to the gateway), so the
// orchestrator's event loop carries only the Cumulocity simulator.
const aedes = new Aedes();
const server = net.createServer((socket) => aedes.handle(socket));

interface Dev {
  id: string;
  client: MqttClient;
  temperature: number;
}

const devices = new Map<string, Dev>();
const clients: MqttClient[] = [];
const timers: NodeJS.Timeout[] = [];
let checks = 0;
let values = 0;

function onMessage(client: MqttClient, topic: string, payload: Buffer): void {
  const parts = topic.split('/');
  const d = devices.get(parts[1] ?? '');
  if (!d || parts[0] !== 'gateway') return;
  const text = payload.toString('utf8');
  if (parts[2] === 'discover' && text === 'resources') client.publish(`node/${d.id}/resources`, '["name","os","temperature"]', { qos: 1 });
  if (parts[2] === 'discover' && text === 'values') {
    client.publish(`node/${d.id}/name`, JSON.stringify({ value: `bench ${d.id}` }), { qos: 1 });
    client.publish(`node/${d.id}/os`, '{"value":"riot"}', { qos: 1 });
    client.publish(`node/${d.id}/temperature`, JSON.stringify({ value: `${d.temperature}°C` }), { qos: 1 });
  }
}

serve(
  {
    broker: async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const addr = server.address();
      return { port: typeof addr === 'object' && addr ? addr.port : 0 };
    },
    start: async (m) => {
      const url = String(m['url']);
      const n = Number(m['n']);
      const perClient = Number(m['perClient'] ?? 100);
      const checkMs = Number(m['checkMs'] ?? 30_000);
      const valueMs = Number(m['valueMs'] ?? 1000);
      for (let c = 0; c * perClient < n; c += 1) {
        const client = await mqtt.connectAsync(url, { clientId: `bench-devices-${c}`, reconnectPeriod: 1000, protocolVersion: 4 });
        client.on('message', (topic, payload) => onMessage(client, topic, payload));
        clients.push(client);
        const ids: string[] = [];
        for (let i = c * perClient; i < Math.min(n, (c + 1) * perClient); i += 1) {
          const id = `bn${i}`;
          ids.push(id);
          devices.set(id, { id, client, temperature: 20 + (i % 10) });
        }
        await client.subscribeAsync(
          ids.map((id) => `gateway/${id}/discover`),
          { qos: 1 },
        );
      }
      // Checks: every node once per period, spread over it; values: every node once per valueMs, spread.
      const all = [...devices.values()];
      const tickMs = 50;
      let tick = 0;
      const perTickChecks = (all.length * tickMs) / checkMs;
      const perTickValues = (all.length * tickMs) / valueMs;
      let checkAcc = 0;
      let valueAcc = 0;
      let ci = 0;
      let vi = 0;
      // Every node announces itself at once at start (like a fleet powering up), then steadily.
      for (const d of all) {
        d.client.publish('node/check', JSON.stringify({ id: d.id }), { qos: 1 });
        checks += 1;
      }
      timers.push(
        setInterval(() => {
          tick += 1;
          checkAcc += perTickChecks;
          valueAcc += perTickValues;
          for (; checkAcc >= 1; checkAcc -= 1) {
            const d = all[ci++ % all.length]!;
            d.client.publish('node/check', JSON.stringify({ id: d.id }), { qos: 1 });
            checks += 1;
          }
          for (; valueAcc >= 1; valueAcc -= 1) {
            const d = all[vi++ % all.length]!;
            d.temperature = Math.round((d.temperature + (tick % 3) * 0.1 - 0.1) * 10) / 10;
            d.client.publish(`node/${d.id}/temperature`, JSON.stringify({ value: `${d.temperature}°C` }), { qos: 1 });
            values += 1;
          }
        }, tickMs),
      );
      return { devices: devices.size, clients: clients.length };
    },
    counts: () => ({ checks, values }),
  },
  async () => {
    for (const t of timers) clearInterval(t);
    for (const c of clients) await c.endAsync(true);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    server.close();
  },
);
