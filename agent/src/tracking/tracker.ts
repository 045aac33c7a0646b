/**
 * Multi-face tracking by detection: each track predicts its box with a constant-velocity model,
 * detections are assigned greedily by overlap with the prediction (or, for fast or briefly hidden
 * faces, by center distance relative to face size), unmatched detections start tracks, and a
 * track ends when unseen for `timeoutMs` (so short occlusions and re-entries near the predicted
 * place continue the same track). Pure: boxes and times in, assignments out. Times are stream
 * times; between frames, `expire` ends tracks by a clock that goes on without frames (clock.ts).
 */
import { type Box, boxCenter, iou } from "@argus/shared";

export interface TrackerOptions {
  timeoutMs: number;
  maxDurationMs: number;
  minIou: number;
}

export interface Track {
  id: string;
  box: Box;
  /** Center velocity in px/ms. */
  vx: number;
  vy: number;
  firstSeenMs: number;
  lastSeenMs: number;
  hits: number;
}

export interface Assignment<D> {
  track: Track;
  det: D;
  /** True when this detection started the track. */
  isNew: boolean;
}

export interface TrackUpdate<D> {
  assigned: Assignment<D>[];
  /** Tracks that ended (timed out, or closed at max duration) in this update. */
  ended: Track[];
}

const size = (b: Box) => Math.sqrt(Math.max(1, (b[2] - b[0]) * (b[3] - b[1])));
/** Extrapolation stops after this long: a hidden face does not fly off. */
const MAX_PREDICT_MS = 1000;

export class Tracker {
  private tracks: Track[] = [];
  private next = 1;

  constructor(
    private readonly o: TrackerOptions,
    private readonly idPrefix: string,
  ) {}

  get active(): readonly Track[] {
    return this.tracks;
  }

  predict(t: Track, nowMs: number): Box {
    const dt = Math.min(MAX_PREDICT_MS, Math.max(0, nowMs - t.lastSeenMs));
    const dx = t.vx * dt;
    const dy = t.vy * dt;
    return [t.box[0] + dx, t.box[1] + dy, t.box[2] + dx, t.box[3] + dy];
  }

  /** Predicted boxes of live tracks at `nowMs` (where the detector should look). */
  predictions(nowMs: number): Box[] {
    return this.tracks.map((t) => this.predict(t, nowMs));
  }

  /** Match score of a detection to a track, or -1 when it cannot be the same face. */
  private score(t: Track, box: Box, nowMs: number): number {
    const pred = this.predict(t, nowMs);
    const ratio = size(box) / size(t.box);
    if (ratio < 0.6 || ratio > 1.67) return -1;
    const ov = Math.max(iou(pred, box), iou(t.box, box));
    const [px, py] = boxCenter(pred);
    const [cx, cy] = boxCenter(box);
    const dist = Math.hypot(cx - px, cy - py) / size(t.box);
    // The longer a face has been unseen, the further from the prediction it may reappear.
    const unseen = Math.min(2, (nowMs - t.lastSeenMs) / 1000);
    const maxDist = 1 + unseen;
    if (ov < this.o.minIou && dist > maxDist) return -1;
    return ov + 0.5 * Math.max(0, 1 - dist / maxDist);
  }

  update<D extends { box: Box }>(dets: readonly D[], nowMs: number): TrackUpdate<D> {
    const pairs: { s: number; t: number; d: number }[] = [];
    for (let ti = 0; ti < this.tracks.length; ti++) {
      for (let di = 0; di < dets.length; di++) {
        const s = this.score(this.tracks[ti], dets[di].box, nowMs);
        if (s >= 0) pairs.push({ s, t: ti, d: di });
      }
    }
    pairs.sort((a, b) => b.s - a.s);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    const assigned: Assignment<D>[] = [];
    const ended: Track[] = [];
    for (const p of pairs) {
      if (usedT.has(p.t) || usedD.has(p.d)) continue;
      usedT.add(p.t);
      usedD.add(p.d);
      const t = this.tracks[p.t];
      const box = dets[p.d].box;
      const dt = nowMs - t.lastSeenMs;
      if (dt > 0) {
        const [ox, oy] = boxCenter(t.box);
        const [nx, ny] = boxCenter(box);
        // Smoothed velocity: detections jitter by a few pixels.
        t.vx = 0.5 * t.vx + (0.5 * (nx - ox)) / dt;
        t.vy = 0.5 * t.vy + (0.5 * (ny - oy)) / dt;
      }
      t.box = box;
      t.lastSeenMs = nowMs;
      t.hits++;
      if (nowMs - t.firstSeenMs >= this.o.maxDurationMs) {
        // Close long tracks so their best shot is sent; the face continues as a new track.
        ended.push(t);
        const cont = this.newTrack(box, nowMs);
        cont.vx = t.vx;
        cont.vy = t.vy;
        this.tracks[p.t] = cont;
        assigned.push({ track: cont, det: dets[p.d], isNew: true });
      } else {
        assigned.push({ track: t, det: dets[p.d], isNew: false });
      }
    }
    ended.push(...this.expire(nowMs));
    for (let di = 0; di < dets.length; di++) {
      if (usedD.has(di)) continue;
      const t = this.newTrack(dets[di].box, nowMs);
      this.tracks.push(t);
      assigned.push({ track: t, det: dets[di], isNew: true });
    }
    return { assigned, ended };
  }

  /** Ends the tracks unseen for more than `timeoutMs` at `nowMs` (also between frames, when none come). */
  expire(nowMs: number): Track[] {
    const ended: Track[] = [];
    const keep: Track[] = [];
    for (const t of this.tracks) {
      if (nowMs - t.lastSeenMs > this.o.timeoutMs) ended.push(t);
      else keep.push(t);
    }
    this.tracks = keep;
    return ended;
  }

  /** Ends every track (end of a stream, camera stop, the source lost). */
  flush(): Track[] {
    const all = this.tracks;
    this.tracks = [];
    return all;
  }

  private newTrack(box: Box, nowMs: number): Track {
    return { id: `${this.idPrefix}${this.next++}`, box, vx: 0, vy: 0, firstSeenMs: nowMs, lastSeenMs: nowMs, hits: 1 };
  }
}
