import type { Node, NodeAPI, NodeDef } from 'node-red';
import { acquireSenseHat, type HatLease } from '../devices/sense-hat/hub';
import type { KeyState } from '../devices/sense-hat/interface';
import type { JoystickReader } from '../devices/sense-hat/joystick';
import { asError } from './common';
import { joystickMessage, problemStatus } from './sense-hat-common';

interface Def extends NodeDef {
  simulate: boolean;
  pressed: boolean;
  held: boolean;
  released: boolean;
}

interface HostSettings {
  deviceAgentHostRoot?: string;
}

const init = (RED: NodeAPI): void => {
  function JoystickNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const root = (RED.settings as unknown as HostSettings).deviceAgentHostRoot ?? '/';
    const wanted: Record<KeyState, boolean> = { 0: def.released !== false, 1: def.pressed !== false, 2: def.held !== false };
    let lease: HatLease | undefined;
    let reader: JoystickReader | undefined;
    let closed = false;

    const healthy = (): void => {
      if (lease?.simulated) node.status({ fill: 'blue', shape: 'ring', text: RED._('joystick.status.simulated') });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('joystick.status.ok') });
    };

    const ready = acquireSenseHat(root, { simulate: def.simulate === true }).then((l) => {
      lease = l;
      if (closed) return;
      reader = l.board.watchJoystick({
        event: (e) => {
          if (wanted[e.state]) node.send(joystickMessage(e));
        },
        problem: (p) => {
          node.status(problemStatus(RED._, 'joystick', 'joystick', p));
          node.error(new Error(RED._('joystick.errors.device', { reason: p.text })), {});
        },
        recovered: healthy, // also once the device is first opened
      });
    });
    ready.catch((e: unknown) => {
      node.status({ fill: 'red', shape: 'dot', text: RED._('joystick.status.io', { sensor: RED._('joystick.sensor.joystick') }) });
      node.error(new Error(RED._('joystick.errors.start', { reason: asError(e).message }), { cause: e }), {});
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      ready
        .then(async () => {
          await reader?.stop();
          await lease?.release();
        })
        .catch(() => undefined)
        .finally(done);
    });
  }
  RED.nodes.registerType('device-agent-joystick', JoystickNode);
};

export = init;
