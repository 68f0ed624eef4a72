/**
 * Network identity from /proc and /sys under a root dir, no child processes: the default route
 * and the interface's subnet route from /proc/net/route, its MAC from /sys/class/net/<if>/address,
 * and its IPv4 address from the local addresses in /proc/net/fib_trie that lie in that subnet.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Network, NetworkInfo } from './interface';

/** Little-endian hex of /proc/net/route to dotted quad. */
export function hexToIp(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

export function ipToInt(ip: string): number | undefined {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

export interface Route {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  metric: number;
  up: boolean;
}

/** The IPv4 routing table of /proc/net/route. */
export function parseRoutes(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface = '', dst = '', gw = '', flags = '', , , metric = '', mask = ''] = f;
    const destination = hexToIp(dst);
    const gateway = hexToIp(gw);
    const m = hexToIp(mask);
    if (!destination || !gateway || !m) continue;
    out.push({ iface, destination, gateway, mask: m, metric: Number(metric) || 0, up: (parseInt(flags, 16) & 1) === 1 });
  }
  return out;
}

/** Local (host) addresses of /proc/net/fib_trie: an address line followed by `/32 host LOCAL`. */
export function parseLocalAddresses(text: string): string[] {
  const out: string[] = [];
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const a = /[|+]--\s+(\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (a?.[1]) {
      last = a[1];
      continue;
    }
    if (last && /\/32 host LOCAL/.test(line) && !out.includes(last)) out.push(last);
  }
  return out;
}

/** Picks the default route's interface and its address, mask and gateway. */
export function networkFrom(
  routes: readonly Route[],
  locals: readonly string[],
  macOf: (iface: string) => string | undefined,
): NetworkInfo | string {
  const defaults = routes.filter((r) => r.up && r.destination === '0.0.0.0' && r.mask === '0.0.0.0').sort((a, b) => a.metric - b.metric);
  const def = defaults[0];
  if (!def) return 'no default IPv4 route';
  const subnets = routes
    .filter((r) => r.up && r.iface === def.iface && r.gateway === '0.0.0.0' && r.mask !== '0.0.0.0')
    .sort((a, b) => (ipToInt(b.mask) ?? 0) - (ipToInt(a.mask) ?? 0));
  let ip = '';
  let netmask = '';
  for (const s of subnets) {
    const net = ipToInt(s.destination);
    const mask = ipToInt(s.mask);
    if (net === undefined || mask === undefined) continue;
    const local = locals.find((l) => ((ipToInt(l) ?? 0) & mask) >>> 0 === (net & mask) >>> 0);
    if (local) {
      ip = local;
      netmask = s.mask;
      break;
    }
  }
  if (!ip) return `no IPv4 address found on ${def.iface}`;
  return { iface: def.iface, mac: macOf(def.iface) ?? '', ip, netmask, gateway: def.gateway };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export class LinuxNetwork implements Network {
  readonly simulated: boolean = false;
  constructor(readonly root: string) {}

  async read(): Promise<NetworkInfo> {
    const p = (rel: string): string => path.join(this.root, rel);
    const routes = await readText(p('proc/net/route'));
    if (routes === undefined) throw new Error(`cannot read ${p('proc/net/route')}`);
    const trie = (await readText(p('proc/net/fib_trie'))) ?? '';
    const parsed = parseRoutes(routes);
    const ifaces = [...new Set(parsed.map((r) => r.iface))];
    const macs = new Map<string, string>();
    for (const i of ifaces) {
      if (!/^[\w.:@-]+$/.test(i)) continue;
      const mac = (await readText(p(`sys/class/net/${i}/address`)))?.trim();
      if (mac) macs.set(i, mac);
    }
    const info = networkFrom(parsed, parseLocalAddresses(trie), (i) => macs.get(i));
    if (typeof info === 'string') throw new Error(info);
    return info;
  }
}
