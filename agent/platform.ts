/**
 * What the nodes see of a platform connection, whatever the dialect: records in, operations
 * out, outcomes back, status events. `CumulocityAgent` is the first implementation; Trinity,
 * Helix Device Cloud, libpyiotcloud and pyaiot agents implement the same interface, so the
 * measurement, event, alarm and operation nodes work unchanged on every platform.
 */
import type { EventEmitter } from 'node:events';
import type { AlarmChange, DeviceEvent, GeoLocation, Measurement, OperationStatus, SoftwareItem } from '../dialects/types';
export type { GeoLocation, SoftwareItem } from '../dialects/types';
import type { SessionSettings } from '../transport/session';
import type { OperationConsumer } from './operations';

export type AgentState =
  | 'connecting'
  | 'bootstrapping'
  | 'connected'
  | 'disconnected'
  | 'bad-credentials'
  | 'not-authorized'
  | 'takeover'
  | 'config-error'
  | 'registration-timeout'
  | 'stopped';

export interface AgentStatus {
  state: AgentState;
  detail?: string | undefined;
  /** Records stored and not yet acknowledged by the broker. */
  queued: number;
  /** Telemetry records dropped because the outbox was full (since the store was created). */
  dropped: number;
  /**
   * The last command from the platform was refused as bad input (malformed, unknown, wrong
   * arguments): shown red under the nodes while connected, cleared by the next good command.
   */
  alert?: string | undefined;
}

/**
 * Events: `status` (AgentStatus), `warning` (string), `dropped` (count, total),
 * `platform-error` ({code, template, text}).
 */
export interface PlatformAgent extends EventEmitter {
  readonly currentStatus: AgentStatus;
  start(): void;
  /** Closes the session; open operations that do not complete by a restart are FAILED first. */
  stop(): Promise<void>;
  /** Each resolves once the record is in the outbox; rejects with the reason it was refused. */
  sendMeasurement(m: Measurement): Promise<void>;
  sendEvent(e: DeviceEvent): Promise<void>;
  sendAlarm(a: AlarmChange): Promise<void>;
  /** The device's current text configuration. */
  sendConfiguration(text: string): Promise<void>;
  addConsumer(c: OperationConsumer): void;
  removeConsumer(c: OperationConsumer): void;
  /**
   * The platform's HTTP side with the device's authorization, for platforms that have one
   * (binary uploads, remote-access WebSockets); undefined when not available.
   */
  platformHttp?(): PlatformHttpAccess | undefined;
  /**
   * The operation that asks this device for a remote-access tunnel, when it is not Cumulocity's
   * `c8y_RemoteAccessConnect` (Helix Device Cloud: the `remote-access` method, relay form).
   */
  readonly remoteAccessOperation?: string | undefined;
  /** The flow's outcome for an operation; returns an error text if it cannot be applied. */
  report(key: string, status: OperationStatus, reason?: string, result?: string[]): string | undefined;
  /**
   * The consumer reports this operation's outcome itself, possibly after Node-RED restarted
   * (software updates): kept on disk, reopened in the next process instead of being failed as
   * stale, FAILED if nothing is reported within `timeoutSec`. Returns an error text if not open.
   */
  deferOperation?(key: string, timeoutSec: number): string | undefined;
  /**
   * The installed software, sent before a software update's SUCCESSFUL. Cumulocity: `legacy` is
   * one `116` (fails when the list does not fit one record), `advanced` is `140` with the first
   * items and `141` batches for the rest (cumulocity.md §9).
   */
  sendSoftwareList?(items: readonly SoftwareItem[], mode: 'legacy' | 'advanced'): Promise<void>;
  /** The software types this device can install (Cumulocity `143`). */
  sendSoftwareTypes?(types: readonly string[]): Promise<void>;
  /**
   * The settings of the first session this agent would open (with a password computed now where
   * the dialect computes one), for the editor's Test connection; no side effects.
   */
  probeSession?(): SessionSettings | undefined;
  /** The installed firmware (Cumulocity `115`), sent before a firmware update's SUCCESSFUL. */
  sendFirmware?(fw: SoftwareItem): Promise<void>;
}

/**
 * The platform's HTTP side for one request: base URL, the device's Authorization header, and the
 * connection's TLS trust (its private CA, whether the server certificate is verified) so that REST
 * and WebSocket side calls trust exactly what the MQTT session trusts.
 */
export interface PlatformHttpAccess {
  baseUrl: string;
  authorization: string;
  ca?: string | undefined;
  /** Default true. */
  verifyServer?: boolean | undefined;
}

/** Node's TLS options for a request to the platform's HTTP side. */
export function platformTls(a: Pick<PlatformHttpAccess, 'ca' | 'verifyServer'>): { ca?: string; rejectUnauthorized: boolean } {
  return { ...(a.ca ? { ca: a.ca } : {}), rejectUnauthorized: a.verifyServer !== false };
}

/**
 * What platforms with device attributes, locations and a file store offer beyond
 * {@link PlatformAgent} (Helix Device Cloud, issue 9). Nodes check for each method and refuse
 * with a clear error on platforms without it.
 */
export interface ExtendedAgent {
  /** Text properties of the device (HDC attributes), all with one time. */
  sendAttributes?(attrs: Readonly<Record<string, string>>, time: Date): Promise<void>;
  sendLocation?(fix: GeoLocation): Promise<void>;
  /** The platform's file store: resolves with the file id to GET from / POST to, and where. */
  fileStore?(): FileStore | undefined;
}

export interface FileStoreTarget {
  /** `https://host:port/file/<id>` */
  url: string;
  size?: number | undefined;
  crc32?: number | undefined;
}

export interface FileStore {
  /** TLS settings for the HTTPS file service (CA, verification). */
  tls: { ca?: string | undefined; verifyServer: boolean };
  /** Ask for a download; rejects with `notFound: true` when the store has no such file. */
  prepareDownload(name: string, global: boolean): Promise<FileStoreTarget>;
  prepareUpload(name: string, crc32: number, global: boolean): Promise<FileStoreTarget>;
  /** An HTTP(S) proxy URL to use for transfers, when configured. */
  proxy?: string | undefined;
}
