/** Pure geometry for the face pipeline: boxes, IoU, NMS, similarity transforms. No I/O. */

/** Box as corners [x1, y1, x2, y2] in pixels. */
export type Box = [number, number, number, number];
export type Point = [number, number];

export const boxWidth = (b: Box) => b[2] - b[0];
export const boxHeight = (b: Box) => b[3] - b[1];
export const boxArea = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
export const boxCenter = (b: Box): Point => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];

/** Mean of the points lm[from..to] (inclusive): e.g. an eye center from its six landmarks. */
export function meanPoint(lm: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += lm[i][0];
    y += lm[i][1];
  }
  const n = to - from + 1;
  return [x / n, y / n];
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** Intersection over the smaller box: catches a small duplicate box inside a large one. */
export function overlapMin(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  return (iw * ih) / Math.min(boxArea(a), boxArea(b));
}

/**
 * Greedy non-maximum suppression. Returns the indices kept, best score first. A box is dropped
 * when its IoU with a kept box is above `iouThreshold`, or (when given) its intersection over the
 * smaller box is above `containThreshold` (duplicates from different pyramid levels).
 */
export function nms(boxes: readonly Box[], scores: readonly number[], iouThreshold: number, containThreshold = 1.01) {
  const order = boxes.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const keep: number[] = [];
  for (const i of order) {
    let ok = true;
    for (const k of keep) {
      if (iou(boxes[i], boxes[k]) > iouThreshold || overlapMin(boxes[i], boxes[k]) > containThreshold) {
        ok = false;
        break;
      }
    }
    if (ok) keep.push(i);
  }
  return keep;
}

/** Maps a box from a sub-image (at `scale` = sub-image px per source px, offset ox, oy) back to the source. */
export function unscaleBox(b: Box, scale: number, ox: number, oy: number): Box {
  return [b[0] / scale + ox, b[1] / scale + oy, b[2] / scale + ox, b[3] / scale + oy];
}

export function clipBox(b: Box, width: number, height: number): Box {
  return [
    Math.min(Math.max(b[0], 0), width),
    Math.min(Math.max(b[1], 0), height),
    Math.min(Math.max(b[2], 0), width),
    Math.min(Math.max(b[3], 0), height),
  ];
}

/** Grows (factor > 1) or shrinks a box around its center. */
export function scaleBox(b: Box, factor: number): Box {
  const [cx, cy] = boxCenter(b);
  const hw = (boxWidth(b) * factor) / 2;
  const hh = (boxHeight(b) * factor) / 2;
  return [cx - hw, cy - hh, cx + hw, cy + hh];
}

/** The square of side max(w, h) with the same center. */
export function squareBox(b: Box): Box {
  const [cx, cy] = boxCenter(b);
  const s = Math.max(boxWidth(b), boxHeight(b)) / 2;
  return [cx - s, cy - s, cx + s, cy + s];
}

/**
 * 2x3 affine matrix [a, -b, tx; b, a, ty] of a similarity transform (rotation, uniform scale,
 * translation), as [a, b, tx, ty]: x' = a x - b y + tx, y' = b x + a y + ty.
 */
export type Similarity = [number, number, number, number];

/**
 * Least-squares similarity transform mapping `src` points onto `dst` (Umeyama 1991 without
 * reflection; closed form for 2-D). Needs at least two distinct points.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError("estimateSimilarity needs >= 2 point pairs of equal count");
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // With centered points p (src) and q (dst): a = sum(p.q) / |p|^2, b = sum(p x q) / |p|^2.
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - sx;
    const py = src[i][1] - sy;
    const qx = dst[i][0] - dx;
    const qy = dst[i][1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm < 1e-12) throw new RangeError("estimateSimilarity: source points are degenerate");
  const a = dot / norm;
  const b = cross / norm;
  const tx = dx - (a * sx - b * sy);
  const ty = dy - (b * sx + a * sy);
  return [a, b, tx, ty];
}

export function applySimilarity(t: Similarity, p: Point): Point {
  const [a, b, tx, ty] = t;
  return [a * p[0] - b * p[1] + tx, b * p[0] + a * p[1] + ty];
}

export function invertSimilarity(t: Similarity): Similarity {
  const [a, b, tx, ty] = t;
  const d = a * a + b * b;
  if (d < 1e-18) throw new RangeError("invertSimilarity: singular transform");
  // Inverse of [[a,-b],[b,a]] is [[a,b],[-b,a]]/d.
  const ia = a / d;
  const ib = -b / d;
  return [ia, ib, -(ia * tx - ib * ty), -(ib * tx + ia * ty)];
}

/** Uniform scale factor of a similarity transform. */
export const similarityScale = (t: Similarity) => Math.hypot(t[0], t[1]);
