/**
 * Node-RED with this package (symlinked into a temp user directory, see red-process.ts) for the
 * browser tests, with the editor's first-run prompts turned off and the Cumulocity simulator's
 * address in the environment the example flows read.
 */
import * as http from 'node:http';
import { redProcess, type RedProcess } from './red-process';

export interface EditorServer {
  red: RedProcess;
  port: number;
  url: string;
  /** Replaces every flow (full deploy) through the admin API. */
  setFlows(flows: object[]): Promise<void>;
  stop(): Promise<void>;
}

export function request(
  port: number,
  method: string,
  p: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves once Node-RED answers and has started its flows (event-driven on its log, polled gently). */
export async function waitForEditor(red: RedProcess, port: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (/Started flows/.test(red.log())) {
      try {
        // Any answer will do: with adminAuth, /settings answers 401 until a user logs in.
        const { status } = await request(port, 'GET', '/settings');
        if (status > 0 && status < 500) return;
      } catch {
        // not listening yet
      }
    }
    if (/\[error\].*(EADDRINUSE|Error loading settings)/.test(red.log())) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Node-RED did not start within ${timeoutMs} ms:\n${red.log()}`);
}

export async function startEditor(env: Record<string, string>, extraSettings: Record<string, unknown> = {}): Promise<EditorServer> {
  const red = await redProcess([], {
    // No Flow Library catalogue for the palette manager: the tests stay on loopback.
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    logging: { console: { level: 'info' } },
    ...extraSettings,
  });
  const port = red.port;
  red.start(env);
  await waitForEditor(red, port);
  return {
    red,
    port,
    url: `http://127.0.0.1:${port}/`,
    setFlows: async (flows) => {
      const r = await request(port, 'POST', '/flows', JSON.stringify(flows), {
        'Content-Type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
      });
      if (r.status !== 204 && r.status !== 200) throw new Error(`POST /flows: ${r.status} ${r.body}`);
    },
    stop: () => red.dispose(),
  };
}
