/**
 * System health where there is no /proc (macOS, Windows, BSD): the systeminformation package,
 * loaded only then. On Linux ProcSystemSource is used instead (see linux.ts for why).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcessInfo, SystemSelection, SystemSnapshot, SystemSource } from './interface';
import { ProcSystemSource } from './linux';

type Si = typeof import('systeminformation');

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
const MB = 1024 * 1024;

export class PortableSystemSource implements SystemSource {
  private si: Promise<Si> | undefined;

  private lib(): Promise<Si> {
    this.si ??= import('systeminformation');
    return this.si;
  }

  async prime(sel: SystemSelection): Promise<void> {
    await this.read(sel);
  }

  async read(sel: SystemSelection): Promise<SystemSnapshot> {
    const si = await this.lib();
    const s: SystemSnapshot = { problems: [] };
    const attempt = async (what: string, f: () => Promise<void>): Promise<void> => {
      try {
        await f();
      } catch (err) {
        s.problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    if (sel.cpu) await attempt('cpu', async () => void (s.cpuLoad = round((await si.currentLoad()).currentLoad)));
    if (sel.temperature) {
      await attempt('temperature', async () => {
        const t = (await si.cpuTemperature()).main;
        if (typeof t === 'number') s.cpuTemperature = t;
        else s.problems.push('temperature: not reported by this system');
      });
    }
    if (sel.memory) {
      await attempt('memory', async () => {
        const m = await si.mem();
        s.memory = {
          total: round(m.total / MB),
          available: round(m.available / MB),
          used: round((100 * (m.total - m.available)) / m.total),
          swapUsed: round(m.swapused / MB),
        };
      });
    }
    if (sel.disk) {
      await attempt('disk', async () => {
        const all = await si.fsSize();
        s.disks = sel.disks.flatMap((p) => {
          const d = all.find((x) => x.mount === p);
          if (!d) s.problems.push(`disk ${p}: not mounted`);
          return d ? [{ path: p, used: round(d.use), free: round(d.available / MB) }] : [];
        });
      });
    }
    if (sel.network) {
      await attempt('network', async () => {
        const stats = await si.networkStats('*');
        const up = stats.filter((n) => typeof n.rx_sec === 'number' && n.rx_sec >= 0);
        if (up.length > 0)
          s.network = { rx: round(up.reduce((a, n) => a + (n.rx_sec ?? 0), 0)), tx: round(up.reduce((a, n) => a + (n.tx_sec ?? 0), 0)) };
      });
    }
    if (sel.uptime) s.uptime = Math.floor(Number(si.time().uptime));
    if (sel.processes) {
      await attempt('processes', async () => {
        const list = (await si.processes()).list;
        s.processes = list
          .sort((a, b) => b.cpu - a.cpu || a.pid - b.pid)
          .slice(0, sel.top)
          .map((p): ProcessInfo => ({ pid: p.pid, name: p.name, cpu: round(p.cpu), memory: round(p.memRss / 1024) }));
      });
    }
    return s;
  }
}

/** /proc under the root when there is one (Linux, or a fake tree in tests), else systeminformation. */
export function createSystemSource(root: string): SystemSource {
  return fs.existsSync(path.join(root, 'proc/stat')) ? new ProcSystemSource(root) : new PortableSystemSource();
}
