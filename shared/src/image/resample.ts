/**
 * Typed-array resampling for the hot path: every crop, tile and aligned face goes through
 * `warpToTensor` / `warpToGrey`. Downscaling uses a 2x box-filter pyramid so bilinear sampling
 * never skips more than one pixel in two (no aliasing on large faces or 1080p frames).
 *
 * Detector views, landmark crops and context crops are axis-aligned (scale + offset): they take a
 * separable fast path with per-column and per-row tables instead of per-pixel floor and bounds
 * checks. Only the aligned face (a rotation) needs the generic affine path.
 */
import type { RgbImage } from "./types.ts";

/**
 * Affine map from output pixel centers to source continuous coordinates (pixel i spans [i, i+1)):
 * X = m[0]*u + m[1]*v + m[2], Y = m[3]*u + m[4]*v + m[5], with (u, v) = output pixel + 0.5.
 */
export type Affine = [number, number, number, number, number, number];

/** Affine for an axis-aligned crop of (x, y, w, h) source px resized to outW x outH. */
export function cropAffine(x: number, y: number, w: number, h: number, outW: number, outH: number): Affine {
  return [w / outW, 0, x, 0, h / outH, y];
}

/** A plain Uint8Array view of the pixels: Buffers and Uint8Arrays mixed at one call site slow V8's loads. */
function bytes(img: RgbImage): Uint8Array {
  const d = img.data;
  return d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.length);
}

/**
 * Columns [x0, x1) of row y of `dst` (w wide), each pixel the 2x2 box average of `src` (sw x sh).
 * The last odd row or column of `src` is dropped, except in a 1-pixel-wide or -high image, where
 * it is reused.
 */
function halveSpan(
  src: Uint8Array,
  sw: number,
  sh: number,
  dst: Uint8Array,
  w: number,
  y: number,
  x0: number,
  x1: number,
): void {
  const stride = sw * 3;
  // Offsets of the right-hand and lower pixels (the same pixel when the source is one pixel wide or high).
  const dx = sw > 1 ? 3 : 0;
  const dy = sh > 1 ? stride : 0;
  let a = 2 * y * stride + 6 * x0;
  let o = (y * w + x0) * 3;
  const end = (y * w + x1) * 3;
  while (o < end) {
    const b = a + dx;
    const c = a + dy;
    const d = c + dx;
    dst[o] = (src[a] + src[b] + src[c] + src[d] + 2) >> 2;
    dst[o + 1] = (src[a + 1] + src[b + 1] + src[c + 1] + src[d + 1] + 2) >> 2;
    dst[o + 2] = (src[a + 2] + src[b + 2] + src[c + 2] + src[d + 2] + 2) >> 2;
    o += 3;
    a += 6;
  }
}

/** Halves an RGB image with a 2x2 box filter (an odd last row/column is dropped). */
export function halve(img: RgbImage): RgbImage {
  const w = Math.max(1, img.width >> 1);
  const h = Math.max(1, img.height >> 1);
  const out = new Uint8Array(w * h * 3);
  const src = bytes(img);
  for (let y = 0; y < h; y++) halveSpan(src, img.width, img.height, out, w, y, 0, w);
  return { data: out, width: w, height: h };
}

interface Level {
  img: RgbImage;
  /** Per row, the columns [x0, x1) built so far (none: x0 >= x1); absent on the base image. */
  x0?: Int32Array;
  x1?: Int32Array;
}

/**
 * Lazily built 2x pyramid of one image; level k is 2^k times smaller. Shared by all crops of a frame.
 * A level is built only where crops read it (per row, the hull of the columns read): a motion
 * region or a face costs its own pixels, not a halving of the whole frame.
 */
export class Pyramid {
  private readonly levels: Level[];
  constructor(readonly base: RgbImage) {
    this.levels = [{ img: base }];
  }

  /** The whole of level k (or the smallest level, for tiny images). */
  level(k: number): RgbImage {
    const n = this.depth(k);
    const { width, height } = this.levels[n].img;
    this.ensure(n, 0, height - 1, 0, width);
    return this.levels[n].img;
  }

  /** Creates levels up to k (nothing built); returns the deepest level available, at most k. */
  private depth(k: number): number {
    while (this.levels.length <= k) {
      const last = this.levels[this.levels.length - 1].img;
      if (last.width < 2 || last.height < 2) break;
      const w = last.width >> 1;
      const h = last.height >> 1;
      this.levels.push({
        img: { data: new Uint8Array(w * h * 3), width: w, height: h },
        x0: new Int32Array(h).fill(w),
        x1: new Int32Array(h),
      });
    }
    return Math.min(k, this.levels.length - 1);
  }

  /** Builds rows [ya, yb] x columns [xa, xb) (clamped) of level k, after what they need of level k - 1. */
  private ensure(k: number, ya: number, yb: number, xa: number, xb: number): void {
    const { img, x0, x1 } = this.levels[k];
    if (!x0 || !x1) return;
    const { width: w, height: h } = img;
    const y0 = Math.max(0, ya);
    const y1 = Math.min(h - 1, yb);
    const c0 = Math.max(0, xa);
    const c1 = Math.min(w, xb);
    if (y0 > y1 || c0 >= c1) return;
    // Rows and columns not built yet: each row grows to the hull of what it has and what is asked.
    let lo = w;
    let hi = 0;
    let top = h;
    let bottom = -1;
    for (let y = y0; y <= y1; y++) {
      const has = x0[y] < x1[y];
      if (has && x0[y] <= c0 && x1[y] >= c1) continue;
      lo = Math.min(lo, has ? Math.min(x0[y], c0) : c0);
      hi = Math.max(hi, has ? Math.max(x1[y], c1) : c1);
      top = Math.min(top, y);
      bottom = y;
    }
    if (bottom < 0) return;
    this.ensure(k - 1, 2 * top, 2 * bottom + 1, 2 * lo, 2 * hi);
    const fine = this.levels[k - 1].img;
    const src = bytes(fine);
    const dst = img.data as Uint8Array;
    const span = (y: number, a: number, b: number) => halveSpan(src, fine.width, fine.height, dst, w, y, a, b);
    for (let y = top; y <= bottom; y++) {
      const has = x0[y] < x1[y];
      if (has && x0[y] <= c0 && x1[y] >= c1) continue;
      if (!has) {
        span(y, c0, c1);
        x0[y] = c0;
        x1[y] = c1;
        continue;
      }
      // Grow to the hull (a request beside the built part also fills the gap between them).
      if (c0 < x0[y]) span(y, c0, x0[y]);
      if (c1 > x1[y]) span(y, x1[y], c1);
      x0[y] = Math.min(x0[y], c0);
      x1[y] = Math.max(x1[y], c1);
    }
  }

  /**
   * The level to sample from for an affine whose step is `step` source px per output px, and the
   * affine rewritten for that level: the remaining step is in [1, 2). The part of the level an
   * outW x outH warp reads is built.
   */
  pick(m: Affine, outW: number, outH: number): { img: RgbImage; m: Affine } {
    const step = Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
    const k = this.depth(step >= 2 ? Math.floor(Math.log2(step)) : 0);
    if (k === 0) return { img: this.base, m };
    const f = 1 / (1 << k);
    const mk: Affine = [m[0] * f, m[1] * f, m[2] * f, m[3] * f, m[4] * f, m[5] * f];
    // The output's corners bound what it reads (X and Y are affine in u and v).
    let left = Infinity;
    let right = -Infinity;
    let top = Infinity;
    let bottom = -Infinity;
    for (const [u, v] of [
      [0, 0],
      [outW, 0],
      [0, outH],
      [outW, outH],
    ]) {
      const x = mk[0] * u + mk[1] * v + mk[2];
      const y = mk[3] * u + mk[4] * v + mk[5];
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
    this.ensure(k, Math.floor(top) - 1, Math.ceil(bottom) + 1, Math.floor(left) - 1, Math.ceil(right) + 2);
    return { img: this.levels[k].img, m: mk };
  }
}

export interface TensorNorm {
  /** Value subtracted from each 0-255 channel value. */
  mean: [number, number, number];
  /** Value the result is multiplied by. */
  scale: [number, number, number];
  /** Raw 0-255 value used outside the image. */
  border: number;
}

/** (v - 127) / 128 as used by fr_detect and fr_feature. */
export const NORM_127_128: TensorNorm = { mean: [127, 127, 127], scale: [1 / 128, 1 / 128, 1 / 128], border: 127 };
/** ImageNet mean/std on 0-1 values, as used by fr_pose, fr_age and fr_gender. */
export const NORM_IMAGENET: TensorNorm = {
  mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
  scale: [1 / (0.229 * 255), 1 / (0.224 * 255), 1 / (0.225 * 255)],
  border: 0,
};

/**
 * Bilinear warp of an RGB source into a planar (CHW) float tensor of outW x outH at `offset` in
 * `out`, normalized with `norm`. Pixels mapping outside the source get `norm.border`.
 */
export function warpToTensor(
  src: RgbImage | Pyramid,
  m: Affine,
  outW: number,
  outH: number,
  out: Float32Array,
  offset: number,
  norm: TensorNorm,
): void {
  const { img, m: mm } = src instanceof Pyramid ? src.pick(m, outW, outH) : { img: src, m };
  if (mm[1] === 0 && mm[3] === 0) cropToTensor(img, mm, outW, outH, out, offset, norm);
  else affineToTensor(img, mm, outW, outH, out, offset, norm);
}

/** The normalized tensor value of each channel for pixels outside the source. */
function borderValues(norm: TensorNorm): [number, number, number] {
  return [0, 1, 2].map((c) => (norm.border - norm.mean[c]) * norm.scale[c]) as [number, number, number];
}

/** Per output column (or row) of an axis-aligned warp: the two source pixels, the weight of the second, inside or not. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float64Array;
  inside: Uint8Array;
}

/**
 * Sample positions p = scale * (i + 0.5) + shift - 0.5 over a source axis of `size` px, `unit`
 * array elements apart. `stepped`: p advances by `scale` per output pixel, as affineToTensor does
 * along a row, so that both paths give bit-identical results.
 */
function taps(n: number, scale: number, shift: number, size: number, unit: number, stepped: boolean): Taps {
  const t: Taps = { i0: new Int32Array(n), i1: new Int32Array(n), f: new Float64Array(n), inside: new Uint8Array(n) };
  let p = scale * 0.5 + shift - 0.5;
  for (let i = 0; i < n; i++, p += scale) {
    if (!stepped) p = scale * (i + 0.5) + shift - 0.5;
    if (p < -0.5 || p > size - 0.5) continue;
    const p0 = Math.floor(p);
    t.f[i] = p - p0;
    // Clamp to the edge inside the half-pixel border.
    t.i0[i] = Math.max(p0, 0) * unit;
    t.i1[i] = Math.min(p0 + 1, size - 1) * unit;
    t.inside[i] = 1;
  }
  return t;
}

/** The axis-aligned case (m[1] = m[3] = 0): same samples and weights as affineToTensor, from tables. */
function cropToTensor(
  img: RgbImage,
  m: Affine,
  outW: number,
  outH: number,
  out: Float32Array,
  offset: number,
  norm: TensorNorm,
): void {
  const data = bytes(img);
  const { width, height } = img;
  const plane = outW * outH;
  const [mr, mg, mb] = norm.mean;
  const [sr, sg, sb] = norm.scale;
  const [br, bg, bb] = borderValues(norm);
  const cols = taps(outW, m[0], m[2], width, 3, true);
  const rows = taps(outH, m[4], m[5], height, width * 3, false);
  const { i0: c0, i1: c1, f: fxs, inside: cin } = cols;
  for (let v = 0; v < outH; v++) {
    let o = offset + v * outW;
    if (!rows.inside[v]) {
      out.fill(br, o, o + outW);
      out.fill(bg, o + plane, o + plane + outW);
      out.fill(bb, o + 2 * plane, o + 2 * plane + outW);
      continue;
    }
    const r0 = rows.i0[v];
    const r1 = rows.i1[v];
    const fy = rows.f[v];
    const gy = 1 - fy;
    for (let u = 0; u < outW; u++, o++) {
      if (!cin[u]) {
        out[o] = br;
        out[o + plane] = bg;
        out[o + 2 * plane] = bb;
        continue;
      }
      const fx = fxs[u];
      const i00 = r0 + c0[u];
      const i01 = r0 + c1[u];
      const i10 = r1 + c0[u];
      const i11 = r1 + c1[u];
      const w00 = (1 - fx) * gy;
      const w01 = fx * gy;
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      out[o] = (data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11 - mr) * sr;
      out[o + plane] =
        (data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11 - mg) * sg;
      out[o + 2 * plane] =
        (data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11 - mb) * sb;
    }
  }
}

/**
 * The generic bilinear affine warp (any rotation), on one image without pyramid. Exported as the
 * reference the axis-aligned fast path is tested against.
 */
export function affineToTensor(
  img: RgbImage,
  m: Affine,
  outW: number,
  outH: number,
  out: Float32Array,
  offset: number,
  norm: TensorNorm,
): void {
  const data = bytes(img);
  const { width, height } = img;
  const plane = outW * outH;
  const [m0, m1, m2, m3, m4, m5] = m;
  const [mr, mg, mb] = norm.mean;
  const [sr, sg, sb] = norm.scale;
  const [br, bg, bb] = borderValues(norm);
  const stride = width * 3;
  let o = offset;
  for (let v = 0; v < outH; v++) {
    const vc = v + 0.5;
    // Sample position in pixel-index space (center of pixel i is i + 0.5 in continuous coords).
    let sx = m0 * 0.5 + m1 * vc + m2 - 0.5;
    let sy = m3 * 0.5 + m4 * vc + m5 - 0.5;
    // sx, sy advance by one output pixel along the row.
    for (let u = 0; u < outW; u++, o++, sx += m0, sy += m3) {
      if (sx < -0.5 || sy < -0.5 || sx > width - 0.5 || sy > height - 0.5) {
        out[o] = br;
        out[o + plane] = bg;
        out[o + 2 * plane] = bb;
        continue;
      }
      let x0 = Math.floor(sx);
      let y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let x1 = x0 + 1;
      let y1 = y0 + 1;
      // Clamp to the edge inside the half-pixel border.
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 >= width) x1 = width - 1;
      if (y1 >= height) y1 = height - 1;
      const i00 = y0 * stride + x0 * 3;
      const i01 = y0 * stride + x1 * 3;
      const i10 = y1 * stride + x0 * 3;
      const i11 = y1 * stride + x1 * 3;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      out[o] = (data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11 - mr) * sr;
      out[o + plane] =
        (data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11 - mg) * sg;
      out[o + 2 * plane] =
        (data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11 - mb) * sb;
    }
  }
}

let scratchBuf = new Float32Array(0);
/**
 * A reused float buffer for the intermediate tensor of warpToRgb/warpToGrey (a context crop's is
 * about 1 MB, garbage at every kept shot otherwise); outputs larger than 1024x1024 get their own.
 */
function scratch(n: number): Float32Array {
  if (n > 3 * 1024 * 1024) return new Float32Array(n);
  if (scratchBuf.length < n) scratchBuf = new Float32Array(n);
  return scratchBuf.subarray(0, n);
}

/** Pixels (x, y, w, h) of an image, copied row by row: the scale-1 crop, exactly what warpToRgb would sample. */
export function copyRgb(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = bytes(img);
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * img.width + x) * 3;
    out.set(data.subarray(from, from + w * 3), r * w * 3);
  }
  return { data: out, width: w, height: h };
}

/**
 * Bilinear warp to 8-bit RGB (aligned faces, context crops, second-look canvases). The same bytes as
 * warping to a float tensor and rounding each value (`warpToRgbReference`), without the tensor.
 */
export function warpToRgb(src: RgbImage | Pyramid, m: Affine, outW: number, outH: number): RgbImage {
  const { img, m: mm } = src instanceof Pyramid ? src.pick(m, outW, outH) : { img: src, m };
  const out = new Uint8Array(outW * outH * 3);
  if (mm[1] === 0 && mm[3] === 0) cropToRgb(img, mm, outW, outH, out);
  else affineToRgb(img, mm, outW, outH, out);
  return { data: out, width: outW, height: outH };
}

/** warpToRgb through a float tensor: the reference its fused paths are tested against. */
export function warpToRgbReference(src: RgbImage | Pyramid, m: Affine, outW: number, outH: number): RgbImage {
  const t = scratch(outW * outH * 3);
  warpToTensor(src, m, outW, outH, t, 0, { mean: [0, 0, 0], scale: [1, 1, 1], border: 0 });
  const plane = outW * outH;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i * 3] = t[i] + 0.5;
    out[i * 3 + 1] = t[i + plane] + 0.5;
    out[i * 3 + 2] = t[i + 2 * plane] + 0.5;
  }
  return { data: out, width: outW, height: outH };
}

/** cropToTensor's samples and weights, each value rounded to float32 (as the tensor held it) then to a byte. */
function cropToRgb(img: RgbImage, m: Affine, outW: number, outH: number, out: Uint8Array): void {
  const data = bytes(img);
  const { width, height } = img;
  const cols = taps(outW, m[0], m[2], width, 3, true);
  const rows = taps(outH, m[4], m[5], height, width * 3, false);
  const { i0: c0, i1: c1, f: fxs, inside: cin } = cols;
  const fr = Math.fround;
  for (let v = 0; v < outH; v++) {
    let o = v * outW * 3;
    // Outside the source: 0 (the array is zero already).
    if (!rows.inside[v]) continue;
    const r0 = rows.i0[v];
    const r1 = rows.i1[v];
    const fy = rows.f[v];
    const gy = 1 - fy;
    for (let u = 0; u < outW; u++, o += 3) {
      if (!cin[u]) continue;
      const fx = fxs[u];
      const i00 = r0 + c0[u];
      const i01 = r0 + c1[u];
      const i10 = r1 + c0[u];
      const i11 = r1 + c1[u];
      const w00 = (1 - fx) * gy;
      const w01 = fx * gy;
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      out[o] = fr(data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11) + 0.5;
      out[o + 1] = fr(data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11) + 0.5;
      out[o + 2] = fr(data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11) + 0.5;
    }
  }
}

/** affineToTensor's samples and weights, each value rounded to float32 then to a byte. */
function affineToRgb(img: RgbImage, m: Affine, outW: number, outH: number, out: Uint8Array): void {
  const data = bytes(img);
  const { width, height } = img;
  const [m0, m1, m2, m3, m4, m5] = m;
  const stride = width * 3;
  const fr = Math.fround;
  let o = 0;
  for (let v = 0; v < outH; v++) {
    const vc = v + 0.5;
    let sx = m0 * 0.5 + m1 * vc + m2 - 0.5;
    let sy = m3 * 0.5 + m4 * vc + m5 - 0.5;
    for (let u = 0; u < outW; u++, o += 3, sx += m0, sy += m3) {
      if (sx < -0.5 || sy < -0.5 || sx > width - 0.5 || sy > height - 0.5) continue;
      let x0 = Math.floor(sx);
      let y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let x1 = x0 + 1;
      let y1 = y0 + 1;
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 >= width) x1 = width - 1;
      if (y1 >= height) y1 = height - 1;
      const i00 = y0 * stride + x0 * 3;
      const i01 = y0 * stride + x1 * 3;
      const i10 = y1 * stride + x0 * 3;
      const i11 = y1 * stride + x1 * 3;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      out[o] = fr(data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11) + 0.5;
      out[o + 1] = fr(data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11) + 0.5;
      out[o + 2] = fr(data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11) + 0.5;
    }
  }
}

/** Bilinear warp to grey values (BT.601 luma, 0-255) as floats. */
export function warpToGrey(src: RgbImage | Pyramid, m: Affine, outW: number, outH: number): Float32Array {
  const t = scratch(outW * outH * 3);
  warpToTensor(src, m, outW, outH, t, 0, { mean: [0, 0, 0], scale: [1, 1, 1], border: 0 });
  const plane = outW * outH;
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) out[i] = 0.299 * t[i] + 0.587 * t[i + plane] + 0.114 * t[i + 2 * plane];
  return out;
}
