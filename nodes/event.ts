import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toEvent } from './inputs';
import { evaluate, setupPublisher } from './publisher';

interface Def extends NodeDef {
  connection: string;
  eventType: string;
  text: string;
  textType: string;
}

const init = (RED: NodeAPI): void => {
  function EventNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    setupPublisher(RED, this, def.connection, 'event', async (agent, msg: NodeMessageInFlow, time) => {
      const text = await evaluate(RED, this, def.text || 'payload', def.textType || 'msg', msg);
      const e = toEvent(text, def.eventType ?? '', time);
      if (e.ok) await agent.sendEvent(e.value);
      return e;
    });
  }
  RED.nodes.registerType('device-agent-event', EventNode);
};

export = init;
