/** System information from a fake /proc and /sys, every value computed by hand, and the portable source on this host. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { SystemSelection } from '../../../devices/system-info/interface';
import { ProcSystemSource, parseNetDev, parsePidStat, parseProcStat } from '../../../devices/system-info/linux';
import { PortableSystemSource, createSystemSource } from '../../../devices/system-info/portable';
import { diskName, parseSystemSettings, systemSeries } from '../../../devices/system-info/series';
import { demoHost, writeFakeHost } from '../../../devices/system-info/synthetic';

const ALL: SystemSelection = {
  cpu: true,
  temperature: true,
  memory: true,
  disk: true,
  network: true,
  uptime: true,
  processes: true,
  disks: ['/'],
  top: 2,
};

describe('system information', () => {
  let root: string | undefined;
  afterEach(() => root && fs.rmSync(root, { recursive: true, force: true }));

  it('computes load, memory, rates, temperature, uptime and top processes from two readings of /proc', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-proc-'));
    let t = 0;
    const src = new ProcSystemSource(root, () => t);
    await writeFakeHost(root, demoHost(0));
    await src.prime(ALL);
    await writeFakeHost(root, demoHost(10)); // 10 s later (t in ms below)
    t = 10_000;
    const s = await src.read(ALL);
    // cpu: busy +300 user +100 system, idle +600 → 400 / 1000 = 40 %
    assert.equal(s.cpuLoad, 40);
    assert.equal(s.cpuTemperature, 48.31);
    assert.deepEqual(s.memory, { total: 1024, available: 512, used: 50, swapUsed: 10 });
    // eth0: +5000 B received, +1000 B sent in 10 s; lo does not count
    assert.deepEqual(s.network, { rx: 500, tx: 100 });
    assert.equal(s.uptime, 3610);
    // node-red: +200 ticks in 10 s = 2 CPU-seconds per 10 s = 20 % of one CPU; systemd idle
    assert.deepEqual(s.processes, [
      { pid: 420, name: 'node-red', cpu: 20, memory: 117.2 },
      { pid: 1, name: 'systemd', cpu: 0, memory: 8.8 },
    ]);
    const st = fs.statfsSync(root);
    const used = st.blocks - st.bfree;
    assert.deepEqual(s.disks, [
      {
        path: '/',
        used: Math.round((1000 * used) / (used + st.bavail)) / 10,
        free: Math.round((10 * st.bavail * st.bsize) / 1048576) / 10,
      },
    ]);
    assert.deepEqual(s.problems, []);
  });

  it('leaves out and names what cannot be read instead of failing', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'da-proc-'));
    await writeFakeHost(root, { ...demoHost(0), cpuMilliC: undefined });
    fs.writeFileSync(path.join(root, 'proc/meminfo'), 'garbage\n');
    const s = await new ProcSystemSource(root).read({ ...ALL, disks: ['/no/such/mount'] });
    assert.equal(s.memory, undefined);
    assert.equal(s.cpuTemperature, undefined);
    assert.equal(s.cpuLoad, undefined, 'no rate before a second reading');
    assert.deepEqual(s.problems, ['temperature: no thermal zone', 'memory: /proc/meminfo unreadable', 'disk /no/such/mount: ENOENT']);
  });

  it('parses process names with spaces and parentheses', () => {
    assert.deepEqual(parsePidStat('77 (my (odd) name) S 1 1 1 0 -1 0 0 0 0 0 12 30 0 0 20 0 1 0'), { name: 'my (odd) name', ticks: 42 });
    assert.equal(parsePidStat('garbage'), undefined);
  });

  it('refuses garbage in /proc/stat and /proc/net/dev', () => {
    assert.equal(parseProcStat('cpu  a b c d\n'), undefined);
    assert.equal(parseNetDev('h1\nh2\n  eth0: 1 2 x\n'), undefined);
  });

  it('names series for the measurement node, one per value with its unit', () => {
    const series = systemSeries({
      cpuLoad: 40,
      memory: { total: 1024, available: 512, used: 50, swapUsed: 10 },
      disks: [{ path: '/boot/firmware', used: 12.5, free: 400 }],
      problems: [],
    });
    assert.deepEqual(series, {
      cpuLoad: { value: 40, unit: '%' },
      memoryTotal: { value: 1024, unit: 'MB' },
      memoryAvailable: { value: 512, unit: 'MB' },
      memoryUsed: { value: 50, unit: '%' },
      swapUsed: { value: 10, unit: 'MB' },
      diskBootFirmwareUsed: { value: 12.5, unit: '%' },
      diskBootFirmwareFree: { value: 400, unit: 'MB' },
    });
    assert.equal(diskName('/'), 'disk');
  });

  for (const [what, def] of [
    ['nothing selected', {}],
    ['an interval under a second', { cpu: true, interval: '0.5' }],
    ['a relative disk path', { disk: true, disks: 'data' }],
    ['top 0', { processes: true, top: '0' }],
  ] as const) {
    it(`refuses settings with ${what}`, () => assert.equal(parseSystemSettings(def).ok, false));
  }

  it('uses /proc when the root has one and systeminformation otherwise', () => {
    assert.ok(createSystemSource('/') instanceof ProcSystemSource);
    assert.ok(createSystemSource(path.join(os.tmpdir(), 'no-such-root')) instanceof PortableSystemSource);
  });

  it('the portable source (systeminformation) agrees with Node about this host', { timeout: 30_000 }, async () => {
    const src = new PortableSystemSource();
    const s = await src.read({ ...ALL, top: 3 });
    assert.equal(s.memory?.total, Math.round((10 * os.totalmem()) / 1048576) / 10);
    assert.ok(Math.abs((s.uptime ?? 0) - os.uptime()) <= 2);
    assert.ok((s.processes?.length ?? 0) > 0 && (s.processes?.length ?? 0) <= 3);
    assert.ok(typeof s.cpuLoad === 'number' && s.cpuLoad >= 0 && s.cpuLoad <= 100);
  });
});
