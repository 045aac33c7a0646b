/**
 * Face detection with models/fr_detect.dynamic.onnx: fr_detect (Ultra-Light-Fast-Generic-Face-
 * Detector) with free input size, RGB bytes in, and without its decoding tail
 * (scripts/derive-models.mjs). Each search region is resampled once per level at the scale
 * planned by detectPlan.ts and run whole (tiled only beyond MAX_INPUT_PIXELS); boxes are decoded
 * with the anchors of that input size.
 */
import type { InferenceSession } from "onnxruntime-node";
import { copyRgb, cropAffine, Pyramid, warpToRgb } from "../image/resample.ts";
import { type ResizeKernel, resizeRgb } from "../image/resize.ts";
import type { Rect, RgbImage } from "../image/types.ts";
import { ort } from "../models/registry.ts";
import { anchorsFor, decodeBox, faceScore, logitThreshold } from "./anchors.ts";
import { type LevelPlan, pixelRegion, planLevels } from "./detectPlan.ts";
import { type Box, clipBox, nms, overlapMin } from "./geometry.ts";

export { MAX_DETECTABLE_PX, MIN_DETECTABLE_PX } from "./detectPlan.ts";

export interface DetectOptions {
  /** Minimum detector face score, 0-1. */
  scoreThreshold: number;
  /** IoU above which overlapping detections are merged. */
  nmsIou: number;
  /** Smallest face side in source pixels that must be found (drives the input scale). */
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

/**
 * How a region becomes the detector's input: "native" resizes it with libvips (sharp), once per
 * level; "pyramid" warps each level from the frame's 2x pyramid in JavaScript (bilinear).
 */
export type Resampler = "native" | "pyramid";

export interface DetectorOptions {
  resampler: Resampler;
  /** libvips kernel of the native resampler. */
  kernel: ResizeKernel;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = { resampler: "native", kernel: "linear" };

export class FaceDetector {
  private readonly opts: DetectorOptions;
  constructor(
    private readonly session: InferenceSession,
    options: Partial<DetectorOptions> = {},
  ) {
    this.opts = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
  }

  /** Runs the model on one RGB image; returns detections above the threshold in its pixels. */
  async runInput(image: RgbImage, scoreThreshold: number): Promise<Detection[]> {
    const { width, height } = image;
    // onnxruntime refuses views of shared memory (the agent's frames, when a level is the frame itself).
    const data = image.data.buffer instanceof SharedArrayBuffer ? new Uint8Array(image.data) : image.data;
    const out = await this.session.run({ image: new ort.Tensor("uint8", data, [1, height, width, 3]) });
    const logits = out.logits.data as Float32Array;
    const loc = out.locations.data as Float32Array;
    const anchors = anchorsFor(width, height);
    // Compare logit differences (no exp) and score only the anchors that can pass.
    const min = logitThreshold(scoreThreshold) - 1e-6;
    const dets: Detection[] = [];
    for (let i = 0; i < anchors.count; i++) {
      if (logits[2 * i + 1] - logits[2 * i] < min) continue;
      const s = faceScore(logits, i);
      if (s < scoreThreshold) continue;
      dets.push({ box: decodeBox(anchors, loc, i, [0, 0, 0, 0]) as Box, score: s });
    }
    return dets;
  }

  /**
   * Runs the model once on a batch of RGB images of one size; returns each image's detections
   * above the threshold, in its pixels.
   */
  async runBatch(images: readonly RgbImage[], scoreThreshold: number): Promise<Detection[][]> {
    if (images.length === 0) return [];
    const { width, height } = images[0];
    const plane = width * height * 3;
    const data = new Uint8Array(images.length * plane);
    images.forEach((img, k) => {
      if (img.width !== width || img.height !== height) throw new RangeError("runBatch: images of different sizes");
      data.set(img.data.subarray(0, plane), k * plane);
    });
    const out = await this.session.run({ image: new ort.Tensor("uint8", data, [images.length, height, width, 3]) });
    const logits = out.logits.data as Float32Array;
    const loc = out.locations.data as Float32Array;
    const anchors = anchorsFor(width, height);
    const min = logitThreshold(scoreThreshold) - 1e-6;
    return images.map((_, k) => {
      const lg = logits.subarray(k * anchors.count * 2, (k + 1) * anchors.count * 2);
      const lc = loc.subarray(k * anchors.count * 4, (k + 1) * anchors.count * 4);
      const dets: Detection[] = [];
      for (let i = 0; i < anchors.count; i++) {
        if (lg[2 * i + 1] - lg[2 * i] < min) continue;
        const s = faceScore(lg, i);
        if (s < scoreThreshold) continue;
        dets.push({ box: decodeBox(anchors, lc, i, [0, 0, 0, 0]) as Box, score: s });
      }
      return dets;
    });
  }

  /** Detects faces in the image (or the given regions), merging all levels and tiles with NMS. */
  async detect(image: RgbImage | Pyramid, options: Partial<DetectOptions> = {}): Promise<Detection[]> {
    const o = { ...DEFAULT_DETECT_OPTIONS, ...options };
    const base = image instanceof Pyramid ? image.base : image;
    const { width, height } = base;
    const regions = o.regions?.length ? o.regions : [{ x: 0, y: 0, w: width, h: height }];
    const all: Detection[] = [];
    const src = this.opts.resampler === "pyramid" ? asPyramid(image) : image;
    // Per region, detections larger than their level's hand-off size, with the level's index.
    const large: { d: Detection; level: number }[] = [];
    for (const given of regions) {
      const region = pixelRegion(given, width, height);
      if (!region) continue;
      let fine: RgbImage | undefined;
      const found: Detection[][] = [];
      for (const [k, level] of planLevels(region, o.minFaceSize, o.maxUpscale).entries()) {
        found.push([]);
        const img = await this.resample(src, region, level, fine);
        fine ??= img;
        for (const t of level.tiles) {
          const whole = t.w === img.width && t.h === img.height;
          const input = whole ? img : copyRgb(img, t.x, t.y, t.w, t.h);
          for (const d of await this.runInput(input, o.scoreThreshold)) {
            const s = toSource(d, region, level, t);
            found[k].push(s);
            if (d.box[3] - d.box[1] > level.maxFace) large.push({ d: s, level: k });
            else all.push(s);
          }
        }
      }
      for (const { d, level } of large.splice(0)) {
        if (!found.slice(level + 1).some((ds) => ds.some((c) => overlapMin(c.box, d.box) >= 0.5))) all.push(d);
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

  /**
   * The region at the level's size. Native: the finest level from the frame, coarser ones from
   * the finest (a few percent of its pixels). Pyramid: each from the frame's pyramid.
   */
  private resample(
    image: RgbImage | Pyramid,
    region: Rect,
    level: LevelPlan,
    fine?: RgbImage,
  ): Promise<RgbImage> | RgbImage {
    const { width: w, height: h } = level;
    if (this.opts.resampler === "pyramid") {
      return warpToRgb(image, cropAffine(region.x, region.y, region.w, region.h, w, h), w, h);
    }
    const base = image instanceof Pyramid ? image.base : image;
    if (fine) return resizeRgb(fine, { x: 0, y: 0, w: fine.width, h: fine.height }, w, h, this.opts.kernel);
    return resizeRgb(base, region, w, h, this.opts.kernel);
  }
}

function asPyramid(image: RgbImage | Pyramid): Pyramid {
  return image instanceof Pyramid ? image : new Pyramid(image);
}

/** A detection in tile input pixels, in source pixels. */
function toSource(d: Detection, region: Rect, level: LevelPlan, tile: Rect): Detection {
  const sx = region.w / level.width;
  const sy = region.h / level.height;
  const [x0, y0, x1, y1] = d.box;
  return {
    box: [
      region.x + (tile.x + x0) * sx,
      region.y + (tile.y + y0) * sy,
      region.x + (tile.x + x1) * sx,
      region.y + (tile.y + y1) * sy,
    ],
    score: d.score,
  };
}
