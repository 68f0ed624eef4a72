/**
 * The simulated platform's console for `npm start`: a small web page on 127.0.0.1 showing the
 * devices, a live chart of the latest measurements (Chart.js, served from node_modules — no CDN),
 * operations with buttons to send one, alarms and events.
 *
 * GET  /                 the page (scripts/console/public/)
 * GET  /vendor/chart.js  Chart.js's UMD build from node_modules
 * GET  /api/state        the whole state (state.ts)
 * GET  /api/stream       the same as Server-Sent Events, at most every 250 ms while things change
 * POST /api/operations   {deviceId, fragment, params?, description?} → {id}
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { CumulocitySimulator } from '../../test/sim/simulator';
import { consoleState, parseOperationRequest } from './state';

const ROOT = path.join(__dirname, '..', '..', '..');
const PUBLIC = path.join(ROOT, 'scripts', 'console', 'public');
const CHART_JS = path.join(path.dirname(require.resolve('chart.js', { paths: [ROOT] })), 'chart.umd.min.js');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console.js': { file: path.join(PUBLIC, 'console.js'), type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: path.join(PUBLIC, 'console.css'), type: 'text/css; charset=utf-8' },
  '/vendor/chart.js': { file: CHART_JS, type: 'text/javascript; charset=utf-8' },
};
const THROTTLE_MS = 250;
const MAX_BODY = 16 * 1024;

export interface PlatformConsole {
  port: number;
  url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // Everything the page loads comes from this server.
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'",
  });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, v: unknown): void => send(res, status, 'application/json', JSON.stringify(v));

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startConsole(sim: CumulocitySimulator, opts: { port?: number } = {}): Promise<PlatformConsole> {
  const state = (): string => JSON.stringify(consoleState(sim));
  const streams = new Set<http.ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  const push = (): void => {
    timer = undefined;
    const data = `data: ${state()}\n\n`;
    for (const s of streams) s.write(data);
  };
  const onChange = (): void => {
    if (streams.size > 0 && !timer) timer = setTimeout(push, THROTTLE_MS);
  };
  sim.on('change', onChange);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = STATIC[url.pathname];
    if (req.method === 'GET' && route) {
      fs.readFile(route.file, (err, data) => (err ? send(res, 404, 'text/plain', 'not found') : send(res, 200, route.type, data)));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/state') return json(res, 200, consoleState(sim));
    if (req.method === 'GET' && url.pathname === '/api/stream') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(`data: ${state()}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/operations') {
      // JSON only: a form post from another site cannot send it without a CORS preflight, which is never granted.
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return json(res, 415, { error: 'send application/json' });
      readBody(req).then(
        (text) => {
          let body: unknown;
          try {
            body = JSON.parse(text) as unknown;
          } catch {
            return json(res, 400, { error: 'body is not JSON' });
          }
          const op = parseOperationRequest(body, sim.devices);
          if (typeof op === 'string') return json(res, 400, { error: op });
          const id = sim.createOperation(op.deviceId, op.fragment, op.params, op.description);
          json(res, 201, { id });
        },
        (err: unknown) => json(res, 413, { error: String(err) }),
      );
      return;
    }
    json(res, 404, { error: 'not found' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port; // a TCP listener always has an AddressInfo
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        sim.off('change', onChange);
        if (timer) clearTimeout(timer);
        for (const s of streams) s.end();
        streams.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
