// The simulator's Cumulocity model: inventory, data, alarms and operations, with no MQTT in it.

export type OperationStatus = 'PENDING' | 'EXECUTING' | 'SUCCESSFUL' | 'FAILED';

export interface SimOperation {
  id: string;
  deviceId: string; // external id of the target (root or child)
  fragment: string;
  params: unknown;
  description: string;
  status: OperationStatus;
  failureReason?: string;
  result?: string[]; // extra parameters of 503/506 (c8y_Command output, log URL, …)
  history: OperationStatus[]; // every status it has had, starting with PENDING
  createdAt: Date;
}

export interface SoftwareItem {
  name: string;
  version: string;
  url: string;
  type?: string;
}

export interface SimDevice {
  id: string; // managed object id (moId), as answered to 123
  externalId: string;
  name: string;
  type: string;
  isDevice: boolean;
  parent?: string;
  children: string[];
  hardware?: { serialNumber: string; model: string; revision: string };
  supportedOperations: string[];
  requiredInterval?: number;
  agent?: { name: string; version: string; url: string; maintainer: string };
  software?: SoftwareItem[]; // 116 (legacy list)
  advancedSoftware?: SoftwareItem[]; // 140/141/142
  softwareTypes?: string[]; // 143
  firmware?: { name: string; version: string; url: string };
  config?: string; // 113
  typedConfigs?: Array<{ type: string; url: string; fileName: string; time: string }>; // 120
  logTypes?: string[]; // 118
  configTypes?: string[]; // 119
  profile?: { executed: boolean; profileId: string }; // 121
  remoteAccess?: string[]; // 150
  position?: { lat: number; lng: number; alt?: number };
  lastMessage?: Date;
}

export interface SimSeries {
  fragment: string;
  series: string;
  value: number;
  unit: string; // '' when not given
}

export interface SimMeasurement {
  deviceId: string;
  type: string;
  time: string;
  series: SimSeries[];
}

export interface SimEvent {
  deviceId: string;
  type: string;
  text: string;
  time: string;
  position?: { lat?: number; lng?: number; alt?: number; accuracy?: number };
  parameters?: Array<{ path: string; type: string; value: string }>; // 408
  removedFragments?: string[]; // 407
}

export type AlarmSeverity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING';

export interface SimAlarm {
  deviceId: string;
  type: string;
  severity: AlarmSeverity;
  text: string;
  status: 'ACTIVE' | 'CLEARED';
  count: number;
  time: string;
  removedFragments?: string[]; // 307
}

/** State shared by the line handlers and exposed (by reference) on the simulator. */
export class SimModel {
  readonly devices = new Map<string, SimDevice>();
  readonly measurements: SimMeasurement[] = [];
  readonly events: SimEvent[] = [];
  readonly alarms: SimAlarm[] = [];
  readonly operations: SimOperation[] = [];
  private nextMoId = 10001;
  private nextOpId = 1;

  /** Create a device if absent (parent given → child); returns it and whether it was new. */
  ensureDevice(
    externalId: string,
    opts: { parent?: string; name?: string; type?: string; isDevice?: boolean } = {},
  ): { device: SimDevice; created: boolean } {
    const existing = this.devices.get(externalId);
    if (existing) return { device: existing, created: false };
    const device: SimDevice = {
      id: String(this.nextMoId++),
      externalId,
      name: opts.name || `MQTT Device ${externalId}`,
      type: opts.type || (opts.parent === undefined ? 'c8y_MQTTDevice' : 'c8y_MQTTChildDevice'),
      isDevice: opts.isDevice ?? true,
      children: [],
      supportedOperations: [],
    };
    if (opts.parent !== undefined) {
      device.parent = opts.parent;
      this.devices.get(opts.parent)?.children.push(externalId);
    }
    this.devices.set(externalId, device);
    return { device, created: true };
  }

  /** The root device of the tree an external id belongs to (itself when unknown). */
  rootOf(externalId: string): string {
    let id = externalId;
    for (let d = this.devices.get(id); d?.parent !== undefined; d = this.devices.get(id)) {
      id = d.parent;
    }
    return id;
  }

  /** True when `id` is `ancestor` or one of its descendants. */
  inTree(ancestor: string, id: string): boolean {
    for (let cur: string | undefined = id; cur !== undefined; cur = this.devices.get(cur)?.parent) {
      if (cur === ancestor) return true;
    }
    return false;
  }

  addOperation(deviceId: string, fragment: string, params: unknown, description: string): SimOperation {
    const op: SimOperation = {
      id: String(this.nextOpId++),
      deviceId,
      fragment,
      params,
      description,
      status: 'PENDING',
      history: ['PENDING'],
      createdAt: new Date(),
    };
    this.operations.push(op);
    return op;
  }

  /** PENDING operations of a device tree in creation order (what 500 and subscribe deliver). */
  pendingFor(root: string): SimOperation[] {
    return this.operations.filter((op) => op.status === 'PENDING' && this.inTree(root, op.deviceId));
  }
}
