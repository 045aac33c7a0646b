/**
 * A tap on the agent's real per-frame pipeline, for benchmarks that run the agent in process
 * (`startAgent`): records, for every track of every camera, each detection assigned to it (stream
 * time, box, detector score, quality) and keeps a few face crops per track (first, best, last),
 * cut from the frame while it is still valid. Nothing in agent/src is changed: the tap wraps two
 * methods on their prototypes, `FrameAnalyzer.process` (to know the camera and frame being
 * analyzed) and `Tracker.update` (to see the assignments), and can be removed again.
 *
 * Optionally pins the analyzer's full-frame phase (the agent starts it at a frame computed from
 * the camera id, so the full-frame passes of several cameras do not coincide, and a run on a file
 * repeats): pinning it tries other phases.
 */

import { FrameAnalyzer } from "../../agent/src/camera/analyzer.ts";
import type { Frame } from "../../agent/src/ingest/cameraSource.ts";
import { Tracker, type TrackUpdate } from "../../agent/src/tracking/tracker.ts";
import type { Box, FrameDetection } from "../../shared/src/index.ts";

/** One analyzed detection of a track. */
export interface TapDetection {
  t: number;
  box: Box;
  score: number;
  /** Combined quality when the face was analyzed (at least minFaceSize high), else null. */
  quality: number | null;
}

/** A raw RGB crop cut from a frame around a detection. */
export interface TapCrop {
  t: number;
  box: Box;
  quality: number | null;
  /** Where the crop lies in the frame. */
  x0: number;
  y0: number;
  width: number;
  height: number;
  data: Buffer;
}

export interface TapTrack {
  id: string;
  camera: string;
  /** Frame size of the camera, pixels. */
  frame: [number, number];
  /** The earlier track this one continues (joined by appearance, or closed at the maximum duration). */
  continues?: string;
  dets: TapDetection[];
  first?: TapCrop;
  best?: TapCrop;
  last?: TapCrop;
  /** With `allCrops`: one crop per detection, in the order of `dets`. */
  crops?: TapCrop[];
}

export interface TapOptions {
  /** Keep crops (first, best, last) per track; the crop is the box grown by this factor. 0: none. */
  cropFactor?: number;
  /** Also keep a crop of every detection (for labelling; costs memory). */
  allCrops?: boolean;
  /** The full-frame phase every analyzer starts at (default: the agent's, from the camera id). */
  phase?: (camera: string) => number | undefined;
}

export interface AgentTap {
  /** Tracks by camera, in order of their first detection. */
  readonly tracks: Map<string, TapTrack[]>;
  /** Restores the wrapped methods. */
  remove(): void;
}

interface AnalyzerInternals {
  cam: { id: string; detection: { fullFrameEvery: number } };
  tracker: Tracker;
  frames: number;
}

let installed = false;

export function installAgentTap(o: TapOptions = {}): AgentTap {
  if (installed) throw new Error("an agent tap is already installed");
  installed = true;
  const tracks = new Map<string, TapTrack[]>();
  const byId = new Map<string, TapTrack>();
  const current = new WeakMap<Tracker, { camera: string; frame: Frame }>();
  const phased = new WeakSet<object>();
  const factor = o.cropFactor ?? 0;

  const process0 = FrameAnalyzer.prototype.process;
  const update0 = Tracker.prototype.update;

  FrameAnalyzer.prototype.process = function (this: FrameAnalyzer, frame: Frame) {
    const a = this as unknown as AnalyzerInternals;
    if (!phased.has(a)) {
      phased.add(a);
      const p = o.phase?.(a.cam.id);
      if (p !== undefined && a.cam.detection.fullFrameEvery > 0) a.frames = p % a.cam.detection.fullFrameEvery;
    }
    current.set(a.tracker, { camera: a.cam.id, frame });
    return process0.call(this, frame);
  };

  Tracker.prototype.update = function <D extends { box: Box }>(
    this: Tracker,
    dets: readonly D[],
    nowMs: number,
    ...rest: unknown[]
  ) {
    const upd: TrackUpdate<D> = (update0 as (...a: unknown[]) => TrackUpdate<D>).call(this, dets, nowMs, ...rest);
    const cur = current.get(this);
    if (!cur) return upd;
    for (const a of upd.assigned) {
      const d = a.det as unknown as FrameDetection;
      let tr = byId.get(a.track.id);
      if (!tr) {
        tr = { id: a.track.id, camera: cur.camera, frame: [cur.frame.width, cur.frame.height], dets: [] };
        if (a.track.continues) tr.continues = a.track.continues;
        byId.set(tr.id, tr);
        const list = tracks.get(cur.camera) ?? [];
        list.push(tr);
        tracks.set(cur.camera, list);
      }
      const quality = d.face ? d.face.quality.score : null;
      tr.dets.push({ t: nowMs, box: [...d.box] as Box, score: d.score, quality });
      if (factor > 0) {
        const c = cutCrop(cur.frame, d.box, factor, nowMs, quality);
        tr.first ??= c;
        if (!tr.best || rank(quality, d.box) > rank(tr.best.quality, tr.best.box)) tr.best = c;
        tr.last = c;
        if (o.allCrops) (tr.crops ??= []).push(c);
      }
    }
    return upd;
  } as typeof Tracker.prototype.update;

  return {
    tracks,
    remove() {
      FrameAnalyzer.prototype.process = process0;
      Tracker.prototype.update = update0;
      installed = false;
    },
  };
}

/** Best crop: highest quality; unanalyzed (small) detections rank by size below any analyzed one. */
function rank(q: number | null, b: Box): number {
  return q === null ? -1 + Math.min(0.99, (b[3] - b[1]) / 1000) : q;
}

function cutCrop(frame: Frame, box: Box, factor: number, t: number, quality: number | null): TapCrop {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * factor;
  const x0 = Math.min(frame.width - 1, Math.max(0, Math.round(cx - side / 2)));
  const y0 = Math.min(frame.height - 1, Math.max(0, Math.round(cy - side / 2)));
  const x1 = Math.min(frame.width, Math.round(cx + side / 2));
  const y1 = Math.min(frame.height, Math.round(cy + side / 2));
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * frame.width + x0) * 3;
    data.set(frame.data.subarray(src, src + w * 3), y * w * 3);
  }
  return { t, box: [...box] as Box, quality, x0, y0, width: w, height: h, data };
}
