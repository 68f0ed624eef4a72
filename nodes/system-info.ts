import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { SystemSnapshot } from '../devices/system-info/interface';
import { createSystemSource } from '../devices/system-info/portable';
import { parseSystemSettings, systemSeries } from '../devices/system-info/series';
import { asError } from './common';
import { shortReason } from './publisher';

interface HostSettings {
  deviceAgentHostRoot?: string;
}

/** The areas a problem text starts with (`temperature: no thermal zone`, `disk /boot: not mounted`). */
const AREAS = new Set(['cpu', 'temperature', 'memory', 'disk', 'network', 'uptime', 'processes']);

const init = (RED: NodeAPI): void => {
  function SystemInfoNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const parsed = parseSystemSettings(def as unknown as Record<string, unknown>);
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('system-info.status.config') });
      node.error(new Error(RED._('system-info.errors.config', { reason: parsed.error })), {});
      return;
    }
    const cfg = parsed.value;
    const source = createSystemSource((RED.settings as unknown as HostSettings).deviceAgentHostRoot ?? '/');
    let shown: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;

    /** Status and, for timed readings, one error per change of what cannot be read (input: done(err)). */
    const report = (s: SystemSnapshot, timed: boolean): void => {
      const now = s.problems.join('; ');
      if (now === shown) return;
      shown = now;
      if (now === '') node.status({ fill: 'green', shape: 'dot', text: RED._('system-info.status.ok') });
      else {
        const first = s.problems[0] ?? '';
        const area = /^[a-z]+/.exec(first)?.[0] ?? '';
        const text = AREAS.has(area)
          ? RED._('system-info.status.unreadable', { what: RED._(`system-info.area.${area}`) })
          : shortReason(first);
        node.status({ fill: 'red', shape: 'dot', text });
        if (timed) node.error(new Error(RED._('system-info.errors.unreadable', { reason: now })), {});
      }
    };

    const reading = async (msg: NodeMessage, timed: boolean): Promise<SystemSnapshot> => {
      const s = await source.read(cfg);
      report(s, timed);
      const payload = systemSeries(s);
      if (Object.keys(payload).length > 0 || s.processes) {
        Object.assign(msg, { topic: 'system', fragment: 'c8y_System', payload });
        if (s.processes) Object.assign(msg, { processes: s.processes });
        node.send(msg);
      }
      return s;
    };

    const tick = (): void => {
      reading({}, true)
        .catch((e: unknown) => node.error(asError(e), {}))
        .finally(() => {
          if (!closed) timer = setTimeout(tick, cfg.interval * 1000);
        });
    };

    // A first reading to compare rates (CPU load, network, processes) with.
    const ready = source.prime(cfg).catch((e: unknown) => node.error(asError(e), {}));
    void ready.then(() => {
      if (closed) return;
      if (cfg.interval > 0) timer = setTimeout(tick, cfg.interval * 1000);
      else node.status({ fill: 'green', shape: 'dot', text: RED._('system-info.status.ok') });
    });

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      ready
        .then(() => reading(msg, false))
        .then(
          (s) =>
            done(s.problems.length > 0 ? new Error(RED._('system-info.errors.unreadable', { reason: s.problems.join('; ') })) : undefined),
          (e: unknown) => done(asError(e)),
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearTimeout(timer);
      done();
    });
  }
  RED.nodes.registerType('device-agent-system-info', SystemInfoNode);
};

export = init;
