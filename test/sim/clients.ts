// Raw mqtt.js clients for tests against the simulator: no reconnects, everything closable.
import mqtt, { ErrorWithSubackPacket, type IClientOptions, type MqttClient } from 'mqtt';

export interface Inbox {
  messages: Array<{ topic: string; payload: string }>;
  on(topic: string): string[];
}

/** Record everything a client receives, in order. */
export function inbox(client: MqttClient): Inbox {
  const messages: Array<{ topic: string; payload: string }> = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString('utf8') }));
  return { messages, on: (topic) => messages.filter((m) => m.topic === topic).map((m) => m.payload) };
}

/** Poll `predicate` until it holds (client-side state the simulator's 'change' cannot see). */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves when the client's connection closes (for any reason). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** SUBACK codes for these filters (mqtt.js rejects subscribeAsync when any is 128). */
export function grants(client: MqttClient, topics: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, { qos: 1 }, (err, granted) => {
      // On a refusal mqtt.js reports the requested QoS in `granted`; the SUBACK is on the error.
      if (err instanceof ErrorWithSubackPacket) resolve(err.packet.granted.map(Number));
      else if (err) reject(err);
      else resolve((granted ?? []).map((g) => g.qos));
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const BASE: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clean: true };

/** Tracks clients so a test can close all of them in `finally`. */
export class ClientPool {
  private readonly clients: MqttClient[] = [];

  /** Connect and resolve on CONNACK 0; reject with the refusal otherwise. */
  async open(url: string, opts: IClientOptions): Promise<MqttClient> {
    const client = mqtt.connect(url, { ...BASE, ...opts });
    this.clients.push(client);
    const code = await connackOf(client);
    if (code !== 0) throw new Error(`CONNACK ${code}`);
    return client;
  }

  /** The CONNACK return code a CONNECT with these options gets (0 = accepted). */
  async connack(url: string, opts: IClientOptions): Promise<number> {
    const client = mqtt.connect(url, { ...BASE, ...opts });
    this.clients.push(client);
    const code = await connackOf(client);
    await client.endAsync(true);
    return code;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(true)));
  }
}

function connackOf(client: MqttClient): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const onConnect = (): void => {
      done();
      resolve(0);
    };
    const onError = (err: Error): void => {
      done();
      if ('code' in err && typeof err.code === 'number') resolve(err.code);
      else reject(err);
    };
    const onClose = (): void => {
      done();
      reject(new Error('connection closed before CONNACK'));
    };
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
