import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { parseCommands, type Command } from '../devices/sense-hat/commands';
import { DisplayError } from '../devices/sense-hat/display';
import { blankImage, flip } from '../devices/sense-hat/frame';
import { acquireSenseHat, type HatLease } from '../devices/sense-hat/hub';
import type { Rgb } from '../devices/sense-hat/interface';
import { frameCount, letterFrame, stripFrame, textStrip } from '../devices/sense-hat/text';
import { asError } from './common';
import { shortReason } from './publisher';
import { parseOutSettings, problemStatus } from './sense-hat-common';

interface Def extends NodeDef {
  simulate: boolean;
}

interface HostSettings {
  deviceAgentHostRoot?: string;
}

const init = (RED: NodeAPI): void => {
  function SenseHatOutNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const parsed = parseOutSettings(def as unknown as Record<string, unknown>);
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('sense-hat-out.status.config') });
      node.error(new Error(RED._('sense-hat-out.errors.config', { reason: parsed.error })), {});
      return;
    }
    const cfg = parsed.value;
    const root = (RED.settings as unknown as HostSettings).deviceAgentHostRoot ?? '/';
    let image: Rgb[] = blankImage();
    let rotation = cfg.rotation;
    let lowLight = cfg.lowLight;
    let lease: HatLease | undefined;
    let scrolling: AbortController | undefined;
    let work: Promise<unknown> = Promise.resolve();
    let healthy: boolean | undefined;

    const showHealthy = (): void => {
      if (healthy === true) return;
      healthy = true;
      if (lease?.simulated) node.status({ fill: 'blue', shape: 'ring', text: RED._('sense-hat-out.status.simulated') });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('sense-hat-out.status.ok') });
    };

    const ready = acquireSenseHat(root, { simulate: def.simulate === true }).then(async (l) => {
      lease = l;
      const d = await l.board.discovery(true);
      if (d.display) showHealthy();
      else node.status({ fill: 'red', shape: 'dot', text: RED._('sense-hat-out.status.no-hat') });
    });
    ready.catch((e: unknown) =>
      node.error(new Error(RED._('sense-hat-out.errors.start', { reason: asError(e).message }), { cause: e }), {}),
    );

    const draw = async (frame: readonly Rgb[]): Promise<void> => {
      if (!lease) throw new Error(RED._('sense-hat-out.errors.not-ready'));
      await lease.board.writeFrame(frame, rotation, lowLight);
    };

    const scroll = async (c: Extract<Command, { kind: 'text' }>, signal: AbortSignal): Promise<void> => {
      if ([...c.text].length === 1) {
        image = letterFrame(c.text, c.fg, c.bg);
        return draw(image);
      }
      const strip = textStrip(c.text);
      for (let k = 0; k < frameCount(strip) && !signal.aborted; k += 1) {
        await draw(stripFrame(strip, k, c.fg, c.bg));
        await sleep(c.columnMs, undefined, { signal }).catch(() => undefined);
      }
      if (!signal.aborted) await draw(image); // text does not change the picture: show it again
    };

    /** Applies one message's commands; changes to the picture are drawn once per run of them. */
    const apply = async (cmds: Command[], signal: AbortSignal): Promise<void> => {
      let dirty = false;
      for (const c of cmds) {
        if (c.kind === 'text') {
          if (dirty) await draw(image);
          dirty = false;
          await scroll(c, signal);
          continue;
        }
        if (c.kind === 'pixels') {
          image = [...image];
          for (const p of c.pixels) image[8 * p.y + p.x] = p.colour;
        } else if (c.kind === 'image') image = [...c.image];
        else if (c.kind === 'clear') image = blankImage(c.colour);
        else if (c.kind === 'rotation') rotation = c.rotation;
        else if (c.kind === 'flip') image = flip(image, c.axis);
        else lowLight = c.on;
        dirty = true;
      }
      if (dirty) await draw(image);
    };

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      const cmds = parseCommands(msg, cfg.style);
      if (!cmds.ok) {
        healthy = false;
        node.status({ fill: 'red', shape: 'dot', text: RED._('sense-hat-out.status.bad-input') });
        done(new Error(RED._('sense-hat-out.errors.bad-input', { reason: cmds.error })));
        return;
      }
      if (!cfg.queue) scrolling?.abort(); // a new message replaces the running text (as the old node did)
      const ctl = new AbortController();
      work = work
        .then(() => ready)
        .then(async () => {
          scrolling = ctl;
          await apply(cmds.value, ctl.signal);
        })
        .then(
          () => {
            showHealthy();
            send(msg);
            done();
          },
          (e: unknown) => {
            healthy = false;
            if (e instanceof DisplayError) node.status(problemStatus(RED._, 'sense-hat-out', 'display', e.problem));
            else node.status({ fill: 'red', shape: 'dot', text: shortReason(asError(e).message) });
            done(new Error(RED._('sense-hat-out.errors.display', { reason: asError(e).message }), { cause: e }));
          },
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      scrolling?.abort();
      Promise.all([work, ready])
        .catch(() => undefined)
        .then(() => lease?.release())
        .catch(() => undefined)
        .finally(done);
    });
  }
  RED.nodes.registerType('device-agent-sense-hat-out', SenseHatOutNode);
};

export = init;
