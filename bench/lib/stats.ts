// Small statistics helpers: every figure in the table is a median of runs or a percentile of samples.

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (no interpolation): p99 of 200 samples is the 198th smallest. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
