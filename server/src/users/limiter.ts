/**
 * Failed sign-in attempts per key (client address, user name) in a sliding window: past the limit,
 * sign-in is refused with 429 until the oldest failure leaves the window. In memory: a restart
 * forgives, which is acceptable next to scrypt's own cost per guess.
 */
export class FailureLimiter {
  private readonly fails = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  retryAfter(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= this.max ? list[0] + this.windowMs - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.fails.set(key, list);
    // Bounded memory under a spray of names: drop the stalest keys.
    if (this.fails.size > 10_000) for (const k of [...this.fails.keys()].slice(0, 1000)) this.fails.delete(k);
  }

  reset(key: string): void {
    this.fails.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.fails.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.fails.set(key, list);
    else this.fails.delete(key);
    return list;
  }
}
