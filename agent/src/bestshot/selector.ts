/**
 * Chooses which shots of a track become events, by the pipeline's combined quality score.
 *
 * offline:  one shot per track, the best of the whole track, sent when the track ends.
 * realtime: the first shot with quality >= minQuality is sent at once; later shots only when
 *           they beat the last sent one by `improvement`, and at least `minIntervalMs` after it
 *           (a better shot seen during the interval waits and goes out when the interval is over,
 *           or when the track ends).
 *
 * Template shots: besides the shot to send, each track keeps its `templateShots` best shots
 * (by quality, at least `templateGapMs` apart in stream time, so they are not near-copies of one
 * frame); every chosen shot carries them (`shots`), and the event is made of their embeddings
 * (the track's template). A new shot enters when it beats the kept shot nearest in time within
 * the gap, or, with none that near, when there is room or it beats the worst kept one.
 *
 * Pure and generic: candidates are made lazily (`make`) only when kept, so crops are cut only for
 * shots that may be sent.
 */
export interface SelectorOptions {
  mode: "offline" | "realtime";
  minQuality: number;
  minIntervalMs: number;
  improvement: number;
  /** Shots kept per track for its template (default TEMPLATE_SHOTS; 1: only the best). */
  templateShots?: number;
  /** Least stream time between two template shots (default TEMPLATE_GAP_MS). */
  templateGapMs?: number;
}

/** A track's template is made of its 4 best shots (embedded in one batched call at the event). */
export const TEMPLATE_SHOTS = 4;
/** 400 ms: two analyzed frames apart at the default 5 fps. */
export const TEMPLATE_GAP_MS = 400;

export interface Chosen<P> {
  trackId: string;
  /** Shot number within the track, from 0. */
  seq: number;
  quality: number;
  atMs: number;
  payload: P;
  /** The track's template shots at the time (the chosen one among them), in time order. */
  shots: Kept<P>[];
}

export interface Kept<P> {
  quality: number;
  atMs: number;
  payload: P;
}

interface TrackState<P> {
  best?: Kept<P>;
  /** Template shots. */
  top: Kept<P>[];
  /** realtime: last sent quality and time. */
  sentQuality?: number;
  sentAtMs?: number;
  sent: number;
}

export class BestShotSelector<P> {
  private readonly tracks = new Map<string, TrackState<P>>();

  constructor(private readonly o: SelectorOptions) {}

  /** Would a shot of this quality be kept? (Callers skip expensive work for shots that would not.) */
  wants(trackId: string, quality: number, atMs = Number.NaN): boolean {
    if (quality < this.o.minQuality) return false;
    const s = this.tracks.get(trackId);
    if (!s) return true;
    return this.wantsBest(s, quality) || this.templateSlot(s, quality, atMs) !== undefined;
  }

  private wantsBest(s: TrackState<P>, quality: number): boolean {
    if (this.o.mode === "offline") return !s.best || quality > s.best.quality;
    const bar = s.sentQuality === undefined ? this.o.minQuality : s.sentQuality + this.o.improvement;
    return quality >= bar && (!s.best || quality > s.best.quality);
  }

  /** Where a shot would go in the template: an index to replace, `top.length` to add, undefined: not kept. */
  private templateSlot(s: TrackState<P>, quality: number, atMs: number): number | undefined {
    const k = this.o.templateShots ?? TEMPLATE_SHOTS;
    const gap = this.o.templateGapMs ?? TEMPLATE_GAP_MS;
    let near = -1;
    for (let i = 0; i < s.top.length; i++) {
      const d = Math.abs(s.top[i].atMs - atMs);
      if (d < gap && (near < 0 || d < Math.abs(s.top[near].atMs - atMs))) near = i;
    }
    if (near >= 0) return quality > s.top[near].quality ? near : undefined;
    if (s.top.length < k) return s.top.length;
    let worst = 0;
    for (let i = 1; i < s.top.length; i++) if (s.top[i].quality < s.top[worst].quality) worst = i;
    return quality > s.top[worst].quality ? worst : undefined;
  }

  /** Offers a shot; returns the shots to send now (realtime). */
  offer(trackId: string, quality: number, atMs: number, make: () => P): Chosen<P>[] {
    if (quality < this.o.minQuality) return [];
    let s = this.tracks.get(trackId);
    if (!s) this.tracks.set(trackId, (s = { sent: 0, top: [] }));
    const best = this.wantsBest(s, quality);
    const slot = this.templateSlot(s, quality, atMs);
    if (!best && slot === undefined) return [];
    const kept: Kept<P> = { quality, atMs, payload: make() };
    if (slot !== undefined) {
      s.top[slot] = kept;
      s.top.sort((a, b) => a.atMs - b.atMs);
    }
    if (!best) return [];
    s.best = kept;
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
    // The chosen shot is among the template shots unless it fell out of them (realtime: a better one nearby).
    const shots = s.top.includes(b) ? [...s.top] : [...s.top, b].sort((x, y) => x.atMs - y.atMs);
    return { trackId, seq: s.sent++, quality: b.quality, atMs: b.atMs, payload: b.payload, shots };
  }
}
