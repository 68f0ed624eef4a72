// A pyaiot MQTT node like upstream's utils/mqtt/mqtt-test-node.py (pyaiot.md §8 "node simulator"),
// for testing the gateway discovery node: `node/check` at start and every period, both discover
// answers, `temperature` and `pressure` periodically, `led` sets echoed (with the state kept, not
// the upstream bug of §9). Modes for the bad cases: stop checking, publish anything raw.
import mqtt, { type MqttClient } from 'mqtt';

export interface NodeSimOptions {
  url: string;
  id: string;
  checkMs?: number;
  temperatureMs?: number;
  pressureMs?: number;
  /** Resources announced (default: name, os, led, temperature, pressure). */
  resources?: string[];
  /** Share one connection: several simulated nodes on one MQTT client (the 1 000-node bench). */
  client?: MqttClient;
}

export class PyaiotNodeSim {
  readonly sets: Array<[string, string]> = [];
  led = '0';
  temperature = 21.5;
  pressure = 1003;
  checking = true;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly own: boolean;

  private constructor(
    private readonly opts: NodeSimOptions,
    private readonly client: MqttClient,
  ) {
    this.own = !opts.client;
  }

  static async start(opts: NodeSimOptions): Promise<PyaiotNodeSim> {
    const client = opts.client ?? mqtt.connect(opts.url, { clientId: `sim-${opts.id}`, reconnectPeriod: 200 });
    if (!opts.client) {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
    }
    const n = new PyaiotNodeSim(opts, client);
    client.on('message', (topic, payload) => n.onMessage(topic, payload.toString('utf8')));
    await client.subscribeAsync([`gateway/${opts.id}/discover`, `gateway/${opts.id}/+/set`], { qos: 1 });
    n.check();
    n.timers.push(setInterval(() => n.check(), opts.checkMs ?? 30_000));
    if (opts.temperatureMs !== 0) n.timers.push(setInterval(() => n.value('temperature'), opts.temperatureMs ?? 5000));
    if (opts.pressureMs !== 0) n.timers.push(setInterval(() => n.value('pressure'), opts.pressureMs ?? 10_000));
    return n;
  }

  get id(): string {
    return this.opts.id;
  }

  get resources(): string[] {
    return this.opts.resources ?? ['name', 'os', 'led', 'temperature', 'pressure'];
  }

  check(): void {
    if (this.checking) this.client.publish('node/check', JSON.stringify({ id: this.opts.id }), { qos: 1 });
  }

  /** Publishes one resource's current value (T5). */
  value(resource: string): void {
    const v: Record<string, unknown> = {
      name: `Simulated ${this.opts.id}`,
      os: 'riot',
      led: this.led,
      temperature: `${this.temperature}°C`,
      pressure: `${this.pressure}hPa`,
    };
    this.client.publish(`node/${this.opts.id}/${resource}`, JSON.stringify({ value: v[resource] ?? resource }), { qos: 1 });
  }

  /** Anything on any topic, as a broken node would send it. */
  raw(topic: string, payload: string): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (this.own) await this.client.endAsync(true);
  }

  private onMessage(topic: string, text: string): void {
    const id = this.opts.id;
    if (topic === `gateway/${id}/discover`) {
      if (text === 'resources') this.client.publish(`node/${id}/resources`, JSON.stringify(this.resources), { qos: 1 });
      if (text === 'values') for (const r of this.resources) this.value(r);
      return;
    }
    if (topic === `gateway/${id}/led/set`) {
      this.sets.push(['led', text]);
      this.led = text;
      this.value('led');
    }
  }
}
