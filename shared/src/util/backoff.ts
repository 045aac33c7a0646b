/**
 * The one exponential backoff: camera reconnects (agent), store retries (server ingest) and webhook
 * redeliveries (server alerts) all wait with it. `backoffDelay` is pure; `retryForever` is the
 * loop for a promise-returning call.
 */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** No delay is longer than this (jitter included). */
  maxDelayMs: number;
  /** Growth per attempt (2: doubling). */
  factor: number;
  /** Random spread of each delay, as a fraction (0.2: +-20%; 0: none). */
  jitter: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): initialDelayMs * factor^(attempt-1),
 * capped at maxDelayMs, spread by +-jitter. Jitter keeps many clients that failed together (cameras
 * after a network outage) from retrying together. `random` is injectable for tests.
 */
export function backoffDelay(o: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt - 1));
  const spread = o.jitter === 0 ? 0 : base * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(o.maxDelayMs, base + spread)));
}

export interface RetryOptions {
  backoff: BackoffOptions;
  /** Called after each failure, before waiting `delayMs` (log it, count it). */
  onError?(error: unknown, attempt: number, delayMs: number): void;
  /** Checked after each failure: when true the failure is thrown instead of retried. */
  stopped?(): boolean;
  random?: () => number;
}

/** Calls `fn` until it resolves, waiting backoffDelay() between failures; rejects only once `stopped()`. */
export async function retryForever<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (o.stopped?.()) throw e;
      const delay = backoffDelay(o.backoff, attempt, o.random);
      o.onError?.(e, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
