/** Small statistics helpers for benchmarks and metrics. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (v: readonly number[]) => quantile(v, 0.5);

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

/** Collects durations per named stage (milliseconds). */
export class StageTimes {
  readonly samples = new Map<string, number[]>();
  add(stage: string, ms: number): void {
    let a = this.samples.get(stage);
    if (!a) this.samples.set(stage, (a = []));
    a.push(ms);
  }
  async time<T>(stage: string, f: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.add(stage, performance.now() - t0);
    }
  }
  summary(): Record<string, { n: number; median: number; p95: number }> {
    const out: Record<string, { n: number; median: number; p95: number }> = {};
    for (const [k, v] of this.samples) out[k] = { n: v.length, median: median(v), p95: quantile(v, 0.95) };
    return out;
  }
  clear(): void {
    this.samples.clear();
  }
}
