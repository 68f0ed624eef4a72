/** System health of the host the agent runs on: what the system information node reports. */

export interface SystemSelection {
  cpu: boolean;
  temperature: boolean;
  memory: boolean;
  disk: boolean;
  network: boolean;
  uptime: boolean;
  processes: boolean;
  /** Mount points for `disk`, e.g. ["/", "/boot/firmware"]. */
  disks: string[];
  /** How many processes `processes` lists, busiest first. */
  top: number;
}

export interface ProcessInfo {
  pid: number;
  name: string;
  /** % of one CPU since the previous reading. */
  cpu: number;
  /** Resident memory, MB. */
  memory: number;
}

export interface SystemSnapshot {
  cpuLoad?: number; // % of all CPUs since the previous reading
  cpuTemperature?: number; // °C
  memory?: { total: number; available: number; used: number; swapUsed: number }; // MB, MB, %, MB
  disks?: { path: string; used: number; free: number }[]; // %, MB
  network?: { rx: number; tx: number }; // bytes/s over all interfaces but loopback
  uptime?: number; // s
  processes?: ProcessInfo[];
  /** Parts that were asked for but could not be read, in plain words. */
  problems: string[];
}

export interface SystemSource {
  /** What the first reading can compare rates with; call once at start. */
  prime(sel: SystemSelection): Promise<void>;
  read(sel: SystemSelection): Promise<SystemSnapshot>;
}
