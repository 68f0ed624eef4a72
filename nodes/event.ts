import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { fail } from '../dialects/types';
import { toEvent, toTime } from './inputs';
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
    setupPublisher(RED, this, def.connection, 'event', async (agent, msg: NodeMessageInFlow) => {
      const time = toTime((msg as { timestamp?: unknown }).timestamp, new Date());
      if (!time.ok) return time;
      const text = await evaluate(RED, this, def.text || 'payload', def.textType || 'msg', msg);
      const e = toEvent(text, def.eventType ?? '', time.value);
      if (!e.ok) return e;
      try {
        await agent.sendEvent(e.value);
      } catch (err) {
        return fail(err instanceof Error ? err.message : String(err));
      }
      return e;
    });
  }
  RED.nodes.registerType('device-agent-event', EventNode);
};

export = init;
