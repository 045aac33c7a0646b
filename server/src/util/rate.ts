/** Events per key over the last minute, in one-second buckets (cheap on the hot path). */
export class RateMeter {
  private readonly buckets = new Map<string, { sec: number[]; n: number[] }>();

  mark(key: string, at = Date.now()): void {
    const s = Math.floor(at / 1000);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { sec: new Array(60).fill(-1), n: new Array(60).fill(0) }));
    const i = s % 60;
    if (b.sec[i] !== s) {
      b.sec[i] = s;
      b.n[i] = 0;
    }
    b.n[i]++;
  }

  perMinute(now = Date.now()): Map<string, number> {
    const s = Math.floor(now / 1000);
    const out = new Map<string, number>();
    for (const [k, b] of this.buckets) {
      let n = 0;
      for (let i = 0; i < 60; i++) if (s - b.sec[i] < 60) n += b.n[i];
      out.set(k, n);
    }
    return out;
  }
}
