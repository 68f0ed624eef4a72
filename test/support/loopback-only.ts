/**
 * Preload (`node --require dist/test/support/loopback-only.js …`) for child processes that run
 * third-party tools in tests: any TCP connection or DNS lookup of something other than loopback
 * fails at once with EACCES, so a tool that ignores the stand-in's proxy settings errs loudly
 * instead of sending traffic off the machine.
 */
import dns = require('node:dns');
import net = require('node:net');

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(h)) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

function refused(host: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`loopback-only: connection to ${host} refused in tests`);
  e.code = 'EACCES';
  return e;
}

type ConnectFn = (...args: unknown[]) => net.Socket;

function hostOf(args: unknown[]): string | undefined {
  const first = args[0];
  const opts = Array.isArray(first) ? (first[0] as unknown) : first; // internal calls pass [options, cb]
  if (typeof opts === 'object' && opts !== null) {
    const o = opts as { host?: unknown; path?: unknown };
    if (typeof o.path === 'string') return undefined; // a Unix socket is local
    return typeof o.host === 'string' ? o.host : 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  return undefined; // a path string: a Unix socket
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with .apply(this) below
const connect = net.Socket.prototype.connect as unknown as ConnectFn;
(net.Socket.prototype as unknown as { connect: ConnectFn }).connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
  const host = hostOf(args);
  if (host !== undefined && !isLoopback(host)) {
    const err = refused(host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};

type LookupFn = (...args: unknown[]) => void;
const lookup = dns.lookup as unknown as LookupFn;
(dns as unknown as { lookup: LookupFn }).lookup = function (...args: unknown[]): void {
  const host = args[0];
  const cb = args[args.length - 1];
  if (typeof host === 'string' && !isLoopback(host) && typeof cb === 'function') {
    process.nextTick(() => (cb as (e: Error) => void)(refused(host)));
    return;
  }
  lookup(...args);
};
