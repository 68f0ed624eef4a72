/**
 * Types shared by every platform dialect. Dialects are pure: no I/O, no clocks, no Node-RED.
 * Time always comes in as an argument.
 */

/** Outcome of a pure function that can refuse its input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: string): Result<T> => ({ ok: false, error });

/**
 * Delivery class of an outbound record. `control` (operation statuses, inventory, start-up lines)
 * is sent before `telemetry` and never dropped to make room (issue 4).
 */
export type Priority = 'control' | 'telemetry';

/** One record ready for the outbox: a topic and a payload the dialect has already encoded. */
export interface Outbound {
  topic: string;
  payload: string;
  priority: Priority;
  /** May be joined with neighbouring records of the same topic into one publish. */
  batchable: boolean;
}

/** How a dialect joins batchable records into one publish. */
export interface BatchRule {
  separator: string;
  /** Maximum UTF-8 bytes of one joined payload. */
  maxPayloadBytes: number;
}

export interface MeasurementSeries {
  fragment: string;
  series: string;
  value: number;
  unit?: string | undefined;
}

export interface Measurement {
  /** Measurement type; defaults to the first fragment. */
  type?: string | undefined;
  time: Date;
  series: MeasurementSeries[];
  /** Child device external id; undefined = this device. */
  child?: string | undefined;
}

export interface DeviceEvent {
  type: string;
  text: string;
  time: Date;
  child?: string | undefined;
}

export type AlarmSeverity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING';
export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];

export interface AlarmRaise {
  action: 'raise';
  type: string;
  severity: AlarmSeverity;
  text: string;
  time: Date;
  child?: string | undefined;
}

export interface AlarmClear {
  action: 'clear';
  type: string;
  child?: string | undefined;
}

export type AlarmChange = AlarmRaise | AlarmClear;

export type OperationStatus = 'EXECUTING' | 'SUCCESSFUL' | 'FAILED';

/** An operation received from the platform, in the same shape whatever the wire form was. */
export interface Operation {
  /** Platform operation id, when the wire form carries one (Cumulocity id mode). */
  id?: string | undefined;
  /** Fragment / command name, e.g. `c8y_Restart`. */
  fragment: string;
  /** External id of the device the operation targets (this device or a child). */
  deviceId: string;
  /** Parameters in the platform's JSON fragment shape, e.g. `{ text: 'uptime' }` for c8y_Command. */
  params: unknown;
  /** Short human description, when the platform sends one. */
  description?: string | undefined;
}

/** What a downstream publish decodes to. */
export type Inbound =
  | { kind: 'operation'; operation: Operation }
  | { kind: 'bad-operation'; fragment: string; deviceId: string; id?: string | undefined; reason: string }
  | { kind: 'credentials'; tenant: string; username: string; password: string }
  | { kind: 'platform-error'; code: string; template: string; text: string }
  | { kind: 'reply'; template: string; fields: string[] }
  | { kind: 'ignored'; reason: string };

/** A status report for an operation, as the flow gives it. */
export interface StatusReport {
  operation: Operation;
  status: OperationStatus;
  /** Reason for FAILED. */
  reason?: string | undefined;
  /** Result parameters for SUCCESSFUL (e.g. command output). */
  result?: string[] | undefined;
}

/** One entry of a device's installed-software list, or its firmware. */
export interface SoftwareItem {
  name: string;
  version: string;
  type?: string | undefined;
  url?: string | undefined;
}

/** One position fix (HDC `location.batch`, a location node); only lat/lng required. */
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
