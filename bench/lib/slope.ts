/** Least-squares trends of memory samples. */

export interface Point {
  /** Seconds. */
  t: number;
  y: number;
}

export interface Trend {
  /** Units of y per hour; NaN with fewer than 3 points or no time span. */
  perHour: number;
  n: number;
  from: number;
  to: number;
}

/** Slope of the least-squares line through the points, per hour. */
export function trend(points: Point[]): Trend {
  return pooledTrend([points]);
}

/**
 * One slope for several runs of a process (e.g. before and after a restart): each group keeps its
 * own level (intercept), and the slope is fitted to the deviations from each group's means.
 */
export function pooledTrend(groups: Point[][]): Trend {
  let sxy = 0;
  let sxx = 0;
  let n = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const g of groups) {
    if (g.length < 2) continue;
    const mt = g.reduce((s, p) => s + p.t, 0) / g.length;
    const my = g.reduce((s, p) => s + p.y, 0) / g.length;
    for (const p of g) {
      sxy += (p.t - mt) * (p.y - my);
      sxx += (p.t - mt) ** 2;
    }
    n += g.length;
    from = Math.min(from, g[0].t);
    to = Math.max(to, g[g.length - 1].t);
  }
  const perHour = n >= 3 && sxx > 0 ? (sxy / sxx) * 3600 : Number.NaN;
  return { perHour, n, from, to };
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}
