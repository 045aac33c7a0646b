/**
 * 68-point landmarks with fr_landmark.onnx: grey 64x64 crop of a square around the face box,
 * values v/256, outputs (x, y) normalised to the crop. Points follow the iBUG 300-W layout.
 */
import type { InferenceSession } from "onnxruntime-node";
import { cropAffine, type Pyramid, warpToGrey } from "../image/resample.ts";
import { ort } from "../models/registry.ts";
import { type Box, boxCenter, boxHeight, type Point } from "./geometry.ts";

export const LM_SIZE = 64;

export interface LandmarkOptions {
  /** Side of the square crop relative to the box height (the package's own code uses 1.0). */
  cropScale: number;
  /** Run a second pass on a crop re-centred on the first pass's points. */
  refine: boolean;
}

/** Refining is worth +0.3 points of LFW accuracy for 0.4 ms (bench/lfw.ts --no-refine). */
export const DEFAULT_LANDMARK_OPTIONS: LandmarkOptions = { cropScale: 1.0, refine: true };

/** The square crop the landmark model sees for a box. */
export function landmarkCrop(box: Box, cropScale: number): Box {
  const [cx, cy] = boxCenter(box);
  // The package's code squares the box on its height; the detector's boxes are taller than wide.
  const half = (boxHeight(box) * cropScale) / 2;
  return [cx - half, cy - half, cx + half, cy + half];
}

/** The five alignment points: eye centres (mean of each eye's 6 points), nose tip, mouth corners. */
export function fivePoints(lm: readonly Point[]): Point[] {
  const mean = (from: number, to: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += lm[i][0];
      y += lm[i][1];
    }
    const n = to - from + 1;
    return [x / n, y / n];
  };
  return [mean(36, 41), mean(42, 47), lm[30], lm[48], lm[54]];
}

export class LandmarkModel {
  constructor(private readonly session: InferenceSession) {}

  private async runCrop(src: Pyramid, crop: Box): Promise<Point[]> {
    const w = crop[2] - crop[0];
    const h = crop[3] - crop[1];
    const grey = warpToGrey(src, cropAffine(crop[0], crop[1], w, h, LM_SIZE, LM_SIZE), LM_SIZE, LM_SIZE);
    for (let i = 0; i < grey.length; i++) grey[i] /= 256;
    const out = await this.session.run({ input: new ort.Tensor("float32", grey, [1, 1, LM_SIZE, LM_SIZE]) });
    const d = out.output.data as Float32Array;
    const pts: Point[] = new Array(68);
    for (let i = 0; i < 68; i++) pts[i] = [crop[0] + d[2 * i] * w, crop[1] + d[2 * i + 1] * h];
    return pts;
  }

  /** 68 points in source pixels (continuous coordinates). */
  async predict(src: Pyramid, box: Box, options: Partial<LandmarkOptions> = {}): Promise<Point[]> {
    const o = { ...DEFAULT_LANDMARK_OPTIONS, ...options };
    const crop = landmarkCrop(box, o.cropScale);
    let pts = await this.runCrop(src, crop);
    if (o.refine) {
      // Re-centre the crop on the face the first pass found (the detector box is often off-centre).
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
      const cx = (minX + maxX) / 2;
      const cy = (minY + maxY) / 2;
      const offX = cx - (crop[0] + crop[2]) / 2;
      const offY = cy - (crop[1] + crop[3]) / 2;
      pts = await this.runCrop(src, [crop[0] + offX, crop[1] + offY, crop[0] + offX + side, crop[1] + offY + side]);
    }
    return pts;
  }
}
