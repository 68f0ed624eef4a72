import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ok } from '../../dialects/types';
import { DIALECTS, dialectOf } from '../../nodes/dialects';
import { MemoryOutbox } from '../../transport/outbox';

describe('dialect registry', () => {
  it('defaults to Cumulocity and refuses unknown or inherited names', () => {
    assert.equal(dialectOf(''), DIALECTS['cumulocity']);
    assert.equal(dialectOf(undefined), DIALECTS['cumulocity']);
    assert.equal(dialectOf('nope'), undefined);
    assert.equal(dialectOf('constructor'), undefined);
  });

  it('prepares a Cumulocity connection and makes an agent that has not connected yet', async () => {
    const prepared = DIALECTS['cumulocity']!.prepare(
      { host: '127.0.0.1', port: '1883', tenant: 't1', deviceId: 'dev-1' },
      { user: 'device_dev-1', password: 'pw' },
      { env: {}, defaultDeviceId: 'fallback', agentVersion: '0.0.0', dataDir: '/nonexistent/data', readFile: () => ok('') },
    );
    assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
    assert.equal(prepared.value.deviceId, 'dev-1');
    assert.equal(prepared.value.dataDir, '/nonexistent/data');
    const agent = prepared.value.create(new MemoryOutbox(), undefined);
    assert.equal(agent.currentStatus.state, 'connecting');
    await agent.stop();
    assert.equal(agent.currentStatus.state, 'stopped');
  });

  it('gives the HTTP side with the device credentials as Basic authorization', async () => {
    const prepared = DIALECTS['cumulocity']!.prepare(
      { host: 'mqtt.example.com', tenant: 't7', deviceId: 'dev-2', httpUrl: 'https://t7.example.com/' },
      { user: 'device_dev-2', password: 'p:w' },
      { env: {}, defaultDeviceId: 'x', agentVersion: '0', dataDir: '/nonexistent', readFile: () => ok('') },
    );
    assert.ok(prepared.ok);
    const agent = prepared.value.create(new MemoryOutbox(), undefined);
    const http = agent.platformHttp?.();
    assert.equal(http?.baseUrl, 'https://t7.example.com');
    assert.equal(Buffer.from(http?.authorization.replace('Basic ', '') ?? '', 'base64').toString(), 't7/device_dev-2:p:w');
    await agent.stop();
  });

  it('passes a settings error through', () => {
    const prepared = DIALECTS['cumulocity']!.prepare(
      {},
      {},
      { env: {}, defaultDeviceId: 'd', agentVersion: '0', dataDir: '/x', readFile: () => ok('') },
    );
    assert.equal(prepared.ok, false);
  });
});
