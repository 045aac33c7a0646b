/**
 * The per-frame hot path of one camera: motion -> search regions -> face detection and analysis
 * (landmarks, alignment, quality) -> tracking -> best-shot choice. Frames without motion and
 * without live tracks cost only the motion step. Holds per-camera state (motion background,
 * tracks, best shots) on the main thread; the face work goes to the shared FaceEngine (a pool of
 * worker threads in the agent), one frame of this camera at a time, so results stay in order.
 * Between frames, `expire` ends tracks (and sends realtime shots) by the track clock, so nothing in
 * progress waits for a frame that may not come; `flush` ends them all (end of stream, source lost).
 */
import {
  type AnalyzedFace,
  type Box,
  contextCanvas,
  cosine,
  cropRegion,
  type FaceEngine,
  type FrameDetection,
  Pyramid,
  type Rect,
  rgbImage,
} from "@argus/shared";
import type { CameraConfig } from "@argus/shared/config/schema";
import { BestShotSelector, type Chosen } from "../bestshot/selector.ts";
import type { Shot, ShotPayload, TrackInfo } from "../bestshot/shot.ts";
import { planRegions } from "../detection/regions.ts";
import type { Frame } from "../ingest/cameraSource.ts";
import { MotionDetector } from "../motion/motion.ts";
import { TrackClock } from "../tracking/clock.ts";
import { type Track, Tracker } from "../tracking/tracker.ts";
import { insidePolygon, polygonRect } from "../util/polygon.ts";

export interface FrameStats {
  motionRatio: number;
  /** Regions searched by the detector (0: detector skipped). */
  regions: number;
  full: boolean;
  faces: number;
  newTracks: number;
  endedTracks: number;
  /** Faces embedded to compare appearances (relinks, switch checks) in this frame. */
  appearanceEmbeds: number;
  /** Detections joined to a track by appearance; continuations refused as another face. */
  relinked: number;
  refused: number;
  ms: { motion: number; detect: number; analyze: number };
}

/** Most faces embedded per frame to compare appearances (the rest are tracked by position alone). */
export const MAX_APPEARANCE_EMBEDS = 6;

/** A track's reference face for appearance comparisons: its best face so far, embedded when first needed. */
interface Ref {
  face: AnalyzedFace;
  quality: number;
}

export interface AnalyzerOptions {
  /**
   * The source pushes frames at its own rate (cameras, files played as a camera): the stream is
   * known up to a frame's arrival, and tracks age by the wall clock while no frame comes. Otherwise
   * (files, every frame analyzed) tracks age by stream time alone, up to a stall of the decoder
   * longer than `tracking.timeoutMs`: the results do not depend on timing.
   */
  realtime?: boolean;
  /** Wall-clock ms on the clock of `Frame.arrivedAt` (default performance.now(); tests inject their own). */
  now?: () => number;
  /** Compare faces to relink fragmented tracks and refuse track switches (default true). */
  appearance?: boolean;
}

/** Tracks ended between frames (timed out, or flushed) and the shots they send. */
export interface Ended {
  shots: Shot[];
  ended: Track[];
}

export interface FrameResult {
  shots: Shot[];
  /** Absent for the final flush at the end of a stream. */
  stats?: FrameStats;
}

export class FrameAnalyzer {
  private readonly motion: MotionDetector;
  private readonly tracker: Tracker;
  private readonly selector: BestShotSelector<ShotPayload>;
  private readonly clock: TrackClock;
  private readonly realtime: boolean;
  private readonly appearance: boolean;
  private readonly refs = new Map<string, Ref>();
  /**
   * Faces embedded for this analyzer's appearance comparisons. Its decisions (which faces to embed,
   * which to compare, which reference face to keep) look at these only, never at an embedding an
   * event being made meanwhile may have added to the same face: events are made while later
   * frames are analyzed, and the results must not depend on which finished first.
   */
  private readonly embeddedHere = new WeakSet<AnalyzedFace>();
  /** Analyzed frames; starts at a phase of the camera's id so the full-frame passes of several cameras do not coincide. */
  private frames: number;

  constructor(
    private readonly cam: CameraConfig,
    private readonly engine: FaceEngine,
    trackPrefix: string,
    o: AnalyzerOptions = {},
  ) {
    this.realtime = o.realtime ?? true;
    this.appearance = o.appearance ?? true;
    this.clock = new TrackClock(o.now, this.realtime ? 0 : cam.tracking.timeoutMs);
    this.frames = fullFramePhase(cam.id, cam.detection.fullFrameEvery);
    this.motion = new MotionDetector(cam.motion);
    this.tracker = new Tracker(cam.tracking, trackPrefix);
    this.selector = new BestShotSelector({
      mode: cam.bestShot.mode,
      minQuality: cam.minQuality,
      minIntervalMs: cam.bestShot.minIntervalMs,
      improvement: cam.bestShot.improvement,
    });
  }

  get liveTracks(): number {
    return this.tracker.active.length;
  }

  /** Tracks and best-shot states held (bounded by the faces in view; 0 after a flush). */
  get held(): { tracks: number; shots: number } {
    return { tracks: this.tracker.active.length, shots: this.selector.size };
  }

  async process(frame: Frame): Promise<FrameResult> {
    const cam = this.cam;
    const t = frame.streamTimeMs;
    const { width, height } = frame;
    const t0 = performance.now();
    const motion = cam.motion.enabled ? this.motion.update(frame.data, width, height) : { ratio: 1, regions: [] };
    const t1 = performance.now();
    const every = cam.detection.fullFrameEvery;
    const periodic = every > 0 && this.frames % every === 0;
    // Tracked faces are followed on every frame; new ones are looked for on search frames only.
    const search = periodic || this.frames % cam.detection.searchEvery === 0;
    const full = search && (periodic || !cam.motion.enabled);
    this.frames++;
    const roi = cam.detection.roi ? polygonRect(cam.detection.roi, width, height) : undefined;
    const regions = planRegions({
      width,
      height,
      motion: search ? motion.regions : [],
      tracks: this.tracker.predictions(t),
      full,
      roi,
      margin: cam.detection.regionMargin,
      minFaceSize: cam.minFaceSize,
    });
    let dets: FrameDetection[] = [];
    const image = rgbImage(frame.data, width, height);
    if (regions.length > 0) {
      // Faces at least minFaceSize high are analyzed along with the detection (in the same worker
      // call): they are the ones tracking offers to the best-shot selector below.
      dets = await this.engine.analyzeFrame(image, {
        regions,
        minFaceSize: cam.minFaceSize,
        scoreThreshold: cam.detection.scoreThreshold,
        analyzeMinSize: cam.minFaceSize,
      });
      const droi = cam.detection.roi;
      if (droi) dets = dets.filter((d) => inside(droi, d.box, width, height));
    }
    const t2 = performance.now();
    const { similarity, embedded } = await this.appearanceOf(dets, t);
    const upd = this.tracker.update(dets, t, similarity);
    this.keepRefs(upd.assigned);
    const shots: Shot[] = [];
    const byId = new Map<string, Track>([...this.tracker.active, ...upd.ended].map((x) => [x.id, x]));
    const chosen = (c: Chosen<ShotPayload>[]) => {
      const now = performance.now();
      for (const s of c) shots.push({ ...s, mode: cam.bestShot.mode, chosenAt: now, track: info(byId.get(s.trackId)) });
    };
    // Ended tracks first: their shots come from earlier frames.
    for (const tr of upd.ended) chosen(this.selector.end(tr.id));
    const postRoi = cam.bestShot.roi;
    // Context crops are cut here, from the frame, only for shots the selector keeps.
    let pyr: Pyramid | undefined;
    for (const a of upd.assigned) {
      const { box, face } = a.det;
      if (!face || box[3] - box[1] < cam.minFaceSize) continue;
      if (postRoi && !inside(postRoi, box, width, height)) continue;
      const q = face.quality.score;
      chosen(
        this.selector.offer(a.track.id, q, t, () => ({
          face,
          context: cropRegion(
            (pyr ??= new Pyramid(image)),
            box,
            cam.bestShot.contextFactor,
            cam.bestShot.contextMaxSide,
          ),
          look: face.landmarks5 ? contextCanvas(pyr, face.landmarks5) : undefined,
          frame: {
            width,
            height,
            capturedAt: frame.capturedAt,
            streamTimeMs: t,
            seq: frame.seq,
            arrivedAt: frame.arrivedAt,
          },
        })),
      );
    }
    chosen(this.selector.tick(t));
    const t3 = performance.now();
    // Files: the stream is known up to the end of the frame's analysis (frameDone moves it on).
    this.clock.seen(t, this.realtime ? frame.arrivedAt : this.clock.now());
    return {
      shots,
      stats: {
        motionRatio: motion.ratio,
        regions: regions.length,
        full,
        faces: dets.length,
        newTracks: upd.assigned.filter((a) => a.isNew).length,
        endedTracks: upd.ended.length,
        appearanceEmbeds: embedded,
        relinked: upd.relinked,
        refused: upd.refused,
        ms: { motion: t1 - t0, detect: t2 - t1, analyze: t3 - t2 },
      },
    };
  }

  /**
   * Appearance for the tracker: the pairs it asks about whose detection and track both have an
   * analyzed face; the faces not yet embedded (at most MAX_APPEARANCE_EMBEDS) in one batched call.
   */
  private async appearanceOf(
    dets: FrameDetection[],
    t: number,
  ): Promise<{ similarity?: (track: Track, det: number) => number | undefined; embedded: number }> {
    if (!this.appearance || dets.length === 0) return { embedded: 0 };
    const queries = this.tracker.appearanceQueries(dets, t);
    if (queries.length === 0) return { embedded: 0 };
    const need = new Set<AnalyzedFace>();
    for (const q of queries) {
      const f = dets[q.det].face;
      const r = this.refs.get(q.track.id);
      if (!f || !r) continue;
      const add = [f, r.face].filter((x) => !this.embeddedHere.has(x) && !need.has(x));
      if (need.size + add.length > MAX_APPEARANCE_EMBEDS) continue;
      for (const x of add) need.add(x);
    }
    if (need.size > 0) {
      // A failed call leaves the faces without embeddings: position alone decides.
      // Faces an event has embedded meanwhile keep that embedding (the same model on the same crop):
      // only the choice of faces must not depend on it, the work can.
      const todo = [...need].filter((x) => !x.embedding);
      const ok =
        todo.length === 0 ||
        (await this.engine.embed(todo).then(
          () => true,
          () => false,
        ));
      if (ok) for (const x of need) this.embeddedHere.add(x);
    }
    const known = (f: AnalyzedFace | undefined) => (f && this.embeddedHere.has(f) ? f.embedding : undefined);
    return {
      embedded: need.size,
      similarity: (track, d) => {
        const a = known(dets[d].face);
        const b = known(this.refs.get(track.id)?.face);
        return a && b ? cosine(a, b) : undefined;
      },
    };
  }

  /** Each track's reference face: replaced by a clearly better one; refs of tracks gone are dropped. */
  private keepRefs(assigned: readonly { track: Track; det: FrameDetection }[]): void {
    if (!this.appearance) return;
    for (const a of assigned) {
      const f = a.det.face;
      if (!f) continue;
      const r = this.refs.get(a.track.id);
      const q = f.quality.score;
      // An embedded face stays unless clearly beaten (its embedding was paid for).
      if (!r || q > (this.embeddedHere.has(r.face) ? 1.25 * r.quality + 0.05 : r.quality))
        this.refs.set(a.track.id, { face: f, quality: q });
    }
    if (this.refs.size > this.tracker.active.length + this.tracker.recentlyEnded.length) {
      const keep = new Set([...this.tracker.active, ...this.tracker.recentlyEnded].map((x) => x.id));
      for (const id of this.refs.keys()) if (!keep.has(id)) this.refs.delete(id);
    }
  }

  /**
   * A frame's analysis is over (its events may still be in the making): for files, waiting for the
   * next frame starts now, and only waiting (a stuck decoder) counts as time without frames.
   */
  frameDone(): void {
    if (!this.realtime) this.clock.busyUntil();
  }

  /**
   * Between frames, while no frame waits (call it only then): tracks unseen for `timeoutMs` by the
   * track clock (stream time, then wall-clock time without frames) end and send their best shot,
   * and realtime shots whose interval has passed go out.
   */
  expire(): Ended {
    const now = this.clock.idleNow();
    if (now === undefined) return { shots: [], ended: [] };
    const ended = this.tracker.expire(now);
    return { shots: this.shotsOf(ended, this.selector.tick(now)), ended };
  }

  /** End of stream, or the source lost: every live track ends and sends what it has. */
  flush(): Ended {
    const ended = this.tracker.flush();
    this.clock.reset();
    return { shots: this.shotsOf(ended, []), ended };
  }

  private shotsOf(ended: Track[], ready: Chosen<ShotPayload>[]): Shot[] {
    const shots: Shot[] = [];
    const now = performance.now();
    const mode = this.cam.bestShot.mode;
    for (const tr of ended)
      for (const s of this.selector.end(tr.id)) shots.push({ ...s, mode, chosenAt: now, track: info(tr) });
    const live = new Map(this.tracker.active.map((x) => [x.id, x]));
    for (const s of ready) shots.push({ ...s, mode, chosenAt: now, track: info(live.get(s.trackId)) });
    return shots;
  }
}

/**
 * The analyzed frame the full-frame passes of a camera start from (0..every-1): a hash of its id, so
 * several cameras' passes are spread over frames, yet each camera's is the same from run to run.
 */
export function fullFramePhase(cameraId: string, every: number): number {
  if (every <= 1) return 0;
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < cameraId.length; i++) h = Math.imul(h ^ cameraId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % every;
}

function info(t: Track | undefined): TrackInfo | undefined {
  if (!t) return undefined;
  return {
    frames: t.hits,
    durationMs: t.lastSeenMs - t.firstSeenMs,
    ...(t.continues ? { continues: t.continues } : {}),
  };
}

function inside(poly: NonNullable<CameraConfig["detection"]["roi"]>, b: Box, width: number, height: number): boolean {
  return insidePolygon(poly, (b[0] + b[2]) / 2 / width, (b[1] + b[3]) / 2 / height);
}

export type { Rect };
