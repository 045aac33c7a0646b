/** Alignment: a least-squares similarity from the five points onto the ArcFace 112x112 template. */
import { type Affine, NORM_127_128, type Pyramid, type TensorNorm, warpToTensor } from "../image/resample.ts";
import { estimateSimilarity, invertSimilarity, type Point, type Similarity } from "./geometry.ts";

export const ALIGN_SIZE = 112;

/** ArcFace (insightface) reference points for a 112x112 crop, in pixel-index coordinates. */
export const ARCFACE_TEMPLATE: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * The transform from source pixel-index coordinates to template coordinates. Points given in
 * continuous coordinates (pixel i spans [i, i+1)) are shifted by half a pixel first.
 */
export function alignmentTransform(points5: readonly Point[]): Similarity {
  const src = points5.map(([x, y]): Point => [x - 0.5, y - 0.5]);
  return estimateSimilarity(src, ARCFACE_TEMPLATE);
}

/** Output-to-source affine (continuous coordinates) for warpToTensor. */
export function alignmentAffine(t: Similarity): Affine {
  const [a, b, tx, ty] = invertSimilarity(t);
  // index_src = R * index_dst + t, index = continuous - 0.5.
  return [a, -b, tx - 0.5 * (a - b) + 0.5, b, a, ty - 0.5 * (b + a) + 0.5];
}

/** Warps the aligned 112x112 face into `out` (CHW) at `offset`. */
export function warpAligned(
  src: Pyramid,
  t: Similarity,
  out: Float32Array,
  offset = 0,
  norm: TensorNorm = NORM_127_128,
): void {
  warpToTensor(src, alignmentAffine(t), ALIGN_SIZE, ALIGN_SIZE, out, offset, norm);
}
