/** A benchmark returns named figures; the runner prints them for people or as JSON lines for machines. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export interface Benchmark {
  /** Prefix of the figures it produces, used to select benches from the command line. */
  name: string;
  run(): Promise<Figure[]> | Figure[];
}

/** The value at quantile q (0..1) of sorted samples, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function round(value: number, places = 2): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}
