/**
 * 68-point landmarks with fr_landmark.onnx: grey 64x64 crop of a square around the face box,
 * values v/256, outputs (x, y) normalized to the crop. Points follow the iBUG 300-W layout.
 */
import type { InferenceSession } from "onnxruntime-node";
import { type Affine, cropAffine, type Pyramid, warpToGrey } from "../image/resample.ts";
import { ort } from "../models/registry.ts";
import { type Box, boxCenter, boxHeight, meanPoint, type Point } from "./geometry.ts";

export const LM_SIZE = 64;

export interface LandmarkOptions {
  /** Side of the square crop relative to the box height (the package's own code uses 1.0). */
  cropScale: number;
  /** Run a second pass on a crop re-centered on the first pass's points. */
  refine: boolean;
  /** Average the last pass with a pass on the mirrored crop (test-time augmentation). */
  flip: boolean;
}

/**
 * On LFW (bench/lfw.ts) the re-centered second pass is worth about +0.3 points of accuracy and the
 * mirrored pass about +0.1 (noisy: one pair is 0.03 points), for 0.4 ms each.
 */
export const DEFAULT_LANDMARK_OPTIONS: LandmarkOptions = { cropScale: 1.0, refine: true, flip: true };

/** Index of each iBUG 68 point in a horizontally mirrored face (left eye <-> right eye, ...). */
export const MIRROR_68 = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35,
  34, 33, 32, 31, 45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64,
  63, 62, 61, 60, 67, 66, 65,
];

/** The square crop the landmark model sees for a box. */
export function landmarkCrop(box: Box, cropScale: number): Box {
  const [cx, cy] = boxCenter(box);
  // The package's code squares the box on its height; the detector's boxes are taller than wide.
  const half = (boxHeight(box) * cropScale) / 2;
  return [cx - half, cy - half, cx + half, cy + half];
}

/** The five alignment points: eye centers (mean of each eye's 6 points), nose tip, mouth corners. */
export function fivePoints(lm: readonly Point[]): Point[] {
  return [meanPoint(lm, 36, 41), meanPoint(lm, 42, 47), lm[30], lm[48], lm[54]];
}

/** One crop the model sees: a square of the source, mirrored horizontally or not. */
interface CropPass {
  crop: Box;
  mirror: boolean;
}

/** The crop re-centered on the points a first pass found (the detector box is often off-center). */
function recenter(crop: Box, pts: readonly Point[]): Box {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of pts) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const side = crop[2] - crop[0];
  const offX = (minX + maxX) / 2 - (crop[0] + crop[2]) / 2;
  const offY = (minY + maxY) / 2 - (crop[1] + crop[3]) / 2;
  return [crop[0] + offX, crop[1] + offY, crop[0] + offX + side, crop[1] + offY + side];
}

const LM_PIXELS = LM_SIZE * LM_SIZE;

export class LandmarkModel {
  /** `session` takes a batch of crops (models/fr_landmark.batch.onnx; the original takes one at a time). */
  constructor(private readonly session: InferenceSession) {}

  /** Points predicted on each pass's crop, in source pixels: all passes in one model run. */
  private async runPasses(src: Pyramid, passes: readonly CropPass[]): Promise<Point[][]> {
    const n = passes.length;
    const input = new Float32Array(n * LM_PIXELS);
    // Output (u, v) -> source: x = x0 + u*w/64 (mirrored: x1 - u*w/64), y = y0 + v*h/64.
    const affines = passes.map(({ crop, mirror }): Affine => {
      const w = crop[2] - crop[0];
      const h = crop[3] - crop[1];
      return mirror
        ? [-w / LM_SIZE, 0, crop[2], 0, h / LM_SIZE, crop[1]]
        : cropAffine(crop[0], crop[1], w, h, LM_SIZE, LM_SIZE);
    });
    // A mirrored pass of a crop that is also run unmirrored samples the same points right to left
    // (column u of one is column 63 - u of the other): its input is that crop's, flipped, not a second warp.
    const unmirrored = new Map<Box, number>();
    passes.forEach(({ crop, mirror }, k) => {
      if (!mirror) unmirrored.set(crop, k);
    });
    affines.forEach((m, k) => {
      const twin = passes[k].mirror ? unmirrored.get(passes[k].crop) : undefined;
      if (twin !== undefined) return;
      const grey = warpToGrey(src, m, LM_SIZE, LM_SIZE);
      const o = k * LM_PIXELS;
      for (let i = 0; i < LM_PIXELS; i++) input[o + i] = grey[i] / 256;
    });
    passes.forEach(({ crop, mirror }, k) => {
      const twin = mirror ? unmirrored.get(crop) : undefined;
      if (twin === undefined) return;
      const o = k * LM_PIXELS;
      const t = twin * LM_PIXELS;
      for (let v = 0; v < LM_SIZE; v++)
        for (let u = 0; u < LM_SIZE; u++) input[o + v * LM_SIZE + u] = input[t + v * LM_SIZE + LM_SIZE - 1 - u];
    });
    const out = await this.session.run({ input: new ort.Tensor("float32", input, [n, 1, LM_SIZE, LM_SIZE]) });
    const d = out.output.data as Float32Array;
    return passes.map(({ mirror }, k) => {
      const m = affines[k];
      const pts: Point[] = new Array(68);
      for (let i = 0; i < 68; i++) {
        const u = d[136 * k + 2 * i] * LM_SIZE;
        const v = d[136 * k + 2 * i + 1] * LM_SIZE;
        // A mirrored crop sees the subject's right eye where the left one would be: swap indices back.
        pts[mirror ? MIRROR_68[i] : i] = [m[0] * u + m[2], m[4] * v + m[5]];
      }
      return pts;
    });
  }

  /**
   * 68 points in source pixels (continuous coordinates) for each box. At most two model runs
   * whatever the number of faces: the first pass of every face, then the re-centered and the
   * mirrored passes of every face together.
   */
  async predictMany(
    src: Pyramid,
    boxes: readonly Box[],
    options: Partial<LandmarkOptions> = {},
    /**
     * Filled (when given) with each face's disagreement between its last two passes (the
     * re-centered one and the mirrored one): the mean distance between their 68 points over the
     * distance between the eye centers. A face gives the same points mirrored or not; a jacket or
     * a poster often does not (shared/src/face/faceCheck.ts). NaN without both passes.
     */
    disagreement?: number[],
  ): Promise<Point[][]> {
    if (boxes.length === 0) return [];
    const o = { ...DEFAULT_LANDMARK_OPTIONS, ...options };
    let crops = boxes.map((b) => landmarkCrop(b, o.cropScale));
    let pts = await this.runPasses(
      src,
      crops.map((crop) => ({ crop, mirror: false })),
    );
    if (!o.refine && !o.flip) return pts;
    if (o.refine) crops = crops.map((c, k) => recenter(c, pts[k]));
    const passes: CropPass[] = [];
    if (o.refine) passes.push(...crops.map((crop) => ({ crop, mirror: false })));
    if (o.flip) passes.push(...crops.map((crop) => ({ crop, mirror: true })));
    const more = await this.runPasses(src, passes);
    if (o.refine) pts = more.slice(0, boxes.length);
    if (o.flip) {
      const mirrored = more.slice(more.length - boxes.length);
      if (disagreement) {
        pts.forEach((p, k) => {
          disagreement[k] = o.refine ? passDisagreement(p, mirrored[k]) : Number.NaN;
        });
      }
      pts = pts.map((p, k) => p.map(([x, y], i): Point => [(x + mirrored[k][i][0]) / 2, (y + mirrored[k][i][1]) / 2]));
    }
    return pts;
  }

  /** 68 points in source pixels (continuous coordinates). */
  async predict(src: Pyramid, box: Box, options: Partial<LandmarkOptions> = {}): Promise<Point[]> {
    return (await this.predictMany(src, [box], options))[0];
  }
}

/** Mean distance between two passes' points over the eye distance (of their mean). */
export function passDisagreement(a: readonly Point[], b: readonly Point[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.hypot(a[i][0] - b[i][0], a[i][1] - b[i][1]);
  const l = meanPoint(a, 36, 41);
  const r = meanPoint(a, 42, 47);
  const l2 = meanPoint(b, 36, 41);
  const r2 = meanPoint(b, 42, 47);
  const iod = Math.hypot((r[0] + r2[0]) / 2 - (l[0] + l2[0]) / 2, (r[1] + r2[1]) / 2 - (l[1] + l2[1]) / 2);
  return d / a.length / Math.max(iod, 1e-6);
}
