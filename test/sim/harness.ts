// Test harness for the simulator's own tests and for integration tests: one simulator per test,
// raw mqtt.js clients, and hand-built CONNECTs for what mqtt.js cannot send.
import * as net from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
import { ClientPool } from './clients';
import { CumulocitySimulator, type SimOptions } from './simulator';

export type Body = (sim: CumulocitySimulator, pool: ClientPool) => Promise<void>;

/** Every test gets its own simulator and closes all it opened, pass or fail. */
export async function withSim(opts: SimOptions, body: Body): Promise<void> {
  const sim = await CumulocitySimulator.start(opts);
  const pool = new ClientPool();
  try {
    await body(sim, pool);
  } finally {
    await pool.closeAll();
    await sim.stop();
  }
}

export function creds(sim: CumulocitySimulator, id: string, password = 'pw'): IClientOptions {
  return { clientId: id, username: `${sim.tenant}/device_${id}`, password };
}

/** A registered device connected with its user, subscribed to s/e. */
export async function device(sim: CumulocitySimulator, pool: ClientPool, id: string, extra: IClientOptions = {}): Promise<MqttClient> {
  sim.addDeviceUser(id, 'pw');
  const c = await pool.open(sim.url(), { ...creds(sim, id), ...extra });
  await c.subscribeAsync('s/e', { qos: 1 });
  return c;
}

/** One QoS 1 publish of several lines; resolves on PUBACK, when the simulator has processed it. */
export async function publish(c: MqttClient, lines: string | string[], topic = 's/us'): Promise<void> {
  await c.publishAsync(topic, Array.isArray(lines) ? lines.join('\n') : lines, { qos: 1 });
}

/** CONNACK code for a hand-built CONNECT of this protocol level (mqtt.js cannot send e.g. level 5 here). */
export function rawConnack(port: number, level: number, clientId: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const id = Buffer.from(clientId);
    const props = level === 5 ? [0] : [];
    const body = Buffer.concat([
      Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, level, 0x02, 0, 60, ...props]),
      Buffer.from([id.length >> 8, id.length & 0xff]),
      id,
    ]);
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    socket.once('data', (d) => {
      resolve(d[3] ?? -1);
      socket.destroy();
    });
    socket.once('close', () => resolve('closed'));
  });
}

/** A silent raw session: CONNECT with credentials, a QoS 1 will on s/us and this keep-alive. */
export function silentSession(port: number, id: string, keepalive: number, will: string): net.Socket {
  const str = (v: string): Buffer => {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x80 | 0x40 | 0x08 | 0x04 | 0x02; // user, password, will QoS 1, will, clean
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, 0, keepalive]),
    str(id),
    str('s/us'),
    str(will),
    str(`t12345/device_${id}`),
    str('pw'),
  ]);
  const socket = net.connect(port, '127.0.0.1');
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  return socket;
}

/** The s/e codes sent so far, in order. */
export const codes = (sim: CumulocitySimulator): string[] => sim.errorsSent.map((e) => e.line.split(',')[0] ?? '');
