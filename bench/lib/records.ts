/**
 * The telemetry record every throughput line moves: one SmartREST `200` line with a running
 * counter, exactly what the measurement node makes of `{ payload: n }` (fragment c8y_Counter,
 * series n, no unit). Baselines publish the same line, so every variant carries the same bytes.
 */
export const TOPIC = 's/us';
export const FRAGMENT = 'c8y_Counter';
export const SERIES = 'n';

export function recordLine(n: number, at: Date = new Date()): string {
  return `200,${FRAGMENT},${SERIES},${n},,${at.toISOString()}`;
}

/** Number of valid counter records in one publish (LF-separated SmartREST lines); anything else is not counted. */
export function countRecords(payload: string): number {
  let n = 0;
  let start = 0;
  while (start < payload.length) {
    let end = payload.indexOf('\n', start);
    if (end < 0) end = payload.length;
    if (isCounterLine(payload.slice(start, end))) n += 1;
    start = end + 1;
  }
  return n;
}

function isCounterLine(line: string): boolean {
  if (!line.startsWith('200,')) return false;
  const f = line.split(',');
  return f.length === 6 && f[1] === FRAGMENT && f[2] === SERIES && Number.isFinite(Number(f[3])) && !Number.isNaN(Date.parse(f[5] ?? ''));
}
