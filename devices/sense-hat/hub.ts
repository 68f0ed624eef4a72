/**
 * One board per root dir, shared by every Sense HAT node of the process (as the old node shared
 * its helper process), and one simulated board shared by the nodes that fall back to it.
 */
import { I2cToolsBus } from './i2c';
import { LinuxSenseHat, type LinuxOptions } from './linux';
import { SyntheticSenseHat } from './synthetic';

export interface HatLease {
  board: LinuxSenseHat;
  /** Set when no Sense HAT was found and the node asked to simulate one. */
  simulated: SyntheticSenseHat | undefined;
  release(): Promise<void>;
}

export interface HatOptions {
  simulate: boolean;
  /** Register access over I2C for the gyroscope, colour and (newer overlays) humidity sensors. */
  i2c?: boolean | undefined;
  linux?: LinuxOptions;
}

interface Shared<T> {
  value: Promise<T>;
  refs: number;
}

const boards = new Map<string, Shared<LinuxSenseHat>>();
let simulation: Shared<{ sim: SyntheticSenseHat; board: LinuxSenseHat }> | undefined;

function boardFor(root: string, o: HatOptions): { key: string; entry: Shared<LinuxSenseHat> } {
  const key = `${root}\0${o.i2c ? 'i2c' : ''}`;
  let entry = boards.get(key);
  if (!entry) {
    const bus = o.i2c ? new I2cToolsBus() : undefined;
    entry = { value: Promise.resolve(new LinuxSenseHat(root, { ...o.linux, bus })), refs: 0 };
    boards.set(key, entry);
  }
  entry.refs += 1;
  return { key, entry };
}

async function releaseBoard(key: string): Promise<void> {
  const entry = boards.get(key);
  if (!entry) return;
  entry.refs -= 1;
  if (entry.refs > 0) return;
  boards.delete(key);
  await (await entry.value).close();
}

async function leaseSimulation(): Promise<HatLease> {
  simulation ??= {
    value: SyntheticSenseHat.create().then((sim) => ({ sim, board: new LinuxSenseHat(sim.root) })),
    refs: 0,
  };
  const entry = simulation;
  entry.refs += 1;
  let s: { sim: SyntheticSenseHat; board: LinuxSenseHat };
  try {
    s = await entry.value;
  } catch (err) {
    entry.refs -= 1;
    if (simulation === entry) simulation = undefined;
    throw err;
  }
  let released = false;
  return {
    board: s.board,
    simulated: s.sim,
    release: async () => {
      if (released) return;
      released = true;
      entry.refs -= 1;
      if (entry.refs > 0) return;
      if (simulation === entry) simulation = undefined;
      await s.board.close();
      await s.sim.close();
    },
  };
}

/** The board under `root`, or the simulated one when nothing is there and `simulate` is set. */
export async function acquireSenseHat(root: string, o: HatOptions): Promise<HatLease> {
  const { key, entry } = boardFor(root, o);
  const board = await entry.value;
  if (o.simulate && !(await board.present())) {
    await releaseBoard(key);
    return leaseSimulation();
  }
  let released = false;
  return {
    board,
    simulated: undefined,
    release: async () => {
      if (released) return;
      released = true;
      await releaseBoard(key);
    },
  };
}

/** The simulated board in use, if any (tests and demos press its joystick, read its LEDs). */
export async function currentSimulation(): Promise<SyntheticSenseHat | undefined> {
  return simulation ? (await simulation.value).sim : undefined;
}
