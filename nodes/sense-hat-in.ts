import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { MadgwickFilter, tiltOrientation, type Orientation } from '../devices/sense-hat/fusion';
import { acquireSenseHat, type HatLease } from '../devices/sense-hat/hub';
import type { Problem, SensorId, SensorValues } from '../devices/sense-hat/interface';
import { asError } from './common';
import { parseInSettings, problemStatus, sensorsFor, toSeries, type InSettings } from './sense-hat-common';

interface Def extends NodeDef {
  simulate: boolean;
  i2c: boolean;
}

interface Settings {
  deviceAgentHostRoot?: string;
}

const init = (RED: NodeAPI): void => {
  function SenseHatInNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const parsed = parseInSettings(def as unknown as Record<string, unknown>);
    if (!parsed.ok) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('sense-hat-in.status.config') });
      node.error(new Error(RED._('sense-hat-in.errors.config', { reason: parsed.error })), {});
      return;
    }
    const cfg: InSettings = parsed.value;
    const root = (RED.settings as unknown as Settings).deviceAgentHostRoot ?? '/';
    const wanted = sensorsFor(cfg);
    const problems = new Map<SensorId, Problem>();
    const filter = new MadgwickFilter();
    let lease: HatLease | undefined;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let fusionTimer: NodeJS.Timeout | undefined;
    let fused: Orientation | undefined;
    let noGyro = false;

    const setStatus = (): void => {
      const [first] = problems;
      if (first) node.status(problemStatus(RED._, 'sense-hat-in', first[0], first[1]));
      else if (noGyro) node.status({ fill: 'yellow', shape: 'ring', text: RED._('sense-hat-in.status.tilt') });
      else if (lease?.simulated) node.status({ fill: 'blue', shape: 'ring', text: RED._('sense-hat-in.status.simulated') });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('sense-hat-in.status.ok') });
    };

    /**
     * Records a sensor's outcome. A timed reading reports a new problem once (a Catch node sees
     * it); a reading asked for by a message fails that message instead (done(err)).
     */
    const note = (id: SensorId, p: Problem | undefined, timed: boolean): void => {
      const before = problems.get(id);
      if (p) problems.set(id, p);
      else problems.delete(id);
      if (p && timed && before?.text !== p.text)
        node.error(new Error(RED._('sense-hat-in.errors.sensor', { sensor: id, reason: p.text })), {});
      if (before?.text !== p?.text) setStatus();
    };

    const readAll = async (board: HatLease['board'], timed: boolean): Promise<SensorValues> => {
      const v: SensorValues = {};
      for (const id of wanted) {
        const r = await board.read(id);
        if (r.ok) Object.assign(v, { [id]: r.value });
        note(id, r.ok ? undefined : r.problem, timed);
      }
      return v;
    };

    const orientationFor = (v: SensorValues): Orientation | undefined => {
      if (!cfg.orientation || !v.accelerometer) return undefined;
      return fused ?? tiltOrientation(v.accelerometer, v.magnetometer);
    };

    /** The fusion filter samples faster than the node reports; a missing gyroscope means tilt only. */
    let last = performance.now();
    const fuse = async (): Promise<void> => {
      const board = lease?.board;
      if (!board || closed) return;
      const [a, g, m] = [await board.read('accelerometer'), await board.read('gyroscope'), await board.read('magnetometer')];
      const gyroMissing = !g.ok && ['missing', 'no-hat', 'overlay'].includes(g.problem.code);
      if (gyroMissing !== noGyro) {
        noGyro = gyroMissing;
        if (noGyro) node.warn(RED._('sense-hat-in.errors.no-gyro'));
        setStatus();
      }
      const now = performance.now();
      const dt = Math.min(1, (now - last) / 1000);
      last = now;
      if (a.ok && g.ok) fused = filter.update(g.value, a.value, m.ok ? m.value : undefined, dt);
      else fused = undefined;
    };
    const fusionLoop = (): void => {
      if (closed) return;
      fuse()
        .catch((e: unknown) => node.error(asError(e), {}))
        .finally(() => {
          if (!closed) fusionTimer = setTimeout(fusionLoop, 1000 / cfg.fusionRate);
        });
    };

    const reading = async (
      msg: NodeMessage,
      timed: boolean,
    ): Promise<{ sent: boolean; failed: { sensor: string; problem: Problem } | undefined }> => {
      const board = lease?.board;
      if (!board)
        return { sent: false, failed: { sensor: 'Sense HAT', problem: { code: 'io', text: RED._('sense-hat-in.errors.not-ready') } } };
      const values = await readAll(board, timed);
      const payload = toSeries(cfg, values, orientationFor(values));
      const failedId = wanted.find((id) => problems.has(id));
      const failed =
        failedId === undefined ? undefined : { sensor: failedId, problem: problems.get(failedId) ?? { code: 'io' as const, text: '' } };
      if (Object.keys(payload).length === 0) return { sent: false, failed };
      Object.assign(msg, { topic: 'sense-hat', fragment: 'c8y_SenseHat', payload });
      node.send(msg);
      return { sent: true, failed };
    };

    const tick = (): void => {
      reading({}, true)
        .catch((e: unknown) => node.error(asError(e), {}))
        .finally(() => {
          if (!closed) timer = setTimeout(tick, cfg.interval * 1000);
        });
    };

    const ready = acquireSenseHat(root, { simulate: def.simulate === true, i2c: def.i2c === true }).then(
      (l) => {
        lease = l;
        if (closed) return;
        setStatus();
        if (cfg.orientation && cfg.fusion === 'madgwick') fusionLoop();
        if (cfg.interval > 0) tick();
      },
      (e: unknown) => {
        node.status({ fill: 'red', shape: 'dot', text: RED._('sense-hat-in.status.io', { sensor: RED._('sense-hat-in.sensor.hat') }) });
        node.error(new Error(RED._('sense-hat-in.errors.start', { reason: asError(e).message }), { cause: e }), {});
      },
    );

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      ready
        .then(() => reading(msg, false))
        .then(
          ({ failed }) =>
            done(
              failed ? new Error(RED._('sense-hat-in.errors.sensor', { sensor: failed.sensor, reason: failed.problem.text })) : undefined,
            ),
          (e: unknown) => done(asError(e)),
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (fusionTimer) clearTimeout(fusionTimer);
      ready
        .then(() => lease?.release())
        .catch(() => undefined)
        .finally(done);
    });
  }
  RED.nodes.registerType('device-agent-sense-hat-in', SenseHatInNode);
};

export = init;
