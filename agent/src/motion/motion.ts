/**
 * Cheap motion detection on a downscaled grey copy of each frame: a running-average background,
 * a per-pixel threshold, erosion and dilation, and connected components above a minimum area.
 * It gates the face detector (no motion, no search) and tells it where to look. Pure: frames in,
 * regions out; a 1080p frame costs a few milliseconds.
 */
import type { Rect } from "@argus/shared";
import type { CameraSettings } from "@argus/shared/config/schema";
import { rasterize } from "../util/polygon.ts";

export type MotionOptions = CameraSettings["motion"];

export interface MotionResult {
  /** Fraction of (unmasked) pixels that changed, before morphology. */
  ratio: number;
  /** Moving areas in source pixels, largest first. */
  regions: Rect[];
}

/**
 * Averages 2x2 sample points of each f x f block of an RGB24 frame into a grey image. Sampling
 * instead of reading every pixel keeps the cost independent of the source resolution.
 */
export function downscaleGrey(
  rgb: Uint8Array,
  width: number,
  height: number,
  f: number,
  out: Float32Array,
  ow: number,
  oh: number,
): void {
  const a = Math.floor(f / 4);
  const b = Math.min(f - 1, Math.floor((3 * f) / 4));
  const stride = width * 3;
  for (let y = 0; y < oh; y++) {
    const r0 = (y * f + a) * stride;
    const r1 = Math.min(y * f + b, height - 1) * stride;
    for (let x = 0; x < ow; x++) {
      const c0 = (x * f + a) * 3;
      const c1 = Math.min(x * f + b, width - 1) * 3;
      // BT.601 luma, summed over the four samples.
      const s =
        77 * (rgb[r0 + c0] + rgb[r0 + c1] + rgb[r1 + c0] + rgb[r1 + c1]) +
        150 * (rgb[r0 + c0 + 1] + rgb[r0 + c1 + 1] + rgb[r1 + c0 + 1] + rgb[r1 + c1 + 1]) +
        29 * (rgb[r0 + c0 + 2] + rgb[r0 + c1 + 2] + rgb[r1 + c0 + 2] + rgb[r1 + c1 + 2]);
      out[y * ow + x] = s / 1024;
    }
  }
}

/** 3x3 erosion (min) or dilation (max) of a binary (0/1) image, `times` times, in place; edges replicate. */
export function morph(img: Uint8Array, w: number, h: number, times: number, dilate: boolean, tmp: Uint8Array): void {
  for (let t = 0; t < times; t++) {
    // Separable: horizontal pass into tmp, vertical pass back; on 0/1 pixels min is & and max is |.
    for (let y = 0; y < h; y++) {
      const r = y * w;
      const end = r + w - 1;
      if (w === 1) {
        tmp[r] = img[r];
        continue;
      }
      if (dilate) {
        tmp[r] = img[r] | img[r + 1];
        for (let i = r + 1; i < end; i++) tmp[i] = img[i - 1] | img[i] | img[i + 1];
        tmp[end] = img[end - 1] | img[end];
      } else {
        tmp[r] = img[r] & img[r + 1];
        for (let i = r + 1; i < end; i++) tmp[i] = img[i - 1] & img[i] & img[i + 1];
        tmp[end] = img[end - 1] & img[end];
      }
    }
    const n = w * h;
    if (h === 1) {
      img.set(tmp.subarray(0, n));
      continue;
    }
    const last = n - w;
    if (dilate) {
      for (let i = 0; i < w; i++) img[i] = tmp[i] | tmp[i + w];
      for (let i = w; i < last; i++) img[i] = tmp[i - w] | tmp[i] | tmp[i + w];
      for (let i = last; i < n; i++) img[i] = tmp[i - w] | tmp[i];
    } else {
      for (let i = 0; i < w; i++) img[i] = tmp[i] & tmp[i + w];
      for (let i = w; i < last; i++) img[i] = tmp[i - w] & tmp[i] & tmp[i + w];
      for (let i = last; i < n; i++) img[i] = tmp[i - w] & tmp[i];
    }
  }
}

/** Reused label and stack buffers of `components` (one motion image size at a time per thread). */
let labelBuf = new Uint8Array(0);
let stackBuf = new Int32Array(0);

/**
 * Bounding boxes of the 8-connected components of a binary image, with the number of pixels set in
 * `count` (the change mask before morphology, so dilation does not inflate a blob's area).
 */
export function components(
  img: Uint8Array,
  w: number,
  h: number,
  count: Uint8Array = img,
): { x0: number; y0: number; x1: number; y1: number; n: number }[] {
  const size = w * h;
  if (labelBuf.length < size) {
    labelBuf = new Uint8Array(size);
    stackBuf = new Int32Array(size);
  }
  const label = labelBuf.subarray(0, size);
  label.fill(0);
  const stack = stackBuf;
  const out: { x0: number; y0: number; x1: number; y1: number; n: number }[] = [];
  for (let s = 0; s < size; s++) {
    if (!img[s] || label[s]) continue;
    let top = 0;
    stack[top++] = s;
    label[s] = 1;
    let x0 = w;
    let y0 = h;
    let x1 = 0;
    let y1 = 0;
    let n = 0;
    while (top > 0) {
      const i = stack[--top];
      const y = (i / w) | 0;
      const x = i - y * w;
      n += count[i];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      const xa = x > 0 ? -1 : 0;
      const xb = x < w - 1 ? 1 : 0;
      const ya = y > 0 ? -w : 0;
      const yb = y < h - 1 ? w : 0;
      for (let dy = ya; dy <= yb; dy += w) {
        for (let dx = xa; dx <= xb; dx++) {
          const j = i + dy + dx;
          if (img[j] && !label[j]) {
            label[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    out.push({ x0, y0, x1, y1, n });
  }
  return out;
}

export class MotionDetector {
  private f = 0;
  private w = 0;
  private h = 0;
  private grey!: Float32Array;
  private bg: Float32Array | undefined;
  private mask!: Uint8Array;
  private moving!: Uint8Array;
  private tmp!: Uint8Array;
  private raw!: Uint8Array;
  private srcW = 0;
  private srcH = 0;

  constructor(private readonly o: MotionOptions) {}

  private setup(width: number, height: number): void {
    this.srcW = width;
    this.srcH = height;
    this.f = Math.max(1, Math.round(width / this.o.width));
    this.w = Math.max(1, Math.floor(width / this.f));
    this.h = Math.max(1, Math.floor(height / this.f));
    const n = this.w * this.h;
    this.grey = new Float32Array(n);
    this.moving = new Uint8Array(n);
    this.tmp = new Uint8Array(n);
    this.raw = new Uint8Array(n);
    this.mask = rasterize(this.o.mask, this.w, this.h);
    this.bg = undefined;
  }

  /** Size of the motion image (for tests and metrics). */
  get size(): { width: number; height: number; factor: number } {
    return { width: this.w, height: this.h, factor: this.f };
  }

  update(rgb: Uint8Array, width: number, height: number): MotionResult {
    if (width !== this.srcW || height !== this.srcH) this.setup(width, height);
    const { w, h, f, grey, mask, moving } = this;
    downscaleGrey(rgb, width, height, f, grey, w, h);
    const n = w * h;
    if (!this.bg) {
      this.bg = Float32Array.from(grey);
      return { ratio: 0, regions: [] };
    }
    const bg = this.bg;
    const thr = this.o.threshold;
    const rate = this.o.backgroundRate;
    let changed = 0;
    let open = 0;
    for (let i = 0; i < n; i++) {
      const d = grey[i] - bg[i];
      const m = mask[i] === 0 && (d > thr || d < -thr) ? 1 : 0;
      moving[i] = m;
      changed += m;
      open += 1 - mask[i];
      // Moving pixels are absorbed more slowly so a walking person does not smear into the background.
      bg[i] += (m ? rate * 0.25 : rate) * d;
    }
    const ratio = open > 0 ? changed / open : 0;
    if (changed === 0) return { ratio, regions: [] };
    this.raw.set(moving);
    morph(moving, w, h, this.o.erode, false, this.tmp);
    morph(moving, w, h, this.o.dilate, true, this.tmp);
    const minPx = Math.max(1, this.o.minArea * n);
    const regions = components(moving, w, h, this.raw)
      .filter((c) => c.n >= minPx)
      .sort((a, b) => b.n - a.n)
      .map((c) => ({ x: c.x0 * f, y: c.y0 * f, w: (c.x1 - c.x0 + 1) * f, h: (c.y1 - c.y0 + 1) * f }));
    return { ratio, regions };
  }
}
