/**
 * Baseline of the pyaiot gateway line: the least a relay can do with the same traffic. A bare
 * mqtt.js client on the devices' broker (node/check, node/+/+) and another on the Cumulocity
 * simulator; every `temperature` value becomes one `200` line on `s/us/<child>` at QoS 1. No
 * discovery, no liveness table, no child registration, no outbox, no Node-RED.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { serve } from '../lib/ipc';

let local: MqttClient | undefined;
let c8y: MqttClient | undefined;
let relayed = 0;

serve(
  {
    start: async (m) => {
      c8y = await mqtt.connectAsync(String(m['c8yUrl']), {
        clientId: String(m['deviceId']),
        username: String(m['user']),
        password: String(m['password']),
        reconnectPeriod: 1000,
        protocolVersion: 4,
      });
      const up = c8y;
      local = await mqtt.connectAsync(String(m['url']), { clientId: 'bench-raw-relay', reconnectPeriod: 1000, protocolVersion: 4 });
      local.on('message', (topic, payload) => {
        const parts = topic.split('/');
        if (parts.length !== 3 || parts[2] !== 'temperature') return;
        let v: unknown;
        try {
          v = (JSON.parse(payload.toString('utf8')) as { value?: unknown }).value;
        } catch {
          return;
        }
        const n = Number.parseFloat(String(v));
        if (!Number.isFinite(n)) return;
        up.publish(`s/us/${String(m['deviceId'])}-${parts[1] ?? ''}`, `200,pyaiot,temperature,${n},°C`, { qos: 1 });
        relayed += 1;
      });
      await local.subscribeAsync(['node/check', 'node/+/+'], { qos: 1 });
      return {};
    },
    counts: () => ({ relayed }),
  },
  async () => {
    await local?.endAsync(true);
    await c8y?.endAsync(true);
  },
);
