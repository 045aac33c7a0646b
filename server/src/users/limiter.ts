/**
 * Failed sign-ins. In memory: a restart forgives, which is acceptable next to scrypt's own cost per
 * guess. Both limiters keep at most `maxKeys` keys (the stalest go first), so a spray of names or
 * addresses cannot grow memory without bound.
 */

const DEFAULT_MAX_KEYS = 100_000;

/** Touches `key` so that Map order is least recently used first, and drops the stalest beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) for (const k of [...map.keys()].slice(0, map.size - max)) map.delete(k);
}

/**
 * Failures in a sliding window per key: past `max`, refused until the oldest failure leaves the window.
 * Used per client address, across user names.
 */
export class FailureLimiter {
  private readonly fails = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  retryAfter(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= this.max ? list[0] + this.windowMs - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    touch(this.fails, key, list, this.maxKeys);
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

/**
 * Growing delays per key (a user name at a client address): after `free` failures the next try waits
 * `baseMs`; each further failure, and each try made while still waiting, doubles the wait up to `maxMs`. A
 * guesser that ignores Retry-After only lengthens its own wait; the key is forgotten `forgetMs`
 * after its last failure, and at once by a success.
 */
export class BackoffLimiter {
  private readonly state = new Map<string, { fails: number; last: number; until: number }>();

  constructor(
    private readonly opts: { free: number; baseMs: number; maxMs: number; forgetMs: number; maxKeys?: number },
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  retryAfter(key: string, now = Date.now()): number {
    const s = this.get(key, now);
    return s ? Math.max(0, s.until - now) : 0;
  }

  /** A failure, or a try refused while waiting: returns the new wait in milliseconds. */
  fail(key: string, now = Date.now()): number {
    const s = this.get(key, now) ?? { fails: 0, last: now, until: 0 };
    s.fails++;
    s.last = now;
    const over = s.fails - this.opts.free;
    if (over >= 0) s.until = now + Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(over, 30));
    touch(this.state, key, s, this.opts.maxKeys ?? DEFAULT_MAX_KEYS);
    return Math.max(0, s.until - now);
  }

  reset(key: string): void {
    this.state.delete(key);
  }

  private get(key: string, now: number) {
    const s = this.state.get(key);
    if (s && s.last + this.opts.forgetMs < now && s.until <= now) {
      this.state.delete(key);
      return undefined;
    }
    return s;
  }
}

/**
 * The part of a client address that one party controls: an IPv4 address, or the /64 of an IPv6 one
 * (a single host is routinely given a whole /64). IPv4-mapped IPv6 addresses are IPv4.
 */
export function addressKey(address: string): string {
  const a = address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
  if (!a.includes(":")) return a;
  const [head, tail = ""] = a.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = a.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
