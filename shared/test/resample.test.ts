import { describe, expect, it } from "vitest";
import { cropRegion } from "../src/face/pipeline.ts";
import {
  type Affine,
  affineToTensor,
  copyRgb,
  cropAffine,
  halve,
  NORM_127_128,
  NORM_IMAGENET,
  Pyramid,
  type TensorNorm,
  warpToGrey,
  warpToRgb,
  warpToRgbReference,
  warpToTensor,
} from "../src/image/resample.ts";
import type { RgbImage } from "../src/image/types.ts";

function randomImage(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) & 0x7fffffff) >> 23;
  return { data, width, height };
}

/** The 2x2 box average with edge clamping, written plainly. */
function naiveHalve(img: RgbImage): RgbImage {
  const w = Math.max(1, img.width >> 1);
  const h = Math.max(1, img.height >> 1);
  const out = new Uint8Array(w * h * 3);
  const px = (x: number, y: number, c: number) =>
    img.data[(Math.min(y, img.height - 1) * img.width + Math.min(x, img.width - 1)) * 3 + c];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        out[(y * w + x) * 3 + c] =
          (px(2 * x, 2 * y, c) + px(2 * x + 1, 2 * y, c) + px(2 * x, 2 * y + 1, c) + px(2 * x + 1, 2 * y + 1, c) + 2) >>
          2;
  return { data: out, width: w, height: h };
}

function warp(src: RgbImage | Pyramid, m: Affine, w: number, h: number, norm: TensorNorm = NORM_127_128): Float32Array {
  const out = new Float32Array(3 * w * h);
  warpToTensor(src, m, w, h, out, 0, norm);
  return out;
}

/** The affine for level k of a pyramid. */
const scaled = (m: Affine, k: number) => m.map((v) => v / 2 ** k) as Affine;

function generic(img: RgbImage, m: Affine, w: number, h: number, norm: TensorNorm = NORM_127_128): Float32Array {
  const out = new Float32Array(3 * w * h);
  affineToTensor(img, m, w, h, out, 0, norm);
  return out;
}

describe("resampling", () => {
  const img = randomImage(97, 61);

  it("the axis-aligned fast path gives exactly the generic affine path's values", () => {
    const crops: [number, number, number, number, number, number][] = [
      [0, 0, 97, 61, 40, 30], // whole image, downscaled
      [10.3, 5.7, 30, 20, 64, 64], // inside, upscaled
      [-20, -10, 140, 90, 64, 48], // larger than the image: borders on all sides
      [80.5, 50.25, 40, 40, 17, 13], // off the bottom-right corner
      [-5, 3, 12.5, 7.25, 9, 5], // off the left edge, odd sizes
      [96.6, 60.6, 1, 1, 3, 3], // the last pixel
    ];
    for (const [x, y, w, h, ow, oh] of crops) {
      const m = cropAffine(x, y, w, h, ow, oh);
      for (const norm of [NORM_127_128, NORM_IMAGENET]) {
        expect(warp(img, m, ow, oh, norm), `crop ${[x, y, w, h, ow, oh]}`).toEqual(generic(img, m, ow, oh, norm));
      }
      // Mirrored horizontally (landmarks' flipped pass): x runs from the crop's right edge leftwards.
      const mirrored: Affine = [-m[0], 0, x + w, 0, m[4], m[5]];
      expect(warp(img, mirrored, ow, oh), `mirrored ${[x, y, w, h, ow, oh]}`).toEqual(generic(img, mirrored, ow, oh));
    }
  });

  it("reads Buffers like Uint8Arrays", () => {
    const buf = Buffer.from(img.data);
    const m = cropAffine(3, 4, 50, 40, 32, 24);
    expect(warp({ ...img, data: buf }, m, 32, 24)).toEqual(warp(img, m, 32, 24));
  });

  it("writes at an offset and leaves the rest of the tensor alone", () => {
    const out = new Float32Array(3 * 8 * 8 + 10).fill(42);
    warpToTensor(img, cropAffine(0, 0, 16, 16, 8, 8), 8, 8, out, 10, NORM_127_128);
    expect([...out.subarray(0, 10)]).toEqual(new Array(10).fill(42));
    expect(out.subarray(10)).toEqual(generic(img, cropAffine(0, 0, 16, 16, 8, 8), 8, 8));
  });

  it("halves with a 2x2 box filter, including odd and one-pixel sizes", () => {
    for (const [w, h] of [
      [97, 61],
      [2, 2],
      [1, 5],
      [5, 1],
      [3, 3],
    ]) {
      const im = randomImage(w, h, w * 31 + h);
      expect(halve(im)).toEqual(naiveHalve(im));
    }
  });

  it("builds pyramid levels row by row to the same pixels as whole halvings", () => {
    const big = randomImage(203, 157, 5);
    const l1 = naiveHalve(big);
    const l2 = naiveHalve(l1);
    const l3 = naiveHalve(l2);
    const p = new Pyramid(big);
    // A small crop at step 4 builds only some rows of level 2 (and of level 1)...
    const m = cropAffine(40, 60, 40, 32, 10, 8);
    const partial = warp(p, m, 10, 8);
    // ...and samples them exactly as a warp of the fully built level 2 does.
    expect(partial).toEqual(generic(l2, scaled(m, 2), 10, 8));
    // Asking for whole levels afterwards completes them.
    expect(p.level(3)).toEqual(l3);
    expect(p.level(2)).toEqual(l2);
    expect(p.level(1)).toEqual(l1);
  });

  it("builds only what crops read, and any sequence of crops sees the same pixels as whole halvings", () => {
    const big = randomImage(331, 207, 11);
    const levels = [big];
    for (let k = 1; k <= 4; k++) levels.push(naiveHalve(levels[k - 1]));
    const p = new Pyramid(big);
    let s = 5;
    const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    // A crop, then one right of it and one left of it on the same rows, then one in a gap between them.
    const at = (x: number) => cropAffine(x, 50, 40, 40, 10, 10);
    for (const x of [150, 250, 20, 200])
      expect(warp(p, at(x), 10, 10)).toEqual(generic(levels[2], scaled(at(x), 2), 10, 10));
    // ...and random crops: overlapping, off the edges, mirrored or not, at steps 2-12.
    for (let i = 0; i < 40; i++) {
      const w = 10 + rnd() * 150;
      const h = 10 + rnd() * 120;
      const x = -20 + rnd() * 331;
      const y = -20 + rnd() * 207;
      const ow = Math.max(1, Math.round(w / (2 + rnd() * 10)));
      const oh = Math.max(1, Math.round((ow * h) / w));
      const c = cropAffine(x, y, w, h, ow, oh);
      // Every other crop mirrored horizontally.
      const m: Affine = i % 2 ? [-c[0], 0, x + w, 0, c[4], c[5]] : c;
      const k = Math.max(0, Math.min(4, Math.floor(Math.log2(Math.sqrt((w / ow) * (h / oh))))));
      expect(warp(p, m, ow, oh), `crop ${i}`).toEqual(generic(levels[k], scaled(m, k), ow, oh));
    }
    for (let k = 1; k <= 4; k++) expect(p.level(k)).toEqual(levels[k]);
  });

  it("stops at the smallest level of tiny images", () => {
    const tiny = randomImage(5, 3, 9);
    const p = new Pyramid(tiny);
    expect(p.level(4)).toEqual(naiveHalve(tiny));
    const m = cropAffine(0, 0, 5, 3, 1, 1);
    expect(warp(p, m, 1, 1)).toEqual(generic(naiveHalve(tiny), [2.5, 0, 0, 0, 1.5, 0], 1, 1));
  });

  it("uses the pyramid level for a rotated warp (aligned faces)", () => {
    const big = randomImage(180, 140, 3);
    const a = 2.5 * Math.cos(0.3);
    const b = 2.5 * Math.sin(0.3);
    const m: Affine = [a, -b, 60, b, a, 10];
    const l1 = naiveHalve(big);
    expect(warp(new Pyramid(big), m, 30, 30)).toEqual(generic(l1, scaled(m, 1), 30, 30));
  });

  it("a scale-1 crop copies exactly the pixels the bilinear warp samples; cropRegion resizes only larger crops", () => {
    const big = randomImage(200, 120, 5);
    expect(copyRgb(big, 13, 7, 50, 40)).toEqual(warpToRgb(big, cropAffine(13, 7, 50, 40, 50, 40), 50, 40));
    const small = cropRegion(big, [60, 40, 80, 60], 3, 480);
    expect([small.width, small.height]).toEqual([60, 60]);
    expect(small).toEqual(warpToRgb(big, cropAffine(40, 20, 60, 60, 60, 60), 60, 60));
    const resized = cropRegion(big, [60, 40, 100, 80], 3, 64);
    expect([resized.width, resized.height]).toEqual([64, 64]);
    expect(resized).toEqual(warpToRgb(new Pyramid(big), cropAffine(20, 0, 120, 120, 64, 64), 64, 64));
  });
});

describe("mirrored crops (the landmark model's mirrored pass)", () => {
  it("the warp of a mirrored square crop is the unmirrored warp flipped left to right", () => {
    const img = new Pyramid(randomImage(400, 300, 11));
    const S = 64;
    // Inside the image, across its edges, and large enough to read coarser pyramid levels.
    for (const [x0, y0, side] of [
      [100.3, 80.7, 90],
      [-20, -15, 70],
      [350, 260, 80],
      [10, 5, 280],
      [200.5, 100.25, 33],
    ]) {
      const plain = warpToGrey(img, cropAffine(x0, y0, side, side, S, S), S, S).slice();
      const mirrored = warpToGrey(img, [-side / S, 0, x0 + side, 0, side / S, y0], S, S);
      let worst = 0;
      for (let v = 0; v < S; v++)
        for (let u = 0; u < S; u++) worst = Math.max(worst, Math.abs(mirrored[v * S + u] - plain[v * S + S - 1 - u]));
      expect(worst, `crop at ${x0},${y0} side ${side}`).toBeLessThan(1e-6);
    }
  });
});

describe("warpToRgb without the float tensor", () => {
  it("gives the bytes of the tensor path, rounded, for crops and rotations, inside and across the edges", () => {
    const img = randomImage(300, 200, 5);
    const pyr = new Pyramid(img);
    const affines: Affine[] = [
      cropAffine(10.3, 20.7, 90, 90, 112, 112),
      cropAffine(-30, -10, 200, 150, 100, 75),
      cropAffine(0, 0, 300, 200, 60, 40),
      [0.7, -0.2, 120, 0.2, 0.7, 40],
      [1.9, 0.6, -20, -0.6, 1.9, 150],
      [-0.9, 0, 200, 0, 0.9, 10],
    ];
    for (const m of affines)
      for (const src of [img, pyr]) {
        const a = warpToRgb(src, m, 57, 43);
        const b = warpToRgbReference(src, m, 57, 43);
        expect(Buffer.from(a.data).equals(Buffer.from(b.data)), JSON.stringify(m)).toBe(true);
      }
  });
});
