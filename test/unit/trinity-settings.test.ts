// Persisted Trinity settings (agent/trinity-settings.ts, trinity.md §9): Smart's changes survive,
// editing the node wins for the field edited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeSettings, TrinitySettingsStore } from '../../agent/trinity-settings';
import type { TrinitySettings } from '../../dialects/trinity';

const NODE: TrinitySettings = {
  pdr_interval: 3600,
  use_rtc: true,
  keep_alive: 60,
  default_qos: 1,
  clean_session: true,
  trusted_senders: [],
  host: 'mqtt.trintel.co.za',
};

describe('Trinity settings store', () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'da-tset-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('starts from the node settings and writes changes through', () => {
    const s = new TrinitySettingsStore(dir, NODE);
    assert.deepEqual(s.settings, NODE);
    s.update({ pdr_interval: 60, trusted_senders: ['B'] });
    const again = new TrinitySettingsStore(dir, NODE);
    assert.equal(again.settings.pdr_interval, 60);
    assert.deepEqual(again.settings.trusted_senders, ['B']);
  });

  it('a node setting edited since lets the node win for that field only', () => {
    const edited = new TrinitySettingsStore(dir, { ...NODE, pdr_interval: 900 });
    assert.equal(edited.settings.pdr_interval, 900);
    assert.deepEqual(edited.settings.trusted_senders, ['B']);
  });

  it('ignores a damaged or foreign file', () => {
    assert.deepEqual(mergeSettings(NODE, { configured: { x: 1 }, current: NODE }), NODE);
    assert.deepEqual(mergeSettings(NODE, 'garbage'), NODE);
    assert.deepEqual(mergeSettings(NODE, undefined), NODE);
  });
});
