/** Percentile of a sample (nearest rank), in the sample's unit. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** One row of the benchmark table: ours against the reference measured in the same run. */
export interface BenchRow {
  name: string;
  ours: string;
  reference: string;
  ratio: number;
  target: string;
  met: boolean;
}

export function printTable(rows: BenchRow[]): void {
  const header = ['benchmark', 'roombox', 'reference (same run)', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [r.name, r.ours, r.reference, r.ratio.toFixed(2), r.target, r.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

/** Machine-readable result line, so bench/run.ts can collect rows from child benchmarks. */
export function emitRow(row: BenchRow): void {
  console.log(`BENCH_ROW ${JSON.stringify(row)}`);
}
