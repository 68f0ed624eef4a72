// Network identity from /proc and /sys on fake trees (devices/network) and the clocks (devices/clock).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../../../devices/clock/linux';
import { SimulatedClock } from '../../../devices/clock/simulated';
import { hexToIp, LinuxNetwork, networkFrom, parseLocalAddresses, parseRoutes } from '../../../devices/network/linux';
import { SIM_NETWORK, SimulatedNetwork, writeFakeNetwork } from '../../../devices/network/simulated';

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
`;

const TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.0.0.0/24 2 0 2
        |-- 10.0.0.0
           /24 link UNICAST
        |-- 10.0.0.7
           /32 host LOCAL
     +-- 192.168.1.0/24 2 0 2
        |-- 192.168.1.20
           /32 host LOCAL
Local:
  +-- 127.0.0.0/8 2 0 2
     |-- 127.0.0.1
        /32 host LOCAL
`;

describe('network identity (devices/network)', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-net-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('reads little-endian hex addresses of /proc/net/route', () => {
    assert.equal(hexToIp('0100000A'), '10.0.0.1');
    assert.equal(hexToIp('00FFFFFF'), '255.255.255.0');
    assert.equal(hexToIp('zz'), undefined);
  });

  it('picks the default route with the lowest metric, its subnet and local address', () => {
    const info = networkFrom(parseRoutes(ROUTE), parseLocalAddresses(TRIE), (i) => (i === 'eth0' ? '02:42:0a:00:00:07' : undefined));
    assert.deepEqual(info, SIM_NETWORK);
  });

  it('finds local addresses in fib_trie, loopback included', () => {
    assert.deepEqual(parseLocalAddresses(TRIE), ['10.0.0.7', '192.168.1.20', '127.0.0.1']);
  });

  it('says why when there is no default route', () => {
    assert.equal(
      networkFrom(
        parseRoutes(
          ROUTE.split('\n')
            .filter((l) => !l.includes('\t00000000\t0'))
            .join('\n'),
        ),
        [],
        () => undefined,
      ),
      'no default IPv4 route',
    );
  });

  it('vectors 16–19: the fake tree of the reference interface reads back as 10.0.0.7/24 gw 10.0.0.1 mac 02:42:0a:00:00:07', async () => {
    const root = path.join(tmp, 'fake');
    await writeFakeNetwork(root);
    assert.deepEqual(await new LinuxNetwork(root).read(), SIM_NETWORK);
    assert.deepEqual(await new SimulatedNetwork(path.join(tmp, 'sim')).read(), SIM_NETWORK);
  });

  it('a missing /proc is an error, not a crash', async () => {
    await assert.rejects(new LinuxNetwork(path.join(tmp, 'nothing')).read(), /cannot read/);
  });
});

describe('clocks (devices/clock)', () => {
  it('the simulated clock runs on from a time set_rtc gave it', async () => {
    let base = 1_000_000;
    const c = new SimulatedClock(() => base);
    assert.equal(await c.set(1561939200), true);
    base += 5700;
    assert.equal(Math.floor(c.now() / 1000), 1561939205);
    await assert.rejects(c.set(-1));
  });

  it('the system clock is not set unless allowed; when allowed it runs date -u -s @N', async () => {
    const calls: string[][] = [];
    const run = (f: string, a: readonly string[]): Promise<void> => (calls.push([f, ...a]), Promise.resolve());
    assert.equal(await new SystemClock({ run }).set(1561939200), false);
    assert.deepEqual(calls, []);
    assert.equal(await new SystemClock({ allowSet: true, run }).set(1561939200), true);
    assert.deepEqual(calls, [['date', '-u', '-s', '@1561939200']]);
    assert.ok(Math.abs(new SystemClock().now() - Date.now()) < 1000);
  });
});
