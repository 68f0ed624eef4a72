/** Node-RED's own core nodes, for loading whole example flows in the test runtime. */
import * as path from 'node:path';

const core = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');

export const CORE_NODES: unknown[] = [
  'common/20-inject.js',
  'common/21-debug.js',
  'common/25-catch.js',
  'common/25-status.js',
  'common/90-comment.js',
  'function/10-function.js',
  'function/10-switch.js',
  'function/15-change.js',
  'function/89-delay.js',
  'function/90-exec.js',
].map((f) => require(path.join(core, f)) as unknown);
