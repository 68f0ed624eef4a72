/**
 * A stand-in, on 127.0.0.1, for the two services `node-red-dev validate` asks: the Flow Library
 * catalogue (`https://catalogue.nodered.org/catalogue.json`) and the npm registry
 * (`https://registry.npmjs.org/<name>`). CI has no network, and a scorecard must not depend on it.
 *
 * node-red-dev fetches those https URLs with axios 0.21, which sends them to an HTTP proxy from
 * `https_proxy` as absolute-form requests (`GET https://host/path HTTP/1.1`, no CONNECT, no TLS);
 * npm-remote-ls (`request`) and npm-check (`package-json` → `got`) take the registry from
 * `npm_registry` (rc's spelling of npm's setting). So one plain HTTP server answers both forms: see {@link standinEnv}.
 *
 * Registry documents are built from package-lock.json: every locked package is a packument whose
 * only version is the locked one (so "latest" is what we install), with its dependency ranges.
 * Every request is recorded; anything not known is answered 404 and recorded as unknown.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CatalogueModule {
  id: string;
  version: string;
  description?: string;
  types: string[];
  keywords?: string[];
  updated_at?: string;
}

export interface StandinRequest {
  method: string;
  /** Host the client meant (from an absolute-form URL or the Host header). */
  host: string;
  path: string;
  status: number;
}

export interface RegistryStandin {
  port: number;
  /** `http://127.0.0.1:<port>/` */
  url: string;
  requests: StandinRequest[];
  close(): Promise<void>;
}

interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, Record<string, unknown>>;
  time: Record<string, string>;
}

interface LockEntry {
  name?: string;
  version?: string;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  link?: boolean;
}

/** Packuments for every package in a lockfile (v2/v3 `packages` map), nested copies merged by name. */
export function packumentsFromLock(lockFile: string): Map<string, Packument> {
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { packages?: Record<string, LockEntry> };
  const out = new Map<string, Packument>();
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    const at = where.lastIndexOf('node_modules/');
    if (at < 0 || entry.link || !entry.version) continue;
    const name = entry.name ?? where.slice(at + 'node_modules/'.length);
    let p = out.get(name);
    if (!p) {
      p = { name, 'dist-tags': { latest: entry.version }, versions: {}, time: {} };
      out.set(name, p);
    }
    p.versions[entry.version] = {
      name,
      version: entry.version,
      license: entry.license,
      dependencies: entry.dependencies ?? {},
      optionalDependencies: entry.optionalDependencies ?? {},
      peerDependencies: entry.peerDependencies ?? {},
      engines: entry.engines ?? {},
    };
    const latest = p['dist-tags']['latest'] ?? entry.version;
    if (compareVersions(entry.version, latest) > 0) p['dist-tags']['latest'] = entry.version;
  }
  return out;
}

/** Numeric comparison of x.y.z (pre-release tags ignored: good enough to pick the locked maximum). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface StandinOptions {
  catalogue: CatalogueModule[];
  /** Registry documents by package name; these win over the lockfile's. */
  packuments?: Record<string, object>;
  lockFile?: string;
}

/** Starts the stand-in on a free loopback port. */
export async function startRegistryStandin(opts: StandinOptions): Promise<RegistryStandin> {
  const docs = new Map<string, object>(opts.lockFile ? packumentsFromLock(opts.lockFile) : []);
  for (const [name, doc] of Object.entries(opts.packuments ?? {})) docs.set(name, doc);
  const catalogue = JSON.stringify({
    name: 'Node-RED Community catalogue',
    updated_at: '2026-01-01T00:00:00.000Z',
    modules: opts.catalogue,
  });
  const requests: StandinRequest[] = [];

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    let host = req.headers.host ?? '';
    let pathname = raw;
    if (/^https?:\/\//.test(raw)) {
      const u = new URL(raw);
      host = u.host;
      pathname = u.pathname;
    }
    const reply = (status: number, body: string): void => {
      requests.push({ method: req.method ?? 'GET', host, path: pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, '{"error":"method not allowed"}');
    if (pathname === '/catalogue.json') return reply(200, catalogue);
    // Registry paths: /name, /@scope%2fname or /@scope/name.
    const name = decodeURIComponent(pathname.slice(1));
    const doc = docs.get(name);
    if (doc) return reply(200, JSON.stringify(doc));
    return reply(404, '{"error":"Not found"}');
  });
  // CONNECT (a tunnelling client) is refused: nothing passes through to anywhere else.
  server.on('connect', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    requests.push({ method: 'CONNECT', host: req.url ?? '', path: '', status: 405 });
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port; // listen() on a TCP port always gives an AddressInfo
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Environment for a child process whose HTTP clients must reach only the stand-in: axios honours
 * `https_proxy`, `request` and `got` honour `npm_config_registry` (npm itself sets that variable
 * to the real registry when the suite runs under `npm test`, so it is always overridden here).
 */
export function standinEnv(s: RegistryStandin, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (/^(https?|all|no)_proxy$/i.test(k) || /^npm_config_/i.test(k)) continue;
    env[k] = v;
  }
  const proxy = `http://127.0.0.1:${s.port}`;
  return {
    ...env,
    https_proxy: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    HTTP_PROXY: proxy,
    no_proxy: '127.0.0.1,localhost',
    NO_PROXY: '127.0.0.1,localhost',
    npm_config_registry: s.url,
    // registry-url (used by npm-remote-ls and package-json) reads npm's settings through rc, whose
    // environment prefix is `npm_`: it sees `npm_registry`, not `npm_config_registry`.
    npm_registry: s.url,
    // No user or global .npmrc: its registry or tokens must not leak into the run.
    npm_config_userconfig: '/dev/null',
    npm_config_globalconfig: '/dev/null',
  };
}
