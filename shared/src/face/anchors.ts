/**
 * The anchors (priors) of fr_detect for any input size, and the box decoding that the original
 * graph did with anchors baked in for 320x240 (models/fr_detect.dynamic.onnx stops before it).
 *
 * Ultra-Light-Fast-Generic-Face-Detector layout: four heads of strides 8, 16, 32, 64 with anchor
 * sides 10/16/24, 32/48, 64/96, 128/192/256 px; a head's grid is ceil(side / stride) cells; anchors
 * are ordered head, row, column, anchor size, as the heads' outputs are concatenated.
 *
 * Two layouts. "generator" is the original's: centers spread each head's grid evenly over the
 * input ((i + 0.5) / cells) and everything is clipped to [0, 1]; it reproduces the 320x240 anchors
 * bit for bit. "cells" puts each anchor on the center of its cell, (i + 0.5) * stride, unclipped.
 * The two agree at sides that are multiples of 64; elsewhere the generator stretches the coarse
 * grids (at 1080 rows the last stride-64 anchors sit 30 px above the cells that see the faces,
 * and boxes come out shifted by as much), so detection at any size uses "cells".
 */

export const STRIDES = [8, 16, 32, 64] as const;
export const ANCHOR_SIDES = [
  [10, 16, 24],
  [32, 48],
  [64, 96],
  [128, 192, 256],
] as const;
const CENTER_VARIANCE = 0.1;
const SIZE_VARIANCE = 0.2;

/** Anchors of one input size: centers and sizes normalized to the input, 4 floats per anchor. */
export type AnchorLayout = "cells" | "generator";

export interface Anchors {
  width: number;
  height: number;
  count: number;
  /** cx, cy, w, h per anchor. */
  priors: Float64Array;
}

export function anchorCount(width: number, height: number): number {
  let n = 0;
  STRIDES.forEach((s, k) => {
    n += Math.ceil(width / s) * Math.ceil(height / s) * ANCHOR_SIDES[k].length;
  });
  return n;
}

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

export function makeAnchors(width: number, height: number, layout: AnchorLayout = "cells"): Anchors {
  const count = anchorCount(width, height);
  const priors = new Float64Array(4 * count);
  const gen = layout === "generator";
  const clip = gen ? clip01 : (v: number) => v;
  let o = 0;
  STRIDES.forEach((s, k) => {
    const fw = Math.ceil(width / s);
    const fh = Math.ceil(height / s);
    for (let j = 0; j < fh; j++) {
      for (let i = 0; i < fw; i++) {
        for (const side of ANCHOR_SIDES[k]) {
          priors[o++] = clip(gen ? (i + 0.5) / fw : ((i + 0.5) * s) / width);
          priors[o++] = clip(gen ? (j + 0.5) / fh : ((j + 0.5) * s) / height);
          priors[o++] = clip(side / width);
          priors[o++] = clip(side / height);
        }
      }
    }
  });
  return { width, height, count, priors };
}

const cache = new Map<string, Anchors>();
/** Input sizes whose anchors are kept. */
export const ANCHOR_CACHE_SIZE = 64;
/**
 * makeAnchors ("cells"), kept per input size, least recently used out first: a camera's frames
 * reuse a few sizes (the whole frame's, the coarse level's) among many one-off sizes of track regions.
 */
export function anchorsFor(width: number, height: number): Anchors {
  const key = `${width}x${height}`;
  let a = cache.get(key);
  if (a) {
    // Most recently used last (a Map keeps insertion order).
    cache.delete(key);
  } else {
    if (cache.size >= ANCHOR_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    a = makeAnchors(width, height);
  }
  cache.set(key, a);
  return a;
}

/**
 * Box of anchor `i` from its raw regression (loc[4i..4i+3]) as corners in input pixels, into `out`.
 * Same arithmetic as the original graph's tail: center + dx * 0.1 * size, size * exp(dw * 0.2).
 */
export function decodeBox(a: Anchors, loc: ArrayLike<number>, i: number, out: number[]): number[] {
  const p = 4 * i;
  const cx = loc[p] * CENTER_VARIANCE * a.priors[p + 2] + a.priors[p];
  const cy = loc[p + 1] * CENTER_VARIANCE * a.priors[p + 3] + a.priors[p + 1];
  const w = Math.exp(loc[p + 2] * SIZE_VARIANCE) * a.priors[p + 2];
  const h = Math.exp(loc[p + 3] * SIZE_VARIANCE) * a.priors[p + 3];
  out[0] = (cx - w / 2) * a.width;
  out[1] = (cy - h / 2) * a.height;
  out[2] = (cx + w / 2) * a.width;
  out[3] = (cy + h / 2) * a.height;
  return out;
}

/** The face probability from the [background, face] logits of anchor i: a two-class softmax. */
export function faceScore(logits: ArrayLike<number>, i: number): number {
  return 1 / (1 + Math.exp(logits[2 * i] - logits[2 * i + 1]));
}

/** The logit difference (face - background) at which faceScore equals p. */
export function logitThreshold(p: number): number {
  return Math.log(p / (1 - p));
}
