/**
 * What the nodes see of a platform connection, whatever the dialect: records in, operations
 * out, outcomes back, status events. `CumulocityAgent` is the first implementation; Trinity,
 * Helix Device Cloud, libpyiotcloud and pyaiot agents implement the same interface, so the
 * measurement, event, alarm and operation nodes work unchanged on every platform.
 */
import type { EventEmitter } from 'node:events';
import type { AlarmChange, DeviceEvent, Measurement, OperationStatus } from '../dialects/types';
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
  platformHttp?(): { baseUrl: string; authorization: string } | undefined;
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
  /** The installed firmware (Cumulocity `115`), sent before a firmware update's SUCCESSFUL. */
  sendFirmware?(fw: SoftwareItem): Promise<void>;
}

/** One entry of the installed-software list. */
export interface SoftwareItem {
  name: string;
  version: string;
  type?: string | undefined;
  url?: string | undefined;
}

/** One position fix (HDC `location.batch`); only lat/lng required. */
export interface GeoLocation {
  lat: number;
  lng: number;
  heading?: number | undefined;
  altitude?: number | undefined;
  speed?: number | undefined;
  fixAcc?: number | undefined;
  fixType?: string | undefined;
  streetNumber?: string | undefined;
  street?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  zipCode?: string | undefined;
  country?: string | undefined;
  time: Date;
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
