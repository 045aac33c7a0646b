/**
 * Pure planning of the detector's passes over a search region. The derived detector takes any
 * input size, so a region is resampled once per level, at the scale that maps `minFaceSize` to
 * the smallest face the model finds reliably, and run whole. Coarser levels (much smaller) catch
 * faces too large for the anchors at the fine scale. A level is tiled only when its input would
 * exceed MAX_INPUT_PIXELS; tiles overlap by the largest face the level must find whole.
 */
import type { Rect } from "../image/types.ts";

/**
 * Smallest face, in detector-input pixels, that the model finds reliably (the side of the face
 * crop as bench/detection.ts pastes it). bench/detection.ts, faces in a blank input: recall 28% at
 * 18 px, 58% at 20 px, 96.5% at 24 px, 99% at 28 px; the same at 1152x648 as at 320x240.
 */
export const MIN_DETECTABLE_PX = 24;
/** Largest face, in detector-input pixels, the anchors cover (largest anchor is 256). */
export const MAX_DETECTABLE_PX = 220;
/**
 * Largest detector input, in pixels. `pnpm --silent bench:speed --sizes`: time per pixel is flat
 * up to about 1 MP (about 32 ns/px at 320x240 and at 1280x720, one thread), 7% higher at 2 MP and
 * 12% at 8 MP, and the session's memory grows about 140 MB per MP. At 1 MP a 1080p frame searched
 * for 40 px faces (1152x648) is one pass.
 */
export const MAX_INPUT_PIXELS = 1024 * 1024;
/** Longest side of one input. */
export const MAX_INPUT_SIDE = 2048;
/** Scale ratio between levels: the face-size ranges [MIN, MAX] of neighbouring levels overlap by 2x. */
export const LEVEL_RATIO = (MIN_DETECTABLE_PX / MAX_DETECTABLE_PX) * 2;

/**
 * Largest detection a level that has a coarser one vouches for alone, in level px: 1.5x the size
 * where the coarser level takes over (a face this large is 36 px there, well inside its range). A
 * face much larger than the anchors is not found whole at a fine level but its chin or eyes can
 * be, as a smaller "face" beside the real one: a larger detection is dropped when it lies mostly
 * inside one from a coarser level (which found the whole face), and kept otherwise (some faces,
 * e.g. turned away, are only found at the fine level).
 */
export const HANDOFF_PX = Math.round((MIN_DETECTABLE_PX / LEVEL_RATIO) * 1.5);

/** One level: the region resampled to width x height (scale = level px per source px), cut into tiles. */
export interface LevelPlan {
  scale: number;
  width: number;
  height: number;
  /** Rectangles of the level image, each one model run. */
  tiles: Rect[];
  /** Detections taller than this (level px) are dropped when mostly inside one from a coarser level. */
  maxFace: number;
}

export interface PlanLimits {
  maxPixels: number;
  maxSide: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { maxPixels: MAX_INPUT_PIXELS, maxSide: MAX_INPUT_SIDE };

/** The detection scale for a smallest face: minFaceSize source px become MIN_DETECTABLE_PX input px. */
export function targetScale(minFaceSize: number, maxUpscale: number): number {
  return Math.min(MIN_DETECTABLE_PX / Math.max(minFaceSize, 1), maxUpscale);
}

/**
 * Levels for `region` (finest first) so that every face from minFaceSize up to the region's
 * shorter side maps into [MIN_DETECTABLE_PX, MAX_DETECTABLE_PX] at some level, whole inside a tile.
 */
export function planLevels(
  region: Rect,
  minFaceSize: number,
  maxUpscale: number,
  limits: PlanLimits = DEFAULT_PLAN_LIMITS,
): LevelPlan[] {
  const shortSide = Math.min(region.w, region.h);
  const scales = [targetScale(minFaceSize, maxUpscale)];
  while (scales[scales.length - 1] * shortSide > MAX_DETECTABLE_PX)
    scales.push(scales[scales.length - 1] * LEVEL_RATIO);
  return scales.map((scale, k) => {
    const width = Math.max(1, Math.round(region.w * scale));
    const height = Math.max(1, Math.round(region.h * scale));
    // Faces this level must find whole: those it keeps, up to the hand-off to the next coarser level.
    const maxFace = k + 1 < scales.length ? HANDOFF_PX : Number.POSITIVE_INFINITY;
    const overlap = Math.min(maxFace, MAX_DETECTABLE_PX, width, height);
    return { scale, width, height, maxFace, tiles: planTiles(width, height, overlap, limits) };
  });
}

/**
 * The fewest input pixels covering width x height with tiles that each fit the limits and overlap
 * by `overlap`: an nx x ny grid of equal tiles (integer rectangles).
 */
export function planTiles(width: number, height: number, overlap: number, limits: PlanLimits = DEFAULT_PLAN_LIMITS) {
  const fits = (w: number, h: number) => w * h <= limits.maxPixels && w <= limits.maxSide && h <= limits.maxSide;
  if (fits(width, height)) return [{ x: 0, y: 0, w: width, h: height }];
  let best: { nx: number; ny: number; tw: number; th: number } | undefined;
  for (let nx = 1; nx <= 64; nx++) {
    const tw = Math.ceil((width + (nx - 1) * overlap) / nx);
    if (nx > 1 && tw <= overlap) break;
    for (let ny = 1; ny <= 64; ny++) {
      const th = Math.ceil((height + (ny - 1) * overlap) / ny);
      if (ny > 1 && th <= overlap) break;
      if (!fits(tw, th)) continue;
      if (!best || nx * ny * tw * th < best.nx * best.ny * best.tw * best.th) best = { nx, ny, tw, th };
      break;
    }
  }
  if (!best) throw new RangeError(`cannot tile ${width}x${height} with an overlap of ${overlap} px`);
  const starts = (len: number, tile: number, n: number) =>
    Array.from({ length: n }, (_, i) => (n === 1 ? 0 : Math.round((i * (len - tile)) / (n - 1))));
  const tiles: Rect[] = [];
  for (const y of starts(height, best.th, best.ny)) {
    for (const x of starts(width, best.tw, best.nx)) {
      tiles.push({ x, y, w: Math.min(best.tw, width), h: Math.min(best.th, height) });
    }
  }
  return tiles;
}

/** The region rounded outward to whole pixels and clipped to the image; undefined when empty. */
export function pixelRegion(r: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(width, Math.ceil(r.x + r.w));
  const y1 = Math.min(height, Math.ceil(r.y + r.h));
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
