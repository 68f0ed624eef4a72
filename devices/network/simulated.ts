/**
 * A simulated network for demos and tests: a fake /proc and /sys tree for one interface, read by
 * the same LinuxNetwork code. The default is the reference's test interface (libpyiotcloud.md §6,
 * vectors 16–19): eth0, 10.0.0.7/24, gateway 10.0.0.1, MAC 02:42:0a:00:00:07.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Network, NetworkInfo } from './interface';
import { ipToInt, LinuxNetwork } from './linux';

export const SIM_NETWORK: NetworkInfo = {
  iface: 'eth0',
  mac: '02:42:0a:00:00:07',
  ip: '10.0.0.7',
  netmask: '255.255.255.0',
  gateway: '10.0.0.1',
};

const hexLe = (ip: string): string => {
  const n = ipToInt(ip) ?? 0;
  const b = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return b
    .reverse()
    .map((x) => x.toString(16).padStart(2, '0').toUpperCase())
    .join('');
};

/** Writes /proc/net/route, /proc/net/fib_trie and /sys/class/net/<if>/address for one interface. */
export async function writeFakeNetwork(root: string, n: NetworkInfo = SIM_NETWORK): Promise<void> {
  const net = ((ipToInt(n.ip) ?? 0) & (ipToInt(n.netmask) ?? 0)) >>> 0;
  const netIp = [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.');
  const head = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  const route =
    head +
    `${n.iface}\t00000000\t${hexLe(n.gateway)}\t0003\t0\t0\t100\t00000000\t0\t0\t0\n` +
    `${n.iface}\t${hexLe(netIp)}\t00000000\t0001\t0\t0\t100\t${hexLe(n.netmask)}\t0\t0\t0\n`;
  const trie =
    'Main:\n  +-- 0.0.0.0/0 3 0 5\n' +
    `     |-- 0.0.0.0\n        /0 universe UNICAST\n` +
    `     +-- ${netIp}/24 2 0 2\n        |-- ${netIp}\n           /24 link UNICAST\n` +
    `        |-- ${n.ip}\n           /32 host LOCAL\n` +
    'Local:\n  +-- 127.0.0.0/8 2 0 2\n     |-- 127.0.0.1\n        /32 host LOCAL\n';
  await fsp.mkdir(path.join(root, 'proc/net'), { recursive: true });
  await fsp.writeFile(path.join(root, 'proc/net/route'), route);
  await fsp.writeFile(path.join(root, 'proc/net/fib_trie'), trie);
  await fsp.mkdir(path.join(root, 'sys/class/net', n.iface), { recursive: true });
  await fsp.writeFile(path.join(root, 'sys/class/net', n.iface, 'address'), `${n.mac}\n`);
}

export class SimulatedNetwork implements Network {
  readonly simulated: boolean = true;
  private readonly inner: LinuxNetwork;
  private ready: Promise<void> | undefined;

  constructor(
    readonly root: string,
    private readonly info: NetworkInfo = SIM_NETWORK,
  ) {
    this.inner = new LinuxNetwork(root);
  }

  async read(): Promise<NetworkInfo> {
    this.ready ??= writeFakeNetwork(this.root, this.info);
    await this.ready;
    return this.inner.read();
  }
}
