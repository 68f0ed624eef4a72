// The Cumulocity simulator's SmartREST side, driven by raw mqtt.js clients: inventory, data,
// the s/e error channel, size limit, operation delivery and the operation lifecycle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closed, delay, eventually, inbox } from '../../sim/clients';
import { codes, creds, device, publish, withSim } from '../../sim/harness';

describe('Cumulocity simulator: SmartREST lines and operations', () => {
  it('stores inventory, measurements, events and alarms from s/us and s/us/<child>', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev2');
      await publish(c, [
        '100,Dev Two,c8y_Test',
        '110,0001,BCM2835,a02082',
        '114,c8y_Restart,c8y_Command',
        '117,10',
        '117,20',
        '122,node-red-contrib-device-agent,1.0.0,,ACME',
        '116,piAgent,0.3,,node-red,4.0.2,',
        '200,c8y_Temperature,T,25.3,C',
        '201,env,2024-01-02T03:04:05.000Z,env,T,21.5,C,env,H,40,%',
        '400,c8y_MyEvent,"Something, happened"',
        '301,c8y_Overheat,"Too hot"',
        '301,c8y_Overheat',
        '302,c8y_Door',
        '306,c8y_Door',
        '305,c8y_Overheat,MINOR',
        '101,dev2-child,Child,c8y_Child',
      ]);
      await publish(c, '211,19.5', 's/us/dev2-child');
      const d = sim.devices.get('dev2');
      assert.ok(d);
      assert.deepEqual([d.name, d.type, d.requiredInterval, d.children], ['Dev Two', 'c8y_Test', 10, ['dev2-child']]);
      assert.deepEqual(d.hardware, { serialNumber: '0001', model: 'BCM2835', revision: 'a02082' });
      assert.deepEqual(d.supportedOperations, ['c8y_Restart', 'c8y_Command']);
      assert.deepEqual(
        d.software?.map((s) => s.name),
        ['piAgent', 'node-red'],
      );
      assert.equal(d.agent?.maintainer, 'ACME');
      assert.ok(d.lastMessage instanceof Date);
      assert.equal(sim.devices.get('dev2-child')?.parent, 'dev2');
      assert.deepEqual(
        sim.measurements.map((m) => [m.deviceId, m.type, m.series.map((s) => `${s.fragment}.${s.series}=${s.value}${s.unit}`)]),
        [
          ['dev2', 'c8y_Temperature', ['c8y_Temperature.T=25.3C']],
          ['dev2', 'env', ['env.T=21.5C', 'env.H=40%']],
          ['dev2-child', 'c8y_TemperatureMeasurement', ['c8y_TemperatureMeasurement.T=19.5C']],
        ],
      );
      assert.equal(sim.measurements[1]?.time, '2024-01-02T03:04:05.000Z');
      assert.deepEqual(
        sim.events.map((e) => [e.type, e.text]),
        [['c8y_MyEvent', 'Something, happened']],
      );
      assert.deepEqual(
        sim.alarms.map((a) => [a.type, a.severity, a.status, a.count, a.text]),
        [
          ['c8y_Overheat', 'MINOR', 'ACTIVE', 2, 'Too hot'],
          ['c8y_Door', 'MAJOR', 'CLEARED', 1, 'Alarm of type c8y_Door raised'],
        ],
      );
      assert.deepEqual(sim.errorsSent, []);
    }));

  it('answers a repeated 100 with 41,100 on s/e', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev3');
      const box = inbox(c);
      await publish(c, '100,Dev Three,c8y_Test');
      await publish(c, '100,Dev Three,c8y_Test');
      await eventually(() => box.on('s/e').length === 1, 'the s/e line');
      assert.deepEqual(box.on('s/e'), ['41,100,Device already existing']);
      assert.equal(sim.devices.size, 1);
    }));

  it('answers 40, 45 and 42 on s/e for bad lines and still stores the good lines of the same publish', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev4');
      const box = inbox(c);
      await publish(c, '200,c8y_T,T,1,C\n999,foo\n200,c8y_T,T,abc\n400,c8y_E,"broken\n400,c8y_E,fine\r\n\r\n211,20\n');
      assert.deepEqual(codes(sim), ['40', '45', '42']);
      assert.deepEqual(
        sim.errorsSent.map((e) => e.line.split(',')[1]),
        ['999', '200', '400'],
      );
      assert.equal(sim.measurements.length, 2);
      assert.deepEqual(
        sim.events.map((e) => e.text),
        ['fine'],
      );
      await eventually(() => box.on('s/e').length === 3, 'three s/e lines');
      await publish(c, ['211,abc', '400,c8y_E,', '200,c8y_T,T,1,C,2024-13-45', '200,c8y_T,T,1,C,,extra']);
      assert.deepEqual(codes(sim).slice(3), ['45', '45', '45', '45']);
      assert.equal(sim.measurements.length, 2);
    }));

  it('closes the connection on a packet over 16184 bytes without processing it', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev5');
      const head = '400,c8y_Big,';
      // QoS 1 on s/us: 1 header byte + 2 length bytes + 2 + 4 topic + 2 id = 11 bytes of overhead.
      await publish(c, head + 'x'.repeat(16184 - 11 - head.length));
      assert.equal(sim.events.length, 1, 'exactly 16184 bytes is accepted');
      const gone = closed(c);
      c.publish('s/us', head + 'x'.repeat(16184 - 11 - head.length + 1), { qos: 1 });
      await gone;
      await sim.waitFor(() => !sim.connected('dev5'), 2000, 'the session to end');
      assert.equal(sim.events.length, 1);
      assert.equal(sim.received.at(-1)?.payload.length, 16174);
    }));

  it('answers the 105, 123 and 600 queries on s/ds', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev16');
      const box = inbox(c);
      await c.subscribeAsync('s/ds', { qos: 1 });
      await publish(c, ['100,Dev 16', '101,dev16-a', '101,dev16-b', '105', '123', '600']);
      await eventually(() => box.on('s/ds').length === 3, 'three answers');
      assert.deepEqual(box.on('s/ds'), ['106,dev16-a,dev16-b', `124,${sim.devices.get('dev16')?.id}`, '601,1018.0.0']);
    }));

  it('pushes PENDING operations as batched s/ds lines on subscribe, again on 500, and new ones at once', () =>
    withSim({ batchSize: 2 }, async (sim, pool) => {
      sim.createOperation('dev6', 'c8y_Restart', {});
      sim.createOperation('dev6', 'c8y_Command', { text: 'echo "hi", there' });
      sim.createOperation('dev6', 'c8y_Configuration', { config: 'a=1\nb=2' });
      const c = await device(sim, pool, 'dev6');
      const box = inbox(c);
      await c.subscribeAsync('s/ds', { qos: 1 });
      const first = ['510,dev6\n511,dev6,"echo ""hi"", there"', '513,dev6,"a=1\nb=2"'];
      await eventually(() => box.on('s/ds').length === 2, 'the push on subscribe');
      assert.deepEqual(box.on('s/ds'), first);
      await publish(c, '500');
      await eventually(() => box.on('s/ds').length === 4, 'the answer to 500');
      assert.deepEqual(box.on('s/ds').slice(2), first);
      sim.createOperation('dev6', 'c8y_Firmware', { name: 'raspios', version: '12.6', url: 'https://x/1' });
      await eventually(() => box.on('s/ds').length === 5, 'the new operation');
      assert.equal(box.on('s/ds')[4], '515,dev6,raspios,12.6,https://x/1');
      assert.ok(
        sim.sent.every((s) => s.topic !== 'devicecontrol/notifications'),
        'nothing on unsubscribed topics',
      );
    }));

  it('delivers operations as JSON on devicecontrol/notifications and redelivers PENDING ones after reconnect', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev7');
      await publish(c, '100,Dev Seven,c8y_Test');
      const id = sim.createOperation('dev7', 'c8y_Restart', {}, 'Restart device');
      const box = inbox(c);
      await c.subscribeAsync('devicecontrol/notifications', { qos: 1 });
      await eventually(() => box.messages.length === 1, 'the JSON operation');
      assert.deepEqual(JSON.parse(box.messages[0]?.payload ?? ''), {
        id,
        status: 'PENDING',
        deviceId: sim.devices.get('dev7')?.id,
        externalSource: { externalId: 'dev7', type: 'c8y_Serial' },
        description: 'Restart device',
        c8y_Restart: {},
      });
      await c.endAsync();
      const again = await pool.open(sim.url(), creds(sim, 'dev7'));
      const box2 = inbox(again);
      await again.subscribeAsync('devicecontrol/notifications', { qos: 1 });
      await eventually(() => box2.messages.length === 1, 'redelivery after reconnect');
      await publish(again, `504,${id}`);
      await again.endAsync();
      const third = await pool.open(sim.url(), creds(sim, 'dev7'));
      await third.subscribeAsync('devicecontrol/notifications', { qos: 1 });
      await delay(50);
      assert.equal(sim.sent.filter((s) => s.topic === 'devicecontrol/notifications').length, 2, 'EXECUTING is not redelivered');
    }));

  it('moves operations PENDING → EXECUTING → SUCCESSFUL by fragment and → FAILED by id, storing results and reasons', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev8');
      const cmd = sim.createOperation('dev8', 'c8y_Command', { text: 'ls' });
      const restart = sim.createOperation('dev8', 'c8y_Restart', {});
      const later = sim.createOperation('dev8', 'c8y_Restart', {});
      await publish(c, '501,c8y_Command');
      assert.equal(sim.operation(cmd)?.status, 'EXECUTING');
      await publish(c, '503,c8y_Command,"total 0, done"');
      assert.deepEqual(sim.operation(cmd)?.history, ['PENDING', 'EXECUTING', 'SUCCESSFUL']);
      assert.deepEqual(sim.operation(cmd)?.result, ['total 0, done']);
      await publish(c, [`504,${restart}`, `505,${restart},"disk ""full"""`]);
      assert.equal(sim.operation(restart)?.status, 'FAILED');
      assert.equal(sim.operation(restart)?.failureReason, 'disk "full"');
      await publish(c, ['501,c8y_Restart', '507,c8y_Restart,Agent restarted']);
      assert.equal(sim.operation(later)?.status, 'FAILED');
      assert.equal(sim.operation(later)?.failureReason, 'Agent restarted');
      assert.deepEqual(sim.errorsSent, []);
    }));

  it('refuses illegal transitions and other devices’ operations with an s/e line and no state change', () =>
    withSim({}, async (sim, pool) => {
      const c = await device(sim, pool, 'dev9');
      const box = inbox(c);
      const op = sim.createOperation('dev9', 'c8y_Restart', {});
      const foreign = sim.createOperation('other', 'c8y_Restart', {});
      await publish(c, [`506,${op}`, `505,${op},no`, '502,c8y_Restart,nope', '503,c8y_Restart', `504,${foreign}`, '504,424242']);
      assert.deepEqual(codes(sim), ['41', '41', '41', '41', '41', '41']);
      assert.deepEqual(sim.operation(op)?.history, ['PENDING']);
      assert.deepEqual(sim.operation(foreign)?.history, ['PENDING']);
      await eventually(() => box.on('s/e').length === 6, 'six s/e lines');
      await publish(c, [`504,${op}`, `504,${op}`]);
      assert.deepEqual(sim.operation(op)?.history, ['PENDING', 'EXECUTING']);
      assert.equal(codes(sim).length, 7);
    }));
});
