/** Exponential backoff with jitter for reconnects. Pure: `random` is injected for tests. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Fraction of random spread, 0-1. */
  jitter: number;
}

/** Delay before attempt `attempt` (1 = first retry). Jitter spreads reconnects of many cameras after a network outage. */
export function backoffDelay(o: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt - 1));
  const spread = base * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(o.maxDelayMs, base + spread)));
}
