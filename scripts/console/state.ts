/**
 * What the platform console shows, built from the simulator's model: pure, so the page gets one
 * JSON document per change and the server stays a thin HTTP layer.
 */
import type { SimAlarm, SimDevice, SimEvent, SimMeasurement, SimOperation } from '../../test/sim/simulator';

export interface ConsoleDevice {
  id: string;
  name: string;
  type: string;
  connected: boolean;
  supportedOperations: string[];
  lastMessage?: string | undefined;
}

/** One point of one series: `fragment.series` at a time. */
export interface ConsolePoint {
  deviceId: string;
  key: string;
  unit: string;
  time: string;
  value: number;
}

export interface ConsoleState {
  tenant: string;
  devices: ConsoleDevice[];
  /** The last points of every series, oldest first. */
  points: ConsolePoint[];
  alarms: Array<Pick<SimAlarm, 'deviceId' | 'type' | 'severity' | 'text' | 'status' | 'count' | 'time'>>;
  events: Array<Pick<SimEvent, 'deviceId' | 'type' | 'text' | 'time'>>;
  operations: Array<
    Pick<SimOperation, 'id' | 'deviceId' | 'fragment' | 'description' | 'status' | 'failureReason'> & { createdAt: string }
  >;
}

export interface ModelView {
  tenant: string;
  devices: ReadonlyMap<string, SimDevice>;
  measurements: readonly SimMeasurement[];
  alarms: readonly SimAlarm[];
  events: readonly SimEvent[];
  operations: readonly SimOperation[];
  connected(deviceId: string): boolean;
}

export const LIMITS = { pointsPerSeries: 120, events: 50, operations: 50 };

export function consoleState(m: ModelView): ConsoleState {
  const perSeries = new Map<string, ConsolePoint[]>();
  // Newest first, so a long run costs only the window we keep.
  for (let i = m.measurements.length - 1; i >= 0; i -= 1) {
    const rec = m.measurements[i];
    if (!rec) continue;
    for (const s of rec.series) {
      const key = `${s.fragment}.${s.series}`;
      const id = `${rec.deviceId}\u0000${key}`;
      const list = perSeries.get(id) ?? [];
      if (list.length >= LIMITS.pointsPerSeries) continue;
      list.push({ deviceId: rec.deviceId, key, unit: s.unit, time: rec.time, value: s.value });
      perSeries.set(id, list);
    }
  }
  const points = [...perSeries.values()].flatMap((l) => l.reverse()).sort((a, b) => a.time.localeCompare(b.time));
  return {
    tenant: m.tenant,
    devices: [...m.devices.values()]
      .filter((d) => d.isDevice)
      .map((d) => ({
        id: d.externalId,
        name: d.name,
        type: d.type,
        connected: m.connected(d.externalId),
        supportedOperations: [...d.supportedOperations],
        lastMessage: d.lastMessage?.toISOString(),
      })),
    points,
    alarms: m.alarms.map(({ deviceId, type, severity, text, status, count, time }) => ({
      deviceId,
      type,
      severity,
      text,
      status,
      count,
      time,
    })),
    events: m.events.slice(-LIMITS.events).map(({ deviceId, type, text, time }) => ({ deviceId, type, text, time })),
    operations: m.operations.slice(-LIMITS.operations).map((o) => ({
      id: o.id,
      deviceId: o.deviceId,
      fragment: o.fragment,
      description: o.description,
      status: o.status,
      failureReason: o.failureReason,
      createdAt: o.createdAt.toISOString(),
    })),
  };
}

export interface OperationRequest {
  deviceId: string;
  fragment: string;
  params: unknown;
  description: string;
}

/** Checks an operation the page asks for; the fragment becomes a JSON key and a topic word. */
export function parseOperationRequest(body: unknown, devices: ReadonlyMap<string, SimDevice>): OperationRequest | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  const deviceId = typeof b['deviceId'] === 'string' ? b['deviceId'] : '';
  const fragment = typeof b['fragment'] === 'string' ? b['fragment'].trim() : '';
  if (!devices.has(deviceId)) return `unknown device "${deviceId}"`;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(fragment)) return 'fragment must be a name like c8y_Restart';
  const params = b['params'] ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'params must be a JSON object';
  const description =
    typeof b['description'] === 'string' && b['description'] ? b['description'].slice(0, 200) : `${fragment} from the console`;
  return { deviceId, fragment, params, description };
}
