/**
 * Multi-face tracking by detection: each track predicts its box with a constant-velocity model,
 * detections are assigned greedily by overlap with the prediction (or, for fast or briefly hidden
 * faces, by center distance relative to face size), unmatched detections start tracks, and a
 * track ends when unseen for `timeoutMs` (so short occlusions and re-entries near the predicted
 * place continue the same track). Pure: boxes and times in, assignments out. Times are stream
 * times; between frames, `expire` ends tracks by a clock that goes on without frames (clock.ts).
 *
 * Appearance (optional, when the caller can compare faces): `appearanceQueries` names the few
 * (track, detection) pairs whose faces should be compared before `update`, and `update` then
 * takes a similarity for them (cosine of the embeddings):
 *   relink  a detection that would start a track, near a track that lost its face in this frame
 *           or ended less than `relinkMs` ago (a face in a crowd that moved beyond the gate between
 *           two analyzed frames): the same face (similarity >= relinkMinSim) continues that
 *           track; an ended track is continued by a new track that names it (`continues`)
 *   verify  a detection that would continue a track by a weak match (little overlap with the
 *           prediction, or another face competing for the track): clearly another face
 *           (similarity < switchMaxSim) does not continue it (no track switching to the person behind)
 * Without similarities, tracking is by position alone, as before.
 */
import { type Box, boxCenter, iou } from "@argus/shared";

export interface TrackerOptions {
  timeoutMs: number;
  maxDurationMs: number;
  minIou: number;
  /** How long an ended track may be continued by the same face (default RELINK.ms). */
  relinkMs?: number;
  /** Least similarity for a relink (default RELINK.minSim). */
  relinkMinSim?: number;
  /** A weak continuation below this similarity is refused (default RELINK.switchMaxSim). */
  switchMaxSim?: number;
}

/**
 * Defaults of the appearance rules. Cosine similarities of fr_feature embeddings: the same face
 * over a few frames of the sample videos is mostly above 0.5, different people mostly below 0.2
 * (LFW's verification threshold is 0.27).
 */
export const RELINK = {
  ms: 2500,
  minSim: 0.4,
  switchMaxSim: 0.15,
  /** Farthest relink, in face sizes from the predicted place, plus this many per second unseen. */
  maxDist: 3,
  maxDistPerSec: 2,
  /** A continuation overlapping its prediction less than this (matched by distance) is verified. */
  weakIou: 0.3,
} as const;

/** A pair whose faces `update` wants compared. */
export interface AppearanceQuery {
  track: Track;
  det: number;
  kind: "relink" | "verify";
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
  /** The earlier track (ended) this one continues: the same face, joined by appearance. */
  continues?: string;
  /** Detections joined to this track by appearance (relinks). */
  relinks?: number;
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
  /** Detections joined to a track by appearance (relinks) in this update. */
  relinked: number;
  /** Continuations refused because the face was clearly another one. */
  refused: number;
}

const size = (b: Box) => Math.sqrt(Math.max(1, (b[2] - b[0]) * (b[3] - b[1])));
/** Extrapolation stops after this long: a hidden face does not fly off. */
const MAX_PREDICT_MS = 1000;

export class Tracker {
  private tracks: Track[] = [];
  /** Tracks ended less than relinkMs ago (candidates for a relink), oldest first. */
  private recent: { track: Track; endedMs: number }[] = [];
  private next = 1;

  constructor(
    private readonly o: TrackerOptions,
    private readonly idPrefix: string,
  ) {}

  get active(): readonly Track[] {
    return this.tracks;
  }

  /** Tracks ended less than relinkMs ago that a relink may still continue. */
  get recentlyEnded(): readonly Track[] {
    return this.recent.map((r) => r.track);
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

  /** Could the face of this (live or ended) track have moved to `box` by `nowMs`? The wide gate of a relink. */
  private relinkable(t: Track, box: Box, nowMs: number): boolean {
    const ratio = size(box) / size(t.box);
    if (ratio < 0.5 || ratio > 2) return false;
    const [px, py] = boxCenter(this.predict(t, nowMs));
    const [cx, cy] = boxCenter(box);
    const unseen = Math.max(0, nowMs - t.lastSeenMs) / 1000;
    return Math.hypot(cx - px, cy - py) / size(t.box) <= RELINK.maxDist + RELINK.maxDistPerSec * unseen;
  }

  /** Position-only assignment (greedy by score), optionally without the refused pairs. */
  private assign(
    dets: readonly { box: Box }[],
    nowMs: number,
    refuse?: (t: Track, d: number) => boolean,
  ): { pairs: { t: number; d: number; weak: boolean }[]; refused: number } {
    const cand: { s: number; t: number; d: number; ov: number }[] = [];
    const perTrack = new Map<number, number>();
    for (let ti = 0; ti < this.tracks.length; ti++) {
      for (let di = 0; di < dets.length; di++) {
        const s = this.score(this.tracks[ti], dets[di].box, nowMs);
        if (s < 0) continue;
        cand.push({ s, t: ti, d: di, ov: iou(this.predict(this.tracks[ti], nowMs), dets[di].box) });
        perTrack.set(ti, (perTrack.get(ti) ?? 0) + 1);
      }
    }
    cand.sort((a, b) => b.s - a.s);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    const pairs: { t: number; d: number; weak: boolean }[] = [];
    let refused = 0;
    for (const p of cand) {
      if (usedT.has(p.t) || usedD.has(p.d)) continue;
      if (refuse?.(this.tracks[p.t], p.d)) {
        refused++;
        continue;
      }
      usedT.add(p.t);
      usedD.add(p.d);
      pairs.push({ t: p.t, d: p.d, weak: p.ov < RELINK.weakIou || (perTrack.get(p.t) ?? 0) > 1 });
    }
    return { pairs, refused };
  }

  /**
   * The pairs whose faces `update(dets, nowMs, similarity)` would compare: weak continuations
   * (verify) and, for each detection that would start a track, the tracks it may continue
   * (relink: live tracks without a detection in this frame, tracks ended less than relinkMs ago).
   */
  appearanceQueries(dets: readonly { box: Box }[], nowMs: number): AppearanceQuery[] {
    const { pairs } = this.assign(dets, nowMs);
    const out: AppearanceQuery[] = [];
    for (const p of pairs) if (p.weak) out.push({ track: this.tracks[p.t], det: p.d, kind: "verify" });
    const usedT = new Set(pairs.map((p) => p.t));
    const usedD = new Set(pairs.map((p) => p.d));
    const open = [...this.tracks.filter((_, i) => !usedT.has(i)), ...this.relinkCandidates(nowMs)];
    for (let d = 0; d < dets.length; d++) {
      if (usedD.has(d)) continue;
      for (const t of open) if (this.relinkable(t, dets[d].box, nowMs)) out.push({ track: t, det: d, kind: "relink" });
    }
    return out;
  }

  private relinkCandidates(nowMs: number): Track[] {
    const window = this.o.relinkMs ?? RELINK.ms;
    return this.recent.filter((r) => nowMs - r.endedMs <= window).map((r) => r.track);
  }

  /**
   * Assigns the detections of a frame. `similarity(track, det)`: the appearance similarity of a
   * pair named by `appearanceQueries` (undefined when unknown: position alone decides).
   */
  update<D extends { box: Box }>(
    dets: readonly D[],
    nowMs: number,
    similarity?: (track: Track, det: number) => number | undefined,
  ): TrackUpdate<D> {
    const switchMax = this.o.switchMaxSim ?? RELINK.switchMaxSim;
    const { pairs, refused } = this.assign(
      dets,
      nowMs,
      similarity &&
        ((t, d) => {
          const sim = similarity(t, d);
          return sim !== undefined && sim < switchMax;
        }),
    );
    const usedD = new Set<number>();
    const assigned: Assignment<D>[] = [];
    const ended: Track[] = [];
    for (const p of pairs) {
      usedD.add(p.d);
      assigned.push(this.continueTrack(p.t, dets[p.d], nowMs, ended));
    }
    // Relinks: detections that would start a track, joined by appearance to a track that lost its
    // face (continued) or ended a moment ago (a new track that names it), best similarity first.
    let relinked = 0;
    if (similarity) {
      const minSim = this.o.relinkMinSim ?? RELINK.minSim;
      const usedT = new Set(pairs.map((p) => this.tracks[p.t]));
      const open = [...this.tracks.filter((t) => !usedT.has(t)), ...this.relinkCandidates(nowMs)];
      const cand: { sim: number; t: Track; d: number }[] = [];
      for (let d = 0; d < dets.length; d++) {
        if (usedD.has(d)) continue;
        for (const t of open) {
          if (!this.relinkable(t, dets[d].box, nowMs)) continue;
          const sim = similarity(t, d);
          if (sim !== undefined && sim >= minSim) cand.push({ sim, t, d });
        }
      }
      cand.sort((a, b) => b.sim - a.sim);
      const taken = new Set<Track>();
      for (const c of cand) {
        if (usedD.has(c.d) || taken.has(c.t)) continue;
        usedD.add(c.d);
        taken.add(c.t);
        relinked++;
        const live = this.tracks.indexOf(c.t);
        if (live >= 0) {
          const a = this.continueTrack(live, dets[c.d], nowMs, ended);
          a.track.relinks = (a.track.relinks ?? 0) + 1;
          assigned.push(a);
        } else {
          this.recent = this.recent.filter((r) => r.track !== c.t);
          const t = this.newTrack(dets[c.d].box, nowMs);
          t.continues = c.t.id;
          t.relinks = 1;
          this.tracks.push(t);
          assigned.push({ track: t, det: dets[c.d], isNew: true });
        }
      }
    }
    ended.push(...this.expire(nowMs));
    for (let di = 0; di < dets.length; di++) {
      if (usedD.has(di)) continue;
      const t = this.newTrack(dets[di].box, nowMs);
      this.tracks.push(t);
      assigned.push({ track: t, det: dets[di], isNew: true });
    }
    return { assigned, ended, relinked, refused };
  }

  /** Track `ti` takes the detection (closed and continued in a new track at the maximum duration). */
  private continueTrack<D extends { box: Box }>(ti: number, det: D, nowMs: number, ended: Track[]): Assignment<D> {
    const t = this.tracks[ti];
    const box = det.box;
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
      this.remember(t, nowMs);
      const cont = this.newTrack(box, nowMs);
      cont.vx = t.vx;
      cont.vy = t.vy;
      cont.continues = t.id;
      this.tracks[ti] = cont;
      return { track: cont, det, isNew: true };
    }
    return { track: t, det, isNew: false };
  }

  private remember(t: Track, nowMs: number): void {
    const window = this.o.relinkMs ?? RELINK.ms;
    this.recent = this.recent.filter((r) => nowMs - r.endedMs <= window);
    this.recent.push({ track: t, endedMs: nowMs });
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
    for (const t of ended) this.remember(t, nowMs);
    return ended;
  }

  /** Ends every track (end of a stream, camera stop, the source lost). */
  flush(): Track[] {
    const all = this.tracks;
    this.tracks = [];
    this.recent = [];
    return all;
  }

  private newTrack(box: Box, nowMs: number): Track {
    return { id: `${this.idPrefix}${this.next++}`, box, vx: 0, vy: 0, firstSeenMs: nowMs, lastSeenMs: nowMs, hits: 1 };
  }
}
