/**
 * Typed-array resampling for the hot path: every crop, tile and aligned face goes through
 * `warpToTensor` / `warpToGrey`. Downscaling uses a 2x box-filter pyramid so bilinear sampling
 * never skips more than one pixel in two (no aliasing on large faces or 1080p frames).
 */
import type { RgbImage } from "./types.ts";

/**
 * Affine map from output pixel centres to source continuous coordinates (pixel i spans [i, i+1)):
 * X = m[0]*u + m[1]*v + m[2], Y = m[3]*u + m[4]*v + m[5], with (u, v) = output pixel + 0.5.
 */
export type Affine = [number, number, number, number, number, number];

/** Affine for an axis-aligned crop of (x, y, w, h) source px resized to outW x outH. */
export function cropAffine(x: number, y: number, w: number, h: number, outW: number, outH: number): Affine {
  return [w / outW, 0, x, 0, h / outH, y];
}

/** Halves an RGB image with a 2x2 box filter (odd last row/column is folded in by clamping). */
export function halve(img: RgbImage): RgbImage {
  const w = Math.max(1, img.width >> 1);
  const h = Math.max(1, img.height >> 1);
  const src = img.data;
  const sw = img.width;
  const out = new Uint8Array(w * h * 3);
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  for (let y = 0; y < h; y++) {
    const r0 = Math.min(2 * y, maxY) * sw * 3;
    const r1 = Math.min(2 * y + 1, maxY) * sw * 3;
    let o = y * w * 3;
    for (let x = 0; x < w; x++) {
      const c0 = Math.min(2 * x, maxX) * 3;
      const c1 = Math.min(2 * x + 1, maxX) * 3;
      for (let c = 0; c < 3; c++) {
        out[o++] = (src[r0 + c0 + c] + src[r0 + c1 + c] + src[r1 + c0 + c] + src[r1 + c1 + c] + 2) >> 2;
      }
    }
  }
  return { data: out, width: w, height: h };
}

/** Lazily built 2x pyramid of one image; level k is 2^k times smaller. Shared by all crops of a frame. */
export class Pyramid {
  private readonly levels: RgbImage[];
  constructor(readonly base: RgbImage) {
    this.levels = [base];
  }
  level(k: number): RgbImage {
    while (this.levels.length <= k) {
      const last = this.levels[this.levels.length - 1];
      if (last.width < 2 || last.height < 2) return last;
      this.levels.push(halve(last));
    }
    return this.levels[k];
  }
  /**
   * The level to sample from for an affine whose step is `step` source px per output px, and the
   * affine rewritten for that level: the remaining step is in [1, 2).
   */
  pick(m: Affine): { img: RgbImage; m: Affine } {
    const step = Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
    let k = step >= 2 ? Math.floor(Math.log2(step)) : 0;
    const img = this.level(k);
    // level() stops at tiny images; use the level actually available.
    while (k > 0 && this.levels[k] !== img) k--;
    if (k === 0) return { img: this.base, m };
    const f = 1 / (1 << k);
    return { img, m: [m[0] * f, m[1] * f, m[2] * f, m[3] * f, m[4] * f, m[5] * f] };
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
 * `out`, normalised with `norm`. Pixels mapping outside the source get `norm.border`.
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
  const { img, m: mm } = src instanceof Pyramid ? src.pick(m) : { img: src, m };
  const { data, width, height } = img;
  const plane = outW * outH;
  const [m0, m1, m2, m3, m4, m5] = mm;
  const [mr, mg, mb] = norm.mean;
  const [sr, sg, sb] = norm.scale;
  const br = (norm.border - mr) * sr;
  const bg = (norm.border - mg) * sg;
  const bb = (norm.border - mb) * sb;
  const stride = width * 3;
  let o = offset;
  for (let v = 0; v < outH; v++) {
    const vc = v + 0.5;
    // Sample position in pixel-index space (centre of pixel i is i + 0.5 in continuous coords).
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

/** Bilinear warp to 8-bit RGB (for JPEG crops and debugging). */
export function warpToRgb(src: RgbImage | Pyramid, m: Affine, outW: number, outH: number): RgbImage {
  const t = new Float32Array(outW * outH * 3);
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

/** Bilinear warp to grey values (BT.601 luma, 0-255) as floats. */
export function warpToGrey(src: RgbImage | Pyramid, m: Affine, outW: number, outH: number): Float32Array {
  const t = new Float32Array(outW * outH * 3);
  warpToTensor(src, m, outW, outH, t, 0, { mean: [0, 0, 0], scale: [1, 1, 1], border: 0 });
  const plane = outW * outH;
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) out[i] = 0.299 * t[i] + 0.587 * t[i + plane] + 0.114 * t[i + 2 * plane];
  return out;
}
