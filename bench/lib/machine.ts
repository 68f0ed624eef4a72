/** The machine a run was made on, as the README shows it next to the table. */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  memoryGiB: number;
  platform: string;
  summary: string;
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpu = m[1].trim();
  } catch {
    // not Linux: keep what os.cpus() says
  }
  const nproc = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const memoryGiB = Math.round((os.totalmem() / 1024 ** 3) * 10) / 10;
  const platform = `${os.platform()} ${os.release()} ${os.arch()}`;
  return {
    nproc,
    cpu,
    node: process.version,
    memoryGiB,
    platform,
    summary: `nproc ${nproc}, ${cpu}, Node.js ${process.version}, ${memoryGiB} GiB RAM, ${platform}`,
  };
}
