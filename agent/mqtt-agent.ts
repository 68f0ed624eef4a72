/**
 * What every platform agent over one MQTT session shares, whatever its dialect: the session
 * life cycle (refusals, takeover, reconnects), a courier draining the outbox only while the
 * session's start sequence allows it, start-up lines sent and waited for, and the status the
 * connection node shows. Moved out of CumulocityAgent when the Trinity and libpyiotcloud agents
 * came (issue 8); each subclass adds its start sequence and its inbound handling.
 *
 * Events: `status` (AgentStatus), `warning` (string), `dropped` (count, total).
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { AlarmChange, BatchRule, DeviceEvent, Measurement, OperationStatus, Outbound, Result } from '../dialects/types';
import { TakeoverDetector } from '../transport/backoff';
import { Courier } from '../transport/courier';
import { LANES, type Lane, type Outbox } from '../transport/outbox';
import { MqttSession, type RefusalDecision, type SessionEnd, type SessionSettings } from '../transport/session';
import type { OperationConsumer } from './operations';
import type { AgentState, AgentStatus, PlatformAgent } from './platform';

const SESSION_ONLY: readonly Lane[] = ['session'];

/** TCP_NODELAY on an mqtt.js client's stream when it is a TCP or TLS socket (not a WebSocket). */
function setNoDelay(client: unknown): void {
  const stream = (client as { stream?: unknown } | undefined)?.stream;
  if (stream instanceof Socket) stream.setNoDelay(true);
}

export abstract class MqttAgent extends EventEmitter implements PlatformAgent {
  protected session: MqttSession | undefined;
  protected readonly courier: Courier;
  protected readonly takeover = new TakeoverDetector();
  protected status: AgentStatus = { state: 'connecting', queued: 0, dropped: 0 };
  /** Bumped on every session up and down: work of an older session checks it and stops. */
  protected generation = 0;
  protected stopped = false;
  /** The start sequence of the current session is done: every lane drains. */
  protected sessionReady = false;
  /** Telemetry dropped by a full outbox and not yet told to the platform. */
  protected unreportedDrops = 0;
  private refused5 = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  /**
   * Turn Nagle's algorithm off on the session's socket: for request/reply platforms, where a
   * reply written right behind a PUBACK would otherwise wait for the broker's delayed ACK
   * (about 40 ms on Linux, twice per round trip). mqtt.js leaves it on.
   */
  protected noDelay = false;
  /**
   * Publishes per second while the backlog queued before this session drains (0 = no limit): see
   * Courier.paceBacklog. Dialects with a platform rate limit set it.
   */
  protected drainRate = 0;

  constructor(
    protected readonly outbox: Outbox,
    rule: BatchRule,
    /** After CONNACK 4: wait this long before trying again; 0 = not until redeploy. */
    private readonly badCredentialsRetrySec: number,
  ) {
    super();
    this.courier = new Courier(outbox, rule);
    this.courier.on('rejected', (records: { payload: string }[], err: Error) =>
      this.emit('warning', `broker refused ${records.length} record(s): ${err.message}`),
    );
    outbox.on('change', this.onOutboxChange);
    outbox.on('warning', this.onOutboxWarning);
    outbox.on('dropped', this.onOutboxDropped);
  }

  /** Current status, for nodes that register late. */
  get currentStatus(): AgentStatus {
    return this.status;
  }

  abstract start(): void;
  abstract sendMeasurement(m: Measurement): Promise<void>;
  abstract sendEvent(e: DeviceEvent): Promise<void>;
  abstract sendAlarm(a: AlarmChange): Promise<void>;
  abstract sendConfiguration(text: string): Promise<void>;
  abstract addConsumer(c: OperationConsumer): void;
  abstract removeConsumer(c: OperationConsumer): void;
  abstract report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined;

  /** The first steps after CONNACK 0 (subscriptions, start-up lines); ends with {@link markReady}. */
  protected abstract runStartSequence(session: MqttSession, gen: number): Promise<void>;
  /** A downstream publish of the current session. Must not throw. */
  protected abstract onMessage(topic: string, payload: Buffer): void;
  /** Stop hook, before the session closes: fail open operations, clear timers. */
  protected abstract beforeStop(): void;

  /** Queues an encoded record. Resolves once it is in the outbox; rejects with the encoder's reason. */
  async send(rec: Result<Outbound>): Promise<void> {
    if (!rec.ok) throw new Error(rec.error);
    await this.outbox.put(rec.value, rec.value.priority === 'control' ? 'control' : 'telemetry');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.beforeStop();
    this.outbox.off('change', this.onOutboxChange);
    this.outbox.off('warning', this.onOutboxWarning);
    this.outbox.off('dropped', this.onOutboxDropped);
    const s = this.session;
    this.session = undefined;
    // Give statuses queued just now (and any backlog) a moment to leave while still connected.
    if (s?.isUp && this.sessionReady) await this.waitIdle(1000);
    this.courier.dispose();
    this.outbox.clearLane('session');
    if (s) await s.stop();
    this.setStatus({ state: 'stopped' });
  }

  // ---- sessions -------------------------------------------------------------------------------

  protected startSession(settings: SessionSettings): MqttSession {
    this.setStatus({ state: 'connecting' });
    const session = new MqttSession(settings, (code) => this.onRefused(code));
    this.session = session;
    session.on('up', (client: unknown) => {
      if (this.noDelay) setNoDelay(client);
      this.onUp(session);
    });
    session.on('down', (end: SessionEnd) => this.onDown(session, end));
    session.on('message', (topic: string, payload: Buffer) => this.onMessage(topic, payload));
    session.on('state', (st: string) => {
      if (st === 'connecting' && this.status.state === 'disconnected') this.setStatus({ state: 'connecting' });
    });
    session.start();
    return session;
  }

  protected onRefused(code: number): RefusalDecision {
    if (code === 1 || code === 2) {
      const detail = code === 1 ? 'protocol version refused' : 'client id refused';
      this.setStatus({ state: 'config-error', detail });
      return { kind: 'stop' };
    }
    if (code === 4) {
      this.setStatus({ state: 'bad-credentials' });
      const s = this.badCredentialsRetrySec;
      return s > 0 ? { kind: 'wait', ms: s * 1000 } : { kind: 'stop' };
    }
    if (code === 5) {
      this.refused5 += 1;
      if (this.refused5 >= 5) this.setStatus({ state: 'not-authorized' });
      // Cumulocity also answers 5 when overloaded: never retry faster than half the ceiling.
      return { kind: 'backoff', floor: 0.5 };
    }
    return { kind: 'backoff' };
  }

  private onUp(session: MqttSession): void {
    if (session !== this.session) return;
    this.generation += 1;
    const gen = this.generation;
    this.refused5 = 0;
    this.courier.attach((topic, payload) => this.publishRecord(session, topic, payload), SESSION_ONLY);
    this.runStartSequence(session, gen).catch((err: unknown) => {
      if (gen !== this.generation || this.stopped) return;
      this.emit('warning', `session start failed: ${err instanceof Error ? err.message : String(err)}`);
      session.drop();
    });
  }

  protected onDown(session: MqttSession, end: SessionEnd): void {
    if (session !== this.session && !this.stopped) return;
    this.generation += 1;
    this.sessionReady = false;
    this.courier.detach();
    this.outbox.clearLane('session');
    if (this.stopped) return;
    // A failed attempt in between means the broker was away (restart, outage), not that another
    // client took our id over: a takeover loop reconnects at once every time.
    if (!end.wasUp) this.takeover.clear();
    if (end.wasUp && this.takeover.sessionEnded(Date.now(), end.upForMs, end.localCause)) {
      session.delayNext(300_000);
      this.setStatus({ state: 'takeover' });
      return;
    }
    const keep: AgentState[] = ['bad-credentials', 'not-authorized', 'config-error', 'takeover'];
    if (!keep.includes(this.status.state)) this.setStatus({ state: 'disconnected' });
  }

  /** Work of session `gen` may go on. */
  protected isLive(gen: number): boolean {
    return gen === this.generation && !this.stopped;
  }

  /** The start sequence is done: every lane drains and the nodes show connected. */
  protected markReady(): void {
    this.sessionReady = true;
    this.courier.paceBacklog(this.drainRate); // before the lanes open, or the backlog would leave at once
    this.courier.setLanes(LANES);
    this.setStatus({ state: 'connected', alert: undefined });
  }

  /** Subscribes, retrying refused filters with a doubling delay (about 2 minutes in all). */
  protected async subscribeWithRetry(session: MqttSession, topics: string[], live: () => boolean): Promise<void> {
    let delay = 2000;
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const granted = await session.subscribe(topics);
      const refused = topics.filter((_, i) => granted[i] === 128);
      if (refused.length === 0) return;
      if (attempt === 6 || !live()) throw new Error(`subscription refused: ${refused.join(', ')}`);
      this.emit('warning', `subscription refused, retrying in ${delay / 1000} s: ${refused.join(', ')}`);
      await new Promise((r) => setTimeout(r, delay));
      if (!live()) return;
      topics = refused;
      delay *= 2;
    }
  }

  /**
   * Publishes one record (or a joined run) the courier took from the outbox. Dialects whose topic
   * depends on the session (HDC numbers every request per connection) override it.
   */
  protected publishRecord(session: MqttSession, topic: string, payload: string): Promise<void> {
    return session.publish(topic, payload);
  }

  /** Queues a record on the session lane (sent first, discarded when the session ends, never stored). */
  protected async putSession(rec: Result<Outbound>): Promise<number> {
    if (!rec.ok) throw new Error(rec.error);
    return this.outbox.put(rec.value, 'session');
  }

  /** Queues a start-up line and waits for its PUBACK. */
  protected async sendSessionLine(rec: Result<Outbound>): Promise<void> {
    const seq = await this.putSession(rec);
    await new Promise<void>((resolve, reject) => {
      const onAck = (): void => {
        if (!this.outbox.isPending(seq)) {
          cleanup();
          resolve();
        }
      };
      const onDown = (): void => {
        cleanup();
        reject(new Error('session ended during start-up'));
      };
      const cleanup = (): void => {
        this.outbox.off('change', onAck);
        this.session?.off('down', onDown);
      };
      this.outbox.on('change', onAck);
      this.session?.once('down', onDown);
      onAck();
    });
  }

  /** Queues a control record from an event handler: a refusal of the store becomes a warning. */
  protected putControl(rec: Outbound): void {
    this.outbox
      .put(rec, 'control')
      .catch((err: unknown) => this.emit('warning', `could not queue ${rec.payload.slice(0, 40)}: ${String(err)}`));
  }

  // ---- status ---------------------------------------------------------------------------------

  private readonly onOutboxWarning = (err: Error): void => {
    this.emit('warning', `outbox: ${err.message}`);
  };

  /** Telemetry dropped because the store was full: say so now, and tell the platform once connected. */
  private readonly onOutboxDropped = (n: number): void => {
    this.unreportedDrops += n;
    this.emit('dropped', n, this.outbox.stats().dropped);
    this.setStatus({});
  };

  private readonly onOutboxChange = (): void => {
    if (this.status.state === 'connected' || this.queueTimer) return;
    this.queueTimer = setTimeout(() => {
      this.queueTimer = undefined;
      this.setStatus({});
    }, 1000);
  };

  protected setStatus(change: Partial<AgentStatus>): void {
    const st = this.outbox.stats();
    const next: AgentStatus = {
      ...this.status,
      detail: undefined,
      ...change,
      queued: st.pending + st.inFlight,
      dropped: st.dropped,
    };
    const same =
      next.state === this.status.state &&
      next.detail === this.status.detail &&
      next.queued === this.status.queued &&
      next.dropped === this.status.dropped &&
      next.alert === this.status.alert;
    this.status = next;
    if (!same) this.emit('status', next);
  }

  /** Resolves when nothing is pending or in flight, or after `ms`. */
  protected waitIdle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const st = this.outbox.stats();
        if (st.inFlight === 0 && st.pending === 0) done();
      };
      const done = (): void => {
        clearTimeout(t);
        this.outbox.off('change', check);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.outbox.on('change', check);
      check();
    });
  }
}
