// Trinity system RPCs as a plan (trinity.md §7, §14, §15; vectors T14–T18, T21) and health shapes (§8).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicHealth,
  dumpData,
  fullHealth,
  parseBoolish,
  planSystemRpc,
  settingsData,
  type HealthReading,
  type RpcContext,
  type TrinitySettings,
} from '../../../dialects/trinity';

const SETTINGS: TrinitySettings = {
  pdr_interval: 3600,
  use_rtc: false,
  keep_alive: 60,
  default_qos: 1,
  clean_session: true,
  trusted_senders: [],
  host: 'mqtt.trintel.co.za',
};

function ctx(over: Partial<RpcContext> = {}): RpcContext {
  return {
    settings: SETTINGS,
    hostAllowList: ['backup.example.com'],
    attributes: { cid: '12345678', hid: 'AAA0123456789AB', port: 8883, version: '0.1.0' },
    flowHandles: () => false,
    ...over,
  };
}

describe('trinity system RPCs (§7)', () => {
  it('T14: set_pdr_interval 60 persists, publishes the setting, a basic report at once, reschedules, then replies', () => {
    const p = planSystemRpc(ctx(), 'set_pdr_interval', [60]);
    assert.deepEqual(p.effects, [
      { kind: 'persist', settings: { pdr_interval: 60 } },
      { kind: 'publish-settings', keys: ['pdr_interval'] },
      { kind: 'publish-basic' },
      { kind: 'schedule-pdr' },
    ]);
    assert.deepEqual([p.code, p.result], [0, 'OK. Set PDR to: 60 sec.']);
    assert.deepEqual(settingsData({ ...SETTINGS, pdr_interval: 60 }, ['pdr_interval']), { settings: { pdr_interval: 60 } });
  });

  it('set_pdr_interval with the current value does nothing but reply', () => {
    const p = planSystemRpc(ctx(), 'set_pdr_interval', [3600]);
    assert.deepEqual(p.effects, []);
    assert.equal(p.result, 'OK. Set PDR to: 3600 sec.');
  });

  it('set_pdr_interval 0 turns the report off without one at once', () => {
    const p = planSystemRpc(ctx(), 'set_pdr_interval', ['0']);
    assert.ok(!p.effects.some((e) => e.kind === 'publish-basic'));
    assert.ok(p.effects.some((e) => e.kind === 'schedule-pdr'));
  });

  it('T15: data_write outside /settings or of a key not writable is -23 "Data Write not exposed"', () => {
    for (const args of [
      ['/settings', { host: 'h' }],
      ['/other', { use_rtc: true }],
      ['/settings', { use_rtc: true, pdr_interval: 5 }],
      ['/settings', 'x'],
    ]) {
      const p = planSystemRpc(ctx(), 'data_write', args);
      assert.deepEqual([p.code, p.result], [-23, 'Data Write not exposed'], JSON.stringify(args));
    }
  });

  it('data_write of a writable setting calls its setter', () => {
    const p = planSystemRpc(ctx(), 'data_write', ['/settings', { pdr_interval: 120 }]);
    assert.deepEqual([p.code, p.result], [0, 'OK. Set PDR to: 120 sec.']);
  });

  it('T16: an unknown RPC is -100 "RPC Not implemented"', () => {
    const p = planSystemRpc(ctx(), 'no_such_rpc', []);
    assert.deepEqual([p.code, p.result, p.toFlow], [-100, 'RPC Not implemented', false]);
  });

  it('T17: set_use_rtc "maybe" is -24 with a NAC text', () => {
    const p = planSystemRpc(ctx(), 'set_use_rtc', ['maybe']);
    assert.equal(p.code, -24);
    assert.match(String(p.result), /^NAC/);
  });

  it('set_use_rtc true persists and publishes use_rtc', () => {
    const p = planSystemRpc(ctx(), 'set_use_rtc', ['true']);
    assert.equal(p.result, 'OK. Set RTC use to: true');
    assert.deepEqual(p.effects[0], { kind: 'persist', settings: { use_rtc: true } });
  });

  it('T18: add_trusted_sender persists the list and publishes it as a comma string', () => {
    const p = planSystemRpc(ctx(), 'add_trusted_sender', ['BBB000000000001']);
    assert.deepEqual([p.code, p.result], [0, 'OK. Added BBB000000000001 to trusted senders list.']);
    assert.deepEqual(p.effects, [
      { kind: 'persist', settings: { trusted_senders: ['BBB000000000001'] } },
      { kind: 'publish-settings', keys: ['trusted_senders'] },
    ]);
    const two = { ...SETTINGS, trusted_senders: ['A', 'B'] };
    assert.deepEqual(settingsData(two, ['trusted_senders']), { settings: { trusted_senders: 'A,B' } });
  });

  it('remove_trusted_sender and clear_all_trusted_sender change the list', () => {
    const c = ctx({ settings: { ...SETTINGS, trusted_senders: ['A', 'B'] } });
    assert.deepEqual(planSystemRpc(c, 'remove_trusted_sender', ['A']).effects[0], {
      kind: 'persist',
      settings: { trusted_senders: ['B'] },
    });
    const clear = planSystemRpc(c, 'clear_all_trusted_sender', []);
    assert.equal(clear.result, 'OK. Removed all trusted senders.');
    assert.deepEqual(clear.effects[0], { kind: 'persist', settings: { trusted_senders: [] } });
  });

  it('set_ping_interval persists the keep-alive and reconnects after the reply', () => {
    const p = planSystemRpc(ctx(), 'set_ping_interval', [120]);
    assert.equal(p.result, 'OK. Set PING interval to: 120 sec.');
    assert.deepEqual(p.effects.at(-1), { kind: 'reconnect' });
  });

  it('set_host only moves to an allowed host (the seed followed any, §15)', () => {
    assert.match(String(planSystemRpc(ctx(), 'set_host', ['evil.example.com']).result), /^NAC/);
    const ok = planSystemRpc(ctx(), 'set_host', ['backup.example.com']);
    assert.deepEqual([ok.code, ok.result], [0, 'OK. Set host to: backup.example.com']);
    assert.deepEqual(ok.effects, [{ kind: 'persist', settings: { host: 'backup.example.com' } }, { kind: 'reconnect' }]);
  });

  it('get answers allow-listed names only (the seed gave out the password, §15)', () => {
    assert.deepEqual([planSystemRpc(ctx(), 'get', ['pdr_interval']).result], [3600]);
    assert.equal(planSystemRpc(ctx(), 'get', ['hid']).result, 'AAA0123456789AB');
    const p = planSystemRpc(ctx(), 'get', ['_password']);
    assert.equal(p.code, -21);
  });

  it('take_a_break replies then breaks; out of range is refused', () => {
    const p = planSystemRpc(ctx(), 'take_a_break', [5]);
    assert.deepEqual([p.result, p.effects], ['OK. Took a 5 sec break.', [{ kind: 'break', seconds: 5 }]]);
    assert.equal(planSystemRpc(ctx(), 'take_a_break', [-1]).code, -22);
  });

  it('publishing RPCs say so and ask for the publish', () => {
    assert.deepEqual(planSystemRpc(ctx(), 'pub_full_data', []).effects, [{ kind: 'publish-full' }]);
    assert.equal(planSystemRpc(ctx(), 'pub_all_settings', []).result, 'OK. Settings published');
    assert.equal(
      planSystemRpc(ctx({ ip: { ip: { address: '10.0.0.7' } } }), 'pup_ip_address', []).result,
      'OK. IP Published: {"ip":{"address":"10.0.0.7"}}',
    );
  });

  it('restart_client and upgrade_client are left to Node-RED (-100, §14)', () => {
    for (const n of ['restart_client', 'upgrade_client']) assert.equal(planSystemRpc(ctx(), n, []).code, -100);
  });

  it('reboot_hardware goes to the flow only when a node names it (opt-in, §14)', () => {
    assert.equal(planSystemRpc(ctx(), 'reboot_hardware', []).code, -100);
    assert.equal(planSystemRpc(ctx({ flowHandles: (n) => n === 'reboot_hardware' }), 'reboot_hardware', []).toFlow, true);
  });

  it('QoS: only 1 (outbox needs PUBACK); out of range is a NAC, not code 0 (seed defect)', () => {
    assert.equal(planSystemRpc(ctx(), 'data_write', ['/settings', { default_qos: 1 }]).code, 0);
    const out = planSystemRpc(ctx(), 'data_write', ['/settings', { default_qos: 7 }]);
    assert.deepEqual([out.code, out.result], [-22, 'NAC QOS out of range']);
    assert.equal(planSystemRpc(ctx(), 'data_write', ['/settings', { default_qos: 0 }]).code, -22);
  });

  it('a wrong number of arguments is a NAC, not a crash', () => {
    assert.equal(planSystemRpc(ctx(), 'set_pdr_interval', []).code, -22);
    assert.equal(planSystemRpc(ctx(), 'get', ['a', 'b']).code, -22);
  });

  it('reads boolean words like the seed', () => {
    assert.deepEqual(['true', 'Yes', 1, 'off', false, 'maybe', 2].map(parseBoolish), [
      true,
      true,
      true,
      false,
      false,
      undefined,
      undefined,
    ]);
  });
});

describe('trinity health data (§8)', () => {
  const h: HealthReading = {
    cpuTemp: 48.3,
    cpuUsage: 3.1,
    mem: { total: 1000, used: 410, free: 590, percent: 41 },
    disk: { total: 2000, used: 450, free: 1550, percent: 22.5 },
  };

  it('T21: the basic report has cpu_tmp, cpu_usg, mem.percent and disk.percent', () => {
    assert.deepEqual(basicHealth(h), { cpu_tmp: 48.3, cpu_usg: 3.1, mem: { percent: 41 }, disk: { percent: 22.5 } });
    assert.deepEqual(basicHealth({ ...h, volts: 1.2 })['volts'], 1.2);
  });

  it('the full shape has memory and disk in bytes', () => {
    assert.deepEqual(fullHealth(h)['disk'], { total: 2000, used: 450, free: 1550, percent: 22.5 });
  });

  it('the dump joins IP data, full data, client versions and all settings', () => {
    const d = dumpData({ ip: { address: '10.0.0.7' } }, h, { agent: '1' }, SETTINGS);
    assert.deepEqual(Object.keys(d).sort(), ['client', 'cpu_tmp', 'cpu_usg', 'disk', 'ip', 'mem', 'settings']);
    assert.equal((d['settings'] as Record<string, unknown>)['trusted_senders'], '');
  });
});
