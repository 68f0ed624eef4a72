import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { consoleState, LIMITS, parseOperationRequest, type ModelView } from '../../scripts/console/state';
import type { SimDevice, SimMeasurement } from '../sim/simulator';

function device(id: string): SimDevice {
  return { id: '1', externalId: id, name: id, type: 't', isDevice: true, children: [], supportedOperations: ['c8y_Restart'] };
}

function model(measurements: SimMeasurement[]): ModelView {
  return {
    tenant: 't1',
    devices: new Map([['pi', device('pi')]]),
    measurements,
    alarms: [],
    events: [],
    operations: [],
    connected: (id) => id === 'pi',
  };
}

const at = (i: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();

describe('platform console state', () => {
  it('keeps the last points of every series, oldest first', () => {
    const ms: SimMeasurement[] = [];
    for (let i = 0; i < LIMITS.pointsPerSeries + 30; i += 1) {
      ms.push({
        deviceId: 'pi',
        type: 'x',
        time: at(i),
        series: [
          { fragment: 'c8y_T', series: 'T', value: i, unit: 'C' },
          ...(i % 2 === 0 ? [{ fragment: 'c8y_H', series: 'H', value: i, unit: '%' }] : []),
        ],
      });
    }
    const s = consoleState(model(ms));
    const t = s.points.filter((p) => p.key === 'c8y_T.T');
    assert.equal(t.length, LIMITS.pointsPerSeries);
    assert.equal(t[0]?.value, 30);
    assert.equal(t.at(-1)?.value, LIMITS.pointsPerSeries + 29);
    assert.ok(s.points.every((p, i, all) => i === 0 || (all[i - 1]?.time ?? '') <= p.time));
    assert.deepEqual(s.devices, [
      { id: 'pi', name: 'pi', type: 't', connected: true, supportedOperations: ['c8y_Restart'], lastMessage: undefined },
    ]);
  });

  it('accepts an operation for a known device and refuses the rest with a reason', () => {
    const devices = new Map([['pi', device('pi')]]);
    const refusal = (body: unknown): string => {
      const r = parseOperationRequest(body, devices);
      return typeof r === 'string' ? r : 'accepted';
    };
    assert.deepEqual(parseOperationRequest({ deviceId: 'pi', fragment: 'c8y_Message', params: { text: 'hi' } }, devices), {
      deviceId: 'pi',
      fragment: 'c8y_Message',
      params: { text: 'hi' },
      description: 'c8y_Message from the console',
    });
    assert.match(refusal({ deviceId: 'nope', fragment: 'c8y_Restart' }), /unknown device/);
    assert.match(refusal({ deviceId: 'pi', fragment: 'rm -rf' }), /fragment/);
    assert.match(refusal({ deviceId: 'pi', fragment: 'c8y_X', params: [1] }), /params/);
    assert.match(refusal(null), /object/);
  });
});
