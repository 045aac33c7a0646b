/**
 * Face detection with fr_detect.onnx (Ultra-Light-Fast-Generic-Face-Detector style, fixed
 * 320x240 input, outputs per-anchor [background, face] scores and normalized corner boxes).
 *
 * One 320x240 view of a 1080p frame makes a 40 px face 6 px wide: too small for the model. So each
 * search region is covered by a small pyramid of views: a letterboxed view of the whole region
 * for large faces, then overlapping tiles at finer scales until `minFaceSize` maps to at least
 * `MIN_DETECTABLE_PX` input pixels. The overlap of a level's tiles is at least the largest face
 * that the next coarser level cannot find, so every face lies whole inside some tile.
 */
import type { InferenceSession } from "onnxruntime-node";
import { type Affine, NORM_127_128, Pyramid, warpToTensor } from "../image/resample.ts";
import type { Rect, RgbImage } from "../image/types.ts";
import { ort } from "../models/registry.ts";
import { type Box, clipBox, nms } from "./geometry.ts";

export const DET_W = 320;
export const DET_H = 240;
const ANCHORS = 4420;

/**
 * Smallest face, in detector-input pixels, that the model finds reliably. bench/detection.ts
 * (LFW faces in a blank input) measured recall 28% at 18 px, 58% at 20 px, 96.5% at 24 px, 99% at 28 px.
 */
export const MIN_DETECTABLE_PX = 24;
/** Largest face, in detector-input pixels, the anchors cover (largest anchor is 256). */
export const MAX_DETECTABLE_PX = 220;

export interface DetectOptions {
  /** Minimum detector face score, 0-1. */
  scoreThreshold: number;
  /** IoU above which overlapping detections are merged. */
  nmsIou: number;
  /** Smallest face side in source pixels that must be found (drives the tiling). */
  minFaceSize: number;
  /** Regions to search (e.g. motion regions); default: the whole image. */
  regions?: Rect[];
  /** Upper bound on the upscaling of small regions. */
  maxUpscale: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = {
  scoreThreshold: 0.7,
  nmsIou: 0.4,
  minFaceSize: 40,
  maxUpscale: 3,
};

export interface Detection {
  box: Box;
  score: number;
}

/** One detector view: a rectangle of the source mapped onto the 320x240 input at `scale` input px per source px. */
export interface View {
  x: number;
  y: number;
  scale: number;
}

/** Pure planning: the views that cover `region` so faces in [minFaceSize, region size] are found. */
export function planViews(region: Rect, minFaceSize: number, maxUpscale: number): View[] {
  const views: View[] = [];
  // Coarse: the whole region letterboxed into the input, centered.
  const s0 = Math.min(DET_W / region.w, DET_H / region.h, maxUpscale);
  views.push({ x: region.x + (region.w - DET_W / s0) / 2, y: region.y + (region.h - DET_H / s0) / 2, scale: s0 });
  let prev = s0;
  const target = Math.min(MIN_DETECTABLE_PX / Math.max(minFaceSize, 1), maxUpscale);
  while (prev < target * 0.999) {
    // Each level may be at most MAX/MIN finer than the last so the face-size ranges overlap.
    const s = Math.min(target, prev * (MAX_DETECTABLE_PX / MIN_DETECTABLE_PX) * 0.5);
    const tileW = DET_W / s;
    const tileH = DET_H / s;
    // Faces smaller than MIN/prev source px were missed by the coarser level: they must fit in one tile.
    const overlap = Math.min((MIN_DETECTABLE_PX / prev) * 1.2, tileW / 2, tileH / 2);
    for (const y of tileStarts(region.y, region.h, tileH, overlap)) {
      for (const x of tileStarts(region.x, region.w, tileW, overlap)) views.push({ x, y, scale: s });
    }
    prev = s;
  }
  return views;
}

/** Evenly spaced tile origins covering [start, start+len) with tiles of `tile` and at least `overlap`. */
function tileStarts(start: number, len: number, tile: number, overlap: number): number[] {
  if (tile >= len) return [start + (len - tile) / 2];
  const n = Math.ceil((len - overlap) / (tile - overlap));
  const step = (len - tile) / (n - 1);
  return Array.from({ length: n }, (_, i) => start + i * step);
}

export class FaceDetector {
  constructor(private readonly session: InferenceSession) {}

  /** Runs the model on one view; returns raw detections in source pixels above the threshold. */
  async detectView(src: Pyramid, view: View, scoreThreshold: number): Promise<Detection[]> {
    const inv = 1 / view.scale;
    const m: Affine = [inv, 0, view.x, 0, inv, view.y];
    // A buffer per call: runs of one session may overlap when several cameras share the pipeline.
    const input = new Float32Array(3 * DET_W * DET_H);
    warpToTensor(src, m, DET_W, DET_H, input, 0, NORM_127_128);
    const out = await this.session.run({ input: new ort.Tensor("float32", input, [1, 3, DET_H, DET_W]) });
    const scores = out.scores.data as Float32Array;
    const boxes = out.boxes.data as Float32Array;
    const dets: Detection[] = [];
    for (let i = 0; i < ANCHORS; i++) {
      const s = scores[2 * i + 1];
      if (s < scoreThreshold) continue;
      const b = 4 * i;
      dets.push({
        box: [
          view.x + boxes[b] * DET_W * inv,
          view.y + boxes[b + 1] * DET_H * inv,
          view.x + boxes[b + 2] * DET_W * inv,
          view.y + boxes[b + 3] * DET_H * inv,
        ],
        score: s,
      });
    }
    return dets;
  }

  /** Detects faces in the image (or the given regions), merging all views with NMS. */
  async detect(image: RgbImage | Pyramid, options: Partial<DetectOptions> = {}): Promise<Detection[]> {
    const o = { ...DEFAULT_DETECT_OPTIONS, ...options };
    const src = image instanceof Pyramid ? image : new Pyramid(image);
    const { width, height } = src.base;
    const regions = o.regions?.length ? o.regions : [{ x: 0, y: 0, w: width, h: height }];
    const all: Detection[] = [];
    for (const r of regions) {
      for (const v of planViews(r, o.minFaceSize, o.maxUpscale)) {
        all.push(...(await this.detectView(src, v, o.scoreThreshold)));
      }
    }
    const boxes = all.map((d) => clipBox(d.box, width, height));
    // Duplicates from neighbouring tiles or levels often differ in size: also merge a box mostly inside another.
    const keep = nms(
      boxes,
      all.map((d) => d.score),
      o.nmsIou,
      0.75,
    );
    return keep
      .map((i) => ({ box: boxes[i], score: all[i].score }))
      .filter((d) => d.box[2] - d.box[0] >= o.minFaceSize * 0.5 && d.box[3] - d.box[1] >= o.minFaceSize * 0.5);
  }
}
