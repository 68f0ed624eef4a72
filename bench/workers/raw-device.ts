/**
 * Baseline device for lines 3 and 5: a bare mqtt.js client speaking just enough SmartREST to the
 * simulator — no Node-RED, no outbox, no retries. It answers every operation it is sent with
 * EXECUTING and SUCCESSFUL at once (`504`, `506` by operation id), and its start-up is the minimum
 * of the Cumulocity start-up sequence (s/e, `100`, operation topic, `114`, `500`).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { serve, type Reply } from '../lib/ipc';
import { isRecord } from '../lib/util';

let client: MqttClient | undefined;

interface Login {
  url: string;
  clientId: string;
  username: string;
  password: string;
}

function login(m: Reply): Login {
  return { url: String(m['url']), clientId: String(m['clientId']), username: String(m['username']), password: String(m['password']) };
}

/** The start-up sequence, each publish at QoS 1 and awaited, as the agent does it. */
async function startUp(l: Login): Promise<MqttClient> {
  const c = await mqtt.connectAsync(l.url, {
    clientId: l.clientId,
    username: l.username,
    password: l.password,
    reconnectPeriod: 0,
    protocolVersion: 4,
    clean: true,
  });
  await c.subscribeAsync('s/e', { qos: 1 });
  await c.publishAsync('s/us', '100,bench,c8y_MQTTDevice', { qos: 1 });
  await c.subscribeAsync('devicecontrol/notifications', { qos: 1 });
  await c.publishAsync('s/us', '114,c8y_Command', { qos: 1 });
  await c.publishAsync('s/us', '500', { qos: 1 });
  return c;
}

function answer(c: MqttClient): void {
  c.on('message', (topic, payload) => {
    if (topic !== 'devicecontrol/notifications') return;
    let op: unknown;
    try {
      op = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (!isRecord(op) || typeof op['id'] !== 'string') return;
    c.publish('s/us', `504,${op['id']}`, { qos: 1 });
    c.publish('s/us', `506,${op['id']},ok`, { qos: 1 });
  });
}

serve(
  {
    /** Connects for the round-trip line and answers operations from then on. */
    responder: async (m) => {
      client = await startUp(login(m));
      answer(client);
      return {};
    },
    /** One start-up (line 5); the client is closed again right after. */
    startup: async (m) => {
      const c = await startUp(login(m));
      await c.endAsync();
      return {};
    },
  },
  async () => {
    await client?.endAsync();
  },
);
