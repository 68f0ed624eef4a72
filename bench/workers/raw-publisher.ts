/**
 * Baseline publisher: a bare mqtt.js client publishing one record per PUBLISH, pipelined (up to
 * `window` publishes whose callback has not fired yet: written to the socket for QoS 0, PUBACKed
 * for QoS 1). No Node-RED, no outbox: the floor any agent is compared with.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { serve } from '../lib/ipc';
import { recordLine, TOPIC } from '../lib/records';

let client: MqttClient | undefined;

function publishAll(c: MqttClient, n: number, base: number, qos: 0 | 1, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    const pump = (): void => {
      while (sent < n && sent - done < window) {
        sent += 1;
        c.publish(TOPIC, recordLine(base + sent), { qos, retain: false }, (err) => {
          if (err) {
            reject(err);
            return;
          }
          done += 1;
          if (done === n) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

serve(
  {
    connect: async (m) => {
      client = mqtt.connect(String(m['url']), { clientId: String(m['clientId']), reconnectPeriod: 0, protocolVersion: 4, clean: true });
      await new Promise<void>((resolve, reject) => {
        client?.once('connect', () => resolve());
        client?.once('error', reject);
      });
      return {};
    },
    run: async (m) => {
      if (!client) throw new Error('not connected');
      const qos = m['qos'] === 1 ? 1 : 0;
      await publishAll(client, Number(m['n']), Number(m['base']), qos, Number(m['window']));
      return {};
    },
  },
  async () => {
    await client?.endAsync();
  },
);
