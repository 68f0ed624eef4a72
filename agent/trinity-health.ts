/**
 * Health data of the host for Trinity's dump and periodic report (trinity.md §8), on any Linux
 * host: CPU load and temperature from the system information source, memory from /proc/meminfo,
 * the root file system from statfs, all under a root dir. `volts` needs the Pi firmware tool
 * (vcgencmd, a child process) and is left out.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { HealthReading, Usage } from '../dialects/trinity';
import type { SystemSelection } from '../devices/system-info/interface';
import { parseMeminfo, ProcSystemSource } from '../devices/system-info/linux';

export interface HealthSource {
  read(): Promise<HealthReading>;
}

const SELECTION: SystemSelection = {
  cpu: true,
  temperature: true,
  memory: false,
  disk: false,
  network: false,
  uptime: false,
  processes: false,
  disks: [],
  top: 0,
};

const pct = (used: number, total: number): number => (total > 0 ? Math.round((1000 * used) / total) / 10 : 0);

export class HostHealth implements HealthSource {
  private readonly system: ProcSystemSource;
  private primed: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.system = new ProcSystemSource(root);
  }

  async read(): Promise<HealthReading> {
    // The first CPU reading has nothing to compare with: prime once, then every report is a delta.
    this.primed ??= this.system.prime(SELECTION).catch(() => undefined);
    await this.primed;
    const snap = await this.system.read(SELECTION).catch(() => undefined);
    return { cpuTemp: snap?.cpuTemperature, cpuUsage: snap?.cpuLoad, mem: await this.memory(), disk: await this.disk() };
  }

  private async memory(): Promise<Usage | undefined> {
    const text = await fsp.readFile(path.join(this.root, 'proc/meminfo'), 'utf8').catch(() => '');
    const m = parseMeminfo(text);
    const total = m.get('MemTotal');
    const free = m.get('MemAvailable') ?? m.get('MemFree');
    if (total === undefined || free === undefined) return undefined;
    const used = total - free;
    return { total: total * 1024, used: used * 1024, free: free * 1024, percent: pct(used, total) };
  }

  private async disk(): Promise<Usage | undefined> {
    try {
      const st = await fsp.statfs(this.root);
      const total = st.blocks * st.bsize;
      const free = st.bavail * st.bsize;
      const used = (st.blocks - st.bfree) * st.bsize;
      return { total, used, free, percent: pct(used, used + free) };
    } catch {
      return undefined;
    }
  }
}
