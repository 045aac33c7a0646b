/**
 * Where to run the face detector on a frame: motion regions and the predicted boxes of live
 * tracks, grown by a margin, clipped to the detection ROI and merged; the whole ROI on periodic
 * full-frame passes or when the regions cover most of it anyway. Pure.
 */
import type { Box, Rect } from "@argus/shared";

export interface RegionPlanInput {
  width: number;
  height: number;
  motion: readonly Rect[];
  tracks: readonly Box[];
  /** Search everything this frame. */
  full: boolean;
  /** Detection ROI bounding rectangle in pixels (default: the frame). */
  roi?: Rect;
  margin: number;
  minFaceSize: number;
}

/** Merged regions are replaced by the whole ROI when they cover more than this fraction of it (fewer, larger views). */
const FULL_COVER = 0.6;

const area = (r: Rect) => r.w * r.h;

function clip(r: Rect, c: Rect): Rect | undefined {
  const x0 = Math.max(r.x, c.x);
  const y0 = Math.max(r.y, c.y);
  const x1 = Math.min(r.x + r.w, c.x + c.w);
  const y1 = Math.min(r.y + r.h, c.y + c.h);
  return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : undefined;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function union(a: Rect, b: Rect): Rect {
  const x0 = Math.min(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  return { x: x0, y: y0, w: Math.max(a.x + a.w, b.x + b.w) - x0, h: Math.max(a.y + a.h, b.y + b.h) - y0 };
}

/** Repeatedly unions overlapping rectangles until none overlap. */
export function mergeRects(rects: readonly Rect[]): Rect[] {
  const out = rects.map((r) => ({ ...r }));
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        if (overlaps(out[i], out[j])) {
          out[i] = union(out[i], out[j]);
          out.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return out;
}

export function planRegions(p: RegionPlanInput): Rect[] {
  const bounds = p.roi ?? { x: 0, y: 0, w: p.width, h: p.height };
  if (p.full) return [bounds];
  const grow = (r: Rect, f: number): Rect => {
    const mx = Math.max(r.w * f, p.minFaceSize);
    const my = Math.max(r.h * f, p.minFaceSize);
    return { x: r.x - mx, y: r.y - my, w: r.w + 2 * mx, h: r.h + 2 * my };
  };
  const rs: Rect[] = [];
  for (const m of p.motion) rs.push(grow(m, p.margin));
  // A face may move about its own size between analyzed frames.
  for (const b of p.tracks) rs.push(grow({ x: b[0], y: b[1], w: b[2] - b[0], h: b[3] - b[1] }, 1));
  const clipped = rs.map((r) => clip(r, bounds)).filter((r): r is Rect => r !== undefined);
  const merged = mergeRects(clipped);
  const total = merged.reduce((s, r) => s + area(r), 0);
  if (merged.length > 0 && total > FULL_COVER * area(bounds)) return [bounds];
  return merged;
}
