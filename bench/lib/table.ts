/** Rows of the bench table, their verdicts and their text forms (console and Markdown). */

/** `min-ratio`: ours ÷ baseline must reach `value`; `max`: ours must stay below `value` (absolute). */
export type Goal = { kind: 'min-ratio'; value: number } | { kind: 'max'; value: number } | { kind: 'none' };

export interface Row {
  /** Line number of the issue, with a letter per figure: `1a`, `2d`… */
  id: string;
  what: string;
  unit: string;
  ours: number;
  /** What the baseline is, e.g. `raw mqtt.js QoS 0`. */
  baselineName: string;
  baseline: number | undefined;
  /**
   * Ratio from paired runs (median over rounds of ours ÷ the baseline run next to it), which
   * cancels slow drifts in the machine's load; without it, ours ÷ baseline.
   */
  pairedRatio?: number;
  goal: Goal;
  /** Extra facts shown under the table (records per publish, sample sizes…). */
  note?: string;
  /** Every measured value, for the JSON file. */
  samples?: Record<string, number[]>;
}

export type Verdict = 'PASS' | 'MISS' | 'info';

export function ratioOf(r: Row): number | undefined {
  if (r.pairedRatio !== undefined) return r.pairedRatio;
  return r.baseline !== undefined && r.baseline > 0 ? r.ours / r.baseline : undefined;
}

export function verdictOf(r: Row): Verdict {
  const g = r.goal;
  if (g.kind === 'none') return 'info';
  if (g.kind === 'max') return r.ours < g.value ? 'PASS' : 'MISS';
  const ratio = ratioOf(r);
  return ratio !== undefined && ratio >= g.value ? 'PASS' : 'MISS';
}

export function goalText(r: Row): string {
  const g = r.goal;
  if (g.kind === 'none') return '—';
  if (g.kind === 'max') return `< ${fmt(g.value)} ${r.unit}`;
  return `≥ ${g.value.toFixed(1)}×`;
}

/** Numbers with three significant digits and thin grouping, e.g. 48 300, 1.27, 0.412. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  const rounded = a >= 1000 ? Number(n.toPrecision(3)) : n;
  const s = rounded.toFixed(digits);
  return a >= 1000 ? s.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : s;
}

function cells(r: Row): string[] {
  const ratio = ratioOf(r);
  return [
    r.id,
    r.what,
    `${fmt(r.ours)} ${r.unit}`,
    r.baseline === undefined ? '—' : `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
    ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
    goalText(r),
    verdictOf(r),
  ];
}

const HEAD = ['line', 'measure', 'ours', 'baseline (same run)', 'ratio', 'goal', 'result'];

export function markdownTable(rows: readonly Row[]): string {
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${cells(r).join(' | ')} |`);
  return lines.join('\n');
}

export function consoleTable(rows: readonly Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

export function notes(rows: readonly Row[]): string[] {
  return rows.filter((r) => r.note).map((r) => `${r.id}: ${r.note ?? ''}`);
}
