export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly ours: number;
  /** the baseline doing the same work, when there is one */
  readonly raw?: number;
  /** minimum ratio ours/raw, or for figures without baseline a maximum value */
  readonly goal?: number;
  readonly lowerIsBetter?: boolean;
}

export function formatResult(r: BenchResult): string {
  const f = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
  if (r.raw !== undefined) {
    const ratio = r.ours / r.raw;
    const verdict = r.goal !== undefined ? (ratio >= r.goal ? `ok (goal >= ${Math.round(r.goal * 100)}%)` : `BELOW GOAL (${Math.round(r.goal * 100)}%)`) : '';
    return `${r.name}: ${f(r.ours)} ${r.unit}, raw client ${f(r.raw)} ${r.unit}, ratio ${(ratio * 100).toFixed(0)}% ${verdict}`;
  }
  const verdict = r.goal !== undefined ? ((r.lowerIsBetter ? r.ours <= r.goal : r.ours >= r.goal) ? `ok (goal ${r.lowerIsBetter ? '<=' : '>='} ${r.goal})` : `MISSES GOAL (${r.goal})`) : '';
  return `${r.name}: ${f(r.ours)} ${r.unit} ${verdict}`;
}
