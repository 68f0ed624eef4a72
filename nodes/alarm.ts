import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { ok } from '../dialects/types';
import { toAlarm } from './inputs';
import { evaluate, setupPublisher } from './publisher';

interface Def extends NodeDef {
  connection: string;
  alarmType: string;
  severity: string;
  action: string;
  text: string;
  textType: string;
  onlyOnChange: boolean;
}

const init = (RED: NodeAPI): void => {
  function AlarmNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    // Last state sent per alarm type, so a threshold flow that repeats itself does not raise the
    // platform's alarm count on every sample. Unknown after a restart: the first change is always sent.
    const sent = new Map<string, string>();
    setupPublisher(RED, this, def.connection, 'alarm', async (agent, msg: NodeMessageInFlow, time) => {
      const text = def.text ? await evaluate(RED, this, def.text, def.textType || 'str', msg) : '';
      const settings = {
        type: def.alarmType ?? '',
        severity: def.severity || 'MAJOR',
        action: def.action || 'payload',
        text: typeof text === 'string' ? text : JSON.stringify(text),
      };
      const a = toAlarm(msg.payload, settings, time);
      if (!a.ok) return a;
      const state = a.value.action === 'raise' ? `raise:${a.value.severity}:${a.value.text}` : 'clear';
      const before = sent.get(a.value.type);
      if (def.onlyOnChange !== false && before === state) return ok(a.value);
      // Record the state before the asynchronous send, so messages arriving meanwhile compare with it.
      sent.set(a.value.type, state);
      try {
        await agent.sendAlarm(a.value);
      } catch (err) {
        if (before === undefined) sent.delete(a.value.type);
        else sent.set(a.value.type, before);
        throw err;
      }
      return a;
    });
  }
  RED.nodes.registerType('device-agent-alarm', AlarmNode);
};

export = init;
