/**
 * `npm start`: Node-RED with this package and examples/cumulocity-basic.json, connected to the
 * Cumulocity simulator on an embedded broker. Everything listens on 127.0.0.1 only.
 *
 * Environment: PORT (editor port, default 1880), CONSOLE_PORT (the simulated platform's console,
 * default PORT + 1), DEMO_DIR (user directory, default .demo), DEMO_SUMMARY_MS (how often the
 * platform side prints what it received, default 15000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CumulocitySimulator } from '../test/sim/simulator';
import { startConsole } from './console/server';

const ROOT = path.join(__dirname, '..', '..');
const DEVICE = 'demo-device';
const log = (s: string): void => console.log(`[demo] ${s}`);

function prepareUserDir(dir: string, editorPort: number): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const link = path.join(dir, 'node_modules', 'node-red-contrib-device-agent');
  if (!fs.existsSync(link)) fs.symlinkSync(ROOT, link, 'dir');
  fs.writeFileSync(
    path.join(dir, 'settings.js'),
    [
      '// Written by npm start (scripts/demo.ts) on every start.',
      'module.exports = {',
      `  uiHost: '127.0.0.1',`,
      `  uiPort: ${editorPort},`,
      `  flowFile: 'flows.json',`,
      `  logging: { console: { level: 'info' } },`,
      `  editorTheme: { tours: false, projects: { enabled: false } },`,
      '};',
      '',
    ].join('\n'),
  );
  const flows = path.join(dir, 'flows.json');
  // Keep the user's edits: the example is copied only when there is no flow yet.
  if (!fs.existsSync(flows)) fs.copyFileSync(path.join(ROOT, 'examples', 'cumulocity-basic.json'), flows);
}

function summary(sim: CumulocitySimulator): string {
  const active = sim.alarms.filter((a) => a.status === 'ACTIVE').map((a) => a.type);
  const ops = sim.operations.map((o) => `${o.fragment}=${o.status}`);
  const last = sim.measurements.at(-1);
  const counter = last?.series.find((s) => s.series === 'counter')?.value;
  return (
    `platform received ${sim.measurements.length} measurements (last counter ${counter ?? '-'}), ` +
    `${sim.events.length} events, active alarms [${active.join(', ')}], operations [${ops.join(', ')}]`
  );
}

async function main(): Promise<void> {
  const editorPort = Number(process.env['PORT'] ?? 1880);
  const dir = path.resolve(process.env['DEMO_DIR'] ?? path.join(ROOT, '.demo'));
  const every = Number(process.env['DEMO_SUMMARY_MS'] ?? 15_000);
  const sim = await CumulocitySimulator.start();
  const password = randomBytes(12).toString('base64url');
  sim.addDeviceUser(DEVICE, password);
  log(`simulated Cumulocity tenant ${sim.tenant} on ${sim.url()} (device ${DEVICE})`);
  const platformConsole = await startConsole(sim, { port: Number(process.env['CONSOLE_PORT'] ?? editorPort + 1) });
  prepareUserDir(dir, editorPort);

  const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
  const child: ChildProcess = spawn(process.execPath, [redJs, '--userDir', dir, '--settings', path.join(dir, 'settings.js')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      C8Y_HOST: '127.0.0.1',
      C8Y_PORT: String(sim.port),
      C8Y_PROTOCOL: 'mqtt',
      C8Y_TENANT: sim.tenant,
      C8Y_DEVICE_ID: DEVICE,
      C8Y_USER: `device_${DEVICE}`,
      C8Y_PASSWORD: password,
      C8Y_RESTART_MODE: 'simulate',
    },
  });
  log(`Node-RED editor: http://127.0.0.1:${editorPort}/  (Ctrl-C stops everything)`);
  log(`platform console: ${platformConsole.url}`);

  let connectedOnce = false;
  const onChange = (): void => {
    if (connectedOnce || !sim.connected(DEVICE) || (sim.devices.get(DEVICE)?.supportedOperations.length ?? 0) === 0) return;
    connectedOnce = true;
    log('device connected and registered; the platform will send a c8y_Message and a c8y_Restart');
    setTimeout(
      () => sim.createOperation(DEVICE, 'c8y_Message', { text: 'Hello from the simulated platform' }, 'Send message'),
      3000,
    ).unref();
    setTimeout(() => sim.createOperation(DEVICE, 'c8y_Restart', {}, 'Restart device'), 8000).unref();
  };
  sim.on('change', onChange);
  const timer = setInterval(() => log(summary(sim)), every);

  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    child.kill('SIGINT');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      void platformConsole.close();
      sim.stop().then(
        () => process.exit(code),
        () => process.exit(code),
      );
    });
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  child.on('exit', (code) => {
    if (!stopping) {
      log(`Node-RED exited with code ${code ?? 'null'}`);
      stopping = true;
      clearInterval(timer);
      void platformConsole.close();
      void sim.stop().then(() => process.exit(code ?? 1));
    }
  });
}

main().catch((err: unknown) => {
  console.error('[demo] could not start:', err);
  process.exit(1);
});
