import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toMeasurement } from './inputs';
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
    setupPublisher(RED, this, def.connection, 'measurement', async (agent, msg: NodeMessageInFlow, time) => {
      const value = await evaluate(RED, this, def.value || 'payload', def.valueType || 'msg', msg);
      const m = toMeasurement(value, settings, time);
      if (m.ok) await agent.sendMeasurement(m.value);
      return m;
    });
  }
  RED.nodes.registerType('device-agent-measurement', MeasurementNode);
};

export = init;
