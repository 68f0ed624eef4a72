/** The node side of the pyaiot dialect against pyaiot.md §7 N1–N13 (wire shapes, exact bytes). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import * as py from '../../../dialects/pyaiot';

const T = new Date('2026-01-01T00:00:00Z');
const buf = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('pyaiot node side', () => {
  it('N1/N2: node/check {"id":"nr1"}, session control traffic, one publish', () => {
    assert.deepEqual(py.encodeCheck('nr1'), { topic: 'node/check', payload: '{"id":"nr1"}', priority: 'control', batchable: false });
  });

  it('N3: an empty gateway/check asks for a node/check', () => {
    assert.deepEqual(py.decodeNodeRequest('nr1', 'gateway/check', Buffer.alloc(0)), { kind: 'check' });
  });

  it('N4: discover "resources" → the list as a JSON array of names', () => {
    assert.deepEqual(py.decodeNodeRequest('nr1', 'gateway/nr1/discover', buf('resources')), { kind: 'resources' });
    const r = py.encodeResources('nr1', ['name', 'os', 'led']);
    assert.equal(r.topic, 'node/nr1/resources');
    assert.equal(r.payload, '["name","os","led"]');
  });

  it('N5: discover "values" → one {"value": …} per resource', () => {
    assert.deepEqual(py.decodeNodeRequest('nr1', 'gateway/nr1/discover', buf('values')), { kind: 'values' });
    const v = py.encodeValue('nr1', 'name', 'Node-RED node');
    assert.ok(v.ok);
    assert.equal(v.value.topic, 'node/nr1/name');
    assert.equal(v.value.payload, '{"value":"Node-RED node"}');
    const led = py.encodeValue('nr1', 'led', '0');
    assert.ok(led.ok);
    assert.equal(led.value.payload, '{"value":"0"}');
  });

  it('N6: any other discover payload is bad input', () => {
    const r = py.decodeNodeRequest('nr1', 'gateway/nr1/discover', buf('other'));
    assert.equal(r.kind, 'bad');
  });

  it('N7/N8: dashboard style appends the unit as text, raw keeps the number', () => {
    const m = { time: T, series: [{ fragment: 'temperature', series: 'temperature', value: 21.4, unit: '°C' }] };
    const d = py.measurementValues(m, 'dashboard');
    assert.ok(d.ok);
    const dv = py.encodeValue('nr1', d.value[0]!.resource, d.value[0]!.value);
    assert.ok(dv.ok);
    assert.equal(dv.value.topic, 'node/nr1/temperature');
    assert.equal(dv.value.payload, '{"value":"21.4°C"}');
    const r = py.measurementValues(m, 'raw');
    assert.ok(r.ok);
    const rv = py.encodeValue('nr1', r.value[0]!.resource, r.value[0]!.value);
    assert.ok(rv.ok);
    assert.equal(rv.value.payload, '{"value":21.4}');
  });

  it('N9: humidity with % in dashboard style', () => {
    const r = py.measurementValues({ time: T, series: [{ fragment: 'env', series: 'humidity', value: 45, unit: '%' }] }, 'dashboard');
    assert.ok(r.ok);
    assert.deepEqual(r.value, [{ resource: 'humidity', value: '45%' }]);
  });

  it("N10/N11: a set for this node carries the raw text; another node's is ignored", () => {
    assert.deepEqual(py.decodeNodeRequest('nr1', 'gateway/nr1/led/set', buf('1')), { kind: 'set', resource: 'led', text: '1' });
    assert.equal(py.decodeNodeRequest('nr1', 'gateway/nr2/led/set', buf('1')).kind, 'ignored');
    assert.equal(py.decodeNodeRequest('nr1', 'gateway/nr1/a/b/set', buf('1')).kind, 'ignored');
  });

  it('N12: series lat and lng of one measurement are the position resource', () => {
    const m = {
      time: T,
      series: [
        { fragment: 'gps', series: 'lat', value: 48.7144507 },
        { fragment: 'gps', series: 'lng', value: 2.2058228 },
        { fragment: 'gps', series: 'speed', value: 3, unit: 'km/h' },
      ],
    };
    const r = py.measurementValues(m, 'dashboard');
    assert.ok(r.ok);
    assert.deepEqual(r.value, [
      { resource: 'position', value: '{"lat": 48.7144507, "lng": 2.2058228}' },
      { resource: 'speed', value: '3km/h' },
    ]);
    const only = py.measurementValues({ time: T, series: [{ fragment: 'gps', series: 'lat', value: 1 }] }, 'raw');
    assert.ok(only.ok);
    assert.deepEqual(only.value, [{ resource: 'lat', value: 1 }]);
  });

  it('N12: position is a JSON string inside the value', () => {
    const v = py.encodeValue('nr1', 'position', py.positionValue(48.7144507, 2.2058228));
    assert.ok(v.ok);
    assert.equal(v.value.payload, '{"value":"{\\"lat\\": 48.7144507, \\"lng\\": 2.2058228}"}');
  });

  it('N13: reserved names and names with /, + or # are refused', () => {
    for (const bad of ['id', 'protocol', 'check', 'resources', 'a/b', 'a+', '#', '']) {
      assert.ok(py.checkResourceName(bad), bad);
      const v = py.encodeValue('nr1', bad, 1);
      assert.equal(v.ok, false, bad);
    }
    assert.equal(py.checkResourceName('temperature'), undefined);
    const m = py.measurementValues({ time: T, series: [{ fragment: 'x', series: 'a/b', value: 1 }] }, 'raw');
    assert.equal(m.ok, false);
  });

  it('refuses a value that is not JSON-encodable', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.equal(py.encodeValue('nr1', 'x', cyclic).ok, false);
  });
});
