/** The flows the bench deploys into its Node-RED children. */
import { FRAGMENT, SERIES, TOPIC } from './records';

export const TAB = { id: 'bench', type: 'tab', label: 'bench' };

/**
 * Gives every node of the tab a position: Node-RED treats a node without x/y as a config node
 * (started in another order, and its name may be mistaken for a config node reference).
 */
function placed(nodes: object[]): object[] {
  return nodes.map((n, i) => ('z' in n && !('x' in n) ? { ...n, x: 200 + 160 * (i % 6), y: 80 + 60 * Math.floor(i / 6) } : n));
}
export const BENCH_USER = 'device_bench';
export const BENCH_PASSWORD = 'bench-pw';
/** Environment of every Node-RED child: the connection node reads its credentials from it. */
export const RED_ENV = { BENCH_USER, BENCH_PASSWORD };

/** A Cumulocity connection node on plain MQTT over loopback, credentials from RED_ENV. */
export function connection(id: string, port: number, deviceId: string, extra: Record<string, unknown> = {}): object {
  return {
    id,
    type: 'device-agent-connection',
    dialect: 'cumulocity',
    host: '127.0.0.1',
    port: String(port),
    protocol: 'mqtt',
    tenant: 't12345',
    deviceId,
    authMode: 'basic',
    credentialsFrom: 'env',
    userEnv: 'BENCH_USER',
    passwordEnv: 'BENCH_PASSWORD',
    keepalive: '60',
    will: true,
    operationMode: 'id',
    ...extra,
  };
}

export function measurement(id: string, conn: string, wires: string[] = []): object {
  return {
    id,
    type: 'device-agent-measurement',
    z: TAB.id,
    connection: conn,
    fragment: FRAGMENT,
    series: SERIES,
    unit: '',
    measurementType: '',
    value: 'payload',
    valueType: 'msg',
    wires: [wires],
  };
}

/** Chunk of messages the generator sends per timer tick. */
export const CHUNK = 1000;

/**
 * Inject `go` → function `gen`: on each press, sends `msg.payload` messages with a running counter
 * (`{ payload: k }`), CHUNK per timer tick so Node-RED's event loop keeps turning (the deliveries of
 * one chunk run before the next chunk is made, so the backlog inside Node-RED stays at one chunk).
 * `node.send(msg, false)`: no clone, the cheapest way to emit; the same generator feeds every
 * Node-RED variant, so its cost is common to all of them.
 */
export function generator(target: string): object[] {
  const func = [
    'const n = Number(msg.payload);',
    "const first = context.get('next') || 1;",
    "context.set('next', first + n);",
    'let i = 0;',
    'const step = () => {',
    `  const end = Math.min(i + ${CHUNK}, n);`,
    '  for (; i < end; i++) node.send({ payload: first + i }, false);',
    '  if (i < n) setTimeout(step, 0);',
    '};',
    'step();',
    'return null;',
  ].join('\n');
  return placed([
    {
      id: 'go',
      type: 'inject',
      z: TAB.id,
      name: '',
      props: [{ p: 'payload' }],
      repeat: '',
      once: false,
      payload: '0',
      payloadType: 'num',
      wires: [['gen']],
    },
    {
      id: 'gen',
      type: 'function',
      z: TAB.id,
      name: 'gen',
      func,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [[target]],
    },
  ]);
}

/** Line 1, ours: generator → measurement node → connection. */
export function oursThroughput(port: number, deviceId: string): object[] {
  return placed([TAB, connection('conn', port, deviceId), ...generator('m'), measurement('m', 'conn')]);
}

/**
 * Line 1, Node-RED's own way: generator → function node that builds the same SmartREST line →
 * core mqtt out (QoS 0, its default) on a core mqtt-broker config node.
 */
export function coreThroughput(port: number, clientId: string): object[] {
  const func = `msg.topic = '${TOPIC}';\nmsg.payload = '200,${FRAGMENT},${SERIES},' + msg.payload + ',,' + new Date().toISOString();\nreturn msg;`;
  return placed([
    TAB,
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: '',
      broker: '127.0.0.1',
      port: String(port),
      clientid: clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
    },
    ...generator('fmt'),
    {
      id: 'fmt',
      type: 'function',
      z: TAB.id,
      name: 'fmt',
      func,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['out']],
    },
    { id: 'out', type: 'mqtt out', z: TAB.id, name: '', topic: '', qos: '0', retain: 'false', broker: 'broker', wires: [] },
  ]);
}

/** Line 3: operation node → change node (the flow's work: a result) → operation status node. */
export function roundTrip(port: number, deviceId: string): object[] {
  return placed([
    TAB,
    connection('conn', port, deviceId),
    {
      id: 'op',
      type: 'device-agent-operation',
      z: TAB.id,
      connection: 'conn',
      fragments: 'c8y_Command',
      timeout: '60',
      completeOnRestart: 'auto',
      wires: [['work']],
    },
    {
      id: 'work',
      type: 'change',
      z: TAB.id,
      rules: [{ t: 'set', p: 'result', pt: 'msg', to: 'ok', tot: 'str' }],
      wires: [['status']],
    },
    { id: 'status', type: 'device-agent-operation-status', z: TAB.id, outcome: 'auto', wires: [] },
  ]);
}

/** Line 4: one connection and ten nodes of the package (no generator, no core nodes). */
export function tenNodes(port: number, deviceId: string): object[] {
  const nodes: object[] = [TAB, connection('conn', port, deviceId)];
  for (let i = 0; i < 4; i += 1) nodes.push(measurement(`m${i}`, 'conn'));
  for (let i = 0; i < 2; i += 1) {
    nodes.push({ id: `e${i}`, type: 'device-agent-event', z: TAB.id, connection: 'conn', eventType: 'bench', wires: [[]] });
    nodes.push({
      id: `a${i}`,
      type: 'device-agent-alarm',
      z: TAB.id,
      connection: 'conn',
      alarmType: `bench_${i}`,
      severity: 'MAJOR',
      wires: [[]],
    });
  }
  nodes.push({
    id: 'op',
    type: 'device-agent-operation',
    z: TAB.id,
    connection: 'conn',
    fragments: 'c8y_Command',
    timeout: '60',
    wires: [['st']],
  });
  nodes.push({ id: 'st', type: 'device-agent-operation-status', z: TAB.id, outcome: 'auto', wires: [] });
  return placed(nodes);
}
