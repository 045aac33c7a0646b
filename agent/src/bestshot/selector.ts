/**
 * Chooses which shots of a track become events, by the pipeline's combined quality score.
 *
 * offline:  one shot per track, the best of the whole track, sent when the track ends.
 * realtime: the first shot with quality >= minQuality is sent at once; later shots only when
 *           they beat the last sent one by `improvement`, and at least `minIntervalMs` after it
 *           (a better shot seen during the interval waits and goes out when the interval is over,
 *           or when the track ends).
 *
 * Pure and generic: candidates are made lazily (`make`) only when kept, so crops are cut only for
 * shots that may be sent.
 */
export interface SelectorOptions {
  mode: "offline" | "realtime";
  minQuality: number;
  minIntervalMs: number;
  improvement: number;
}

export interface Chosen<P> {
  trackId: string;
  /** Shot number within the track, from 0. */
  seq: number;
  quality: number;
  atMs: number;
  payload: P;
}

interface Kept<P> {
  quality: number;
  atMs: number;
  payload: P;
}

interface TrackState<P> {
  best?: Kept<P>;
  /** realtime: last sent quality and time. */
  sentQuality?: number;
  sentAtMs?: number;
  sent: number;
}

export class BestShotSelector<P> {
  private readonly tracks = new Map<string, TrackState<P>>();

  constructor(private readonly o: SelectorOptions) {}

  /** Would a shot of this quality be kept? (Callers skip expensive work for shots that would not.) */
  wants(trackId: string, quality: number): boolean {
    if (quality < this.o.minQuality) return false;
    const s = this.tracks.get(trackId);
    if (!s) return true;
    if (this.o.mode === "offline") return !s.best || quality > s.best.quality;
    const bar = s.sentQuality === undefined ? this.o.minQuality : s.sentQuality + this.o.improvement;
    return quality >= bar && (!s.best || quality > s.best.quality);
  }

  /** Offers a shot; returns the shots to send now (realtime). */
  offer(trackId: string, quality: number, atMs: number, make: () => P): Chosen<P>[] {
    if (!this.wants(trackId, quality)) return [];
    let s = this.tracks.get(trackId);
    if (!s) this.tracks.set(trackId, (s = { sent: 0 }));
    s.best = { quality, atMs, payload: make() };
    if (this.o.mode === "offline") return [];
    if (s.sentAtMs === undefined || atMs - s.sentAtMs >= this.o.minIntervalMs) return [this.send(trackId, s, atMs)];
    return [];
  }

  /** realtime: sends improved shots whose interval has passed. */
  tick(nowMs: number): Chosen<P>[] {
    if (this.o.mode === "offline") return [];
    const out: Chosen<P>[] = [];
    for (const [id, s] of this.tracks) {
      if (s.best && s.sentAtMs !== undefined && nowMs - s.sentAtMs >= this.o.minIntervalMs)
        out.push(this.send(id, s, nowMs));
    }
    return out;
  }

  /** The track is over: offline sends its best shot; realtime sends a waiting improvement. */
  end(trackId: string): Chosen<P>[] {
    const s = this.tracks.get(trackId);
    this.tracks.delete(trackId);
    if (!s?.best) return [];
    return [this.send(trackId, s, s.best.atMs)];
  }

  get size(): number {
    return this.tracks.size;
  }

  /** `nowMs` is stream time, so intervals do not depend on processing speed. */
  private send(trackId: string, s: TrackState<P>, nowMs: number): Chosen<P> {
    const b = s.best!;
    s.best = undefined;
    s.sentQuality = b.quality;
    s.sentAtMs = nowMs;
    return { trackId, seq: s.sent++, quality: b.quality, atMs: b.atMs, payload: b.payload };
  }
}
