import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { ExtendedAgent } from '../agent/platform';
import { fail } from '../dialects/types';
import { toAttributes } from './attribute-inputs';
import { evaluate, setupPublisher } from './publisher';

interface Def extends NodeDef {
  connection: string;
  key: string;
  value: string;
  valueType: string;
}

const init = (RED: NodeAPI): void => {
  function AttributeNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    setupPublisher(RED, this, def.connection, 'attribute', async (agent, msg: NodeMessageInFlow, time) => {
      const ext = agent as ExtendedAgent; // optional methods: checked below
      if (!ext.sendAttributes) return fail(RED._('attribute.errors.unsupported'));
      const value = await evaluate(RED, this, def.value || 'payload', def.valueType || 'msg', msg);
      const key = (def.key ?? '').trim() || (typeof msg.topic === 'string' ? msg.topic : '');
      const a = toAttributes(value, key);
      if (a.ok) await ext.sendAttributes(a.value, time);
      return a;
    });
  }
  RED.nodes.registerType('device-agent-attribute', AttributeNode);
};

export = init;
