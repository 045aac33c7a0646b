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
  if (w % 4 === 0 && img.byteOffset % 4 === 0 && tmp.byteOffset % 4 === 0 && tmp.length >= w * h) {
    morphWords(img, w, h, times, dilate, tmp);
    return;
  }
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

/**
 * `morph` four pixels at a time (rows a multiple of 4 wide): each 32-bit word holds four 0/1 bytes,
 * so a shift by 8 bits moves every pixel one column (little-endian: the next byte is the next
 * pixel), and the bytes that cross a word boundary come from the neighbouring words. Edges
 * replicate as in the scalar version. The same pixels as the scalar version, about 4x faster.
 */
function morphWords(img: Uint8Array, w: number, h: number, times: number, dilate: boolean, tmp: Uint8Array): void {
  const n = (w * h) >> 2;
  const a = new Uint32Array(img.buffer, img.byteOffset, n);
  const b = new Uint32Array(tmp.buffer, tmp.byteOffset, n);
  const ww = w >> 2;
  for (let t = 0; t < times; t++) {
    // Horizontal: a -> b.
    for (let y = 0; y < h; y++) {
      const r = y * ww;
      const end = r + ww - 1;
      for (let k = r; k <= end; k++) {
        const x = a[k];
        // The left neighbour of byte 0 (the previous word's byte 3, or itself at the row's start),
        // the right neighbour of byte 3 (the next word's byte 0, or itself at the row's end).
        const left = k > r ? a[k - 1] >>> 24 : x & 0xff;
        const right = k < end ? (a[k + 1] & 0xff) << 24 : (x >>> 24) << 24;
        const l = ((x << 8) | left) >>> 0;
        const rr = ((x >>> 8) | right) >>> 0;
        b[k] = dilate ? (x | l | rr) >>> 0 : (x & l & rr) >>> 0;
      }
    }
    // Vertical: b -> a (a row above or below the image is the edge row itself).
    for (let y = 0; y < h; y++) {
      const r = y * ww;
      const up = y > 0 ? r - ww : r;
      const down = y < h - 1 ? r + ww : r;
      if (dilate) for (let k = 0; k < ww; k++) a[r + k] = (b[up + k] | b[r + k] | b[down + k]) >>> 0;
      else for (let k = 0; k < ww; k++) a[r + k] = (b[up + k] & b[r + k] & b[down + k]) >>> 0;
    }
  }
}

/** Reused run buffers of `components` (grown as needed, per thread). */
let runStart = new Int32Array(0);
let runEnd = new Int32Array(0);
let runRow = new Int32Array(0);
let runParent = new Int32Array(0);
let runComp = new Int32Array(0);

function find(parent: Int32Array, i: number): number {
  let r = i;
  while (parent[r] !== r) r = parent[r];
  while (parent[i] !== r) {
    const n = parent[i];
    parent[i] = r;
    i = n;
  }
  return r;
}

/**
 * Bounding boxes of the 8-connected components of a binary image, with the number of pixels set in
 * `count` (the change mask before morphology, so dilation does not inflate a blob's area), in the
 * raster order of their first pixel. Runs of set pixels per row, joined (union-find) with the runs
 * of the row above that touch them, diagonals included: work in proportion to the runs, not to
 * the pixels times their neighbours.
 */
export function components(
  img: Uint8Array,
  w: number,
  h: number,
  count: Uint8Array = img,
): { x0: number; y0: number; x1: number; y1: number; n: number }[] {
  // At most one run per two pixels of a row, plus one.
  const maxRuns = h * ((w >> 1) + 1);
  if (runStart.length < maxRuns) {
    runStart = new Int32Array(maxRuns);
    runEnd = new Int32Array(maxRuns);
    runRow = new Int32Array(maxRuns);
    runParent = new Int32Array(maxRuns);
    runComp = new Int32Array(maxRuns);
  }
  const rs = runStart;
  const re = runEnd;
  const ry = runRow;
  const parent = runParent;
  let runs = 0;
  let prevFirst = 0;
  let prevEnd = 0;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const first = runs;
    let p = prevFirst;
    let x = 0;
    while (x < w) {
      if (!img[o + x]) {
        x++;
        continue;
      }
      const s = x;
      while (x < w && img[o + x]) x++;
      const k = runs++;
      rs[k] = s;
      re[k] = x;
      ry[k] = y;
      parent[k] = k;
      // Runs of the row above touching [s - 1, x]: their end > s - 1 and their start < x + 1.
      while (p < prevEnd && re[p] < s) p++;
      for (let q = p; q < prevEnd && rs[q] <= x; q++) {
        const a = find(parent, q);
        const b = find(parent, k);
        // The smaller index (earlier in raster order) is the root.
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
    prevFirst = first;
    prevEnd = runs;
  }
  const comp = runComp;
  const out: { x0: number; y0: number; x1: number; y1: number; n: number }[] = [];
  for (let k = 0; k < runs; k++) {
    const root = find(parent, k);
    let c: { x0: number; y0: number; x1: number; y1: number; n: number };
    if (root === k) {
      comp[k] = out.length;
      c = { x0: rs[k], y0: ry[k], x1: re[k] - 1, y1: ry[k], n: 0 };
      out.push(c);
    } else {
      c = out[comp[root]];
      if (rs[k] < c.x0) c.x0 = rs[k];
      if (re[k] - 1 > c.x1) c.x1 = re[k] - 1;
      if (ry[k] > c.y1) c.y1 = ry[k];
    }
    const o = ry[k] * w;
    let n = 0;
    for (let i = o + rs[k]; i < o + re[k]; i++) n += count[i];
    c.n += n;
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
