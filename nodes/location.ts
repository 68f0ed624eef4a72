import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { ExtendedAgent } from '../agent/platform';
import { fail } from '../dialects/types';
import { toLocation } from './attribute-inputs';
import { evaluate, setupPublisher } from './publisher';

interface Def extends NodeDef {
  connection: string;
  value: string;
  valueType: string;
}

const init = (RED: NodeAPI): void => {
  function LocationNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    setupPublisher(RED, this, def.connection, 'location', async (agent, msg: NodeMessageInFlow, time) => {
      const ext = agent as ExtendedAgent; // optional methods: checked below
      if (!ext.sendLocation) return fail(RED._('location.errors.unsupported'));
      const value = await evaluate(RED, this, def.value || 'payload', def.valueType || 'msg', msg);
      const l = toLocation(value, time);
      if (l.ok) await ext.sendLocation(l.value);
      return l;
    });
  }
  RED.nodes.registerType('device-agent-location', LocationNode);
};

export = init;
