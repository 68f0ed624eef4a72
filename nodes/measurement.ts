import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { fail } from '../dialects/types';
import { toMeasurement, toTime } from './inputs';
import { evaluate, setupPublisher } from './publisher';

interface Def extends NodeDef {
  connection: string;
  fragment: string;
  series: string;
  unit: string;
  measurementType: string;
  value: string;
  valueType: string;
}

const init = (RED: NodeAPI): void => {
  function MeasurementNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const settings = { type: def.measurementType ?? '', fragment: def.fragment ?? '', series: def.series ?? '', unit: def.unit ?? '' };
    setupPublisher(RED, this, def.connection, 'measurement', async (agent, msg: NodeMessageInFlow) => {
      const time = toTime((msg as { timestamp?: unknown }).timestamp, new Date());
      if (!time.ok) return time;
      const value = await evaluate(RED, this, def.value || 'payload', def.valueType || 'msg', msg);
      const m = toMeasurement(value, settings, time.value);
      if (!m.ok) return m;
      try {
        await agent.sendMeasurement(m.value);
      } catch (err) {
        return fail(err instanceof Error ? err.message : String(err));
      }
      return m;
    });
  }
  RED.nodes.registerType('device-agent-measurement', MeasurementNode);
};

export = init;
