/** The motion image operations against plain reference implementations on random masks. */
import { describe, expect, it } from "vitest";
import { components, morph } from "../src/motion/motion.ts";

function randomMask(w: number, h: number, density: number, seed: number): Uint8Array {
  let s = seed;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = s / 0x7fffffff < density ? 1 : 0;
  }
  return out;
}

/** 3x3 min/max with replicated edges, one pixel at a time. */
function naiveMorph(img: Uint8Array, w: number, h: number, times: number, dilate: boolean): Uint8Array {
  let cur = Uint8Array.from(img);
  for (let t = 0; t < times; t++) {
    const next = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let v = dilate ? 0 : 1;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const p = cur[Math.min(h - 1, Math.max(0, y + dy)) * w + Math.min(w - 1, Math.max(0, x + dx))];
            v = dilate ? Math.max(v, p) : Math.min(v, p);
          }
        next[y * w + x] = v;
      }
    cur = next;
  }
  return cur;
}

/** 8-connected components by repeated label propagation (slow and obviously right). */
function naiveComponents(img: Uint8Array, w: number, h: number) {
  const label = new Int32Array(w * h).map((_, i) => (img[i] ? i + 1 : 0));
  let changed = true;
  while (changed) {
    changed = false;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!label[i]) continue;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            const j = yy * w + xx;
            if (label[j] && label[j] < label[i]) {
              label[i] = label[j];
              changed = true;
            }
          }
      }
  }
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number; n: number }>();
  for (let i = 0; i < w * h; i++) {
    if (!label[i]) continue;
    const x = i % w;
    const y = Math.floor(i / w);
    const b = boxes.get(label[i]) ?? { x0: x, y0: y, x1: x, y1: y, n: 0 };
    boxes.set(label[i], {
      x0: Math.min(b.x0, x),
      y0: Math.min(b.y0, y),
      x1: Math.max(b.x1, x),
      y1: Math.max(b.y1, y),
      n: b.n + 1,
    });
  }
  return [...boxes.values()];
}

const sizes: [number, number][] = [
  [1, 1],
  [1, 7],
  [9, 1],
  [2, 2],
  [17, 11],
  [64, 36],
  // Widths that are multiples of 4 take the four-pixels-a-word path.
  [4, 1],
  [4, 3],
  [8, 5],
  [320, 6],
];

describe("motion image operations", () => {
  it("erosion and dilation equal the plain 3x3 min and max, edges replicated", () => {
    for (const [w, h] of sizes)
      for (const times of [1, 3])
        for (const dilate of [false, true]) {
          const img = randomMask(w, h, dilate ? 0.1 : 0.8, w * 31 + h + times);
          const ours = Uint8Array.from(img);
          morph(ours, w, h, times, dilate, new Uint8Array(w * h));
          expect(ours, `${w}x${h} ${dilate ? "dilate" : "erode"} x${times}`).toEqual(
            naiveMorph(img, w, h, times, dilate),
          );
        }
  });

  it("connected components (8-connected) with their boxes and pixel counts", () => {
    const order = (a: { x0: number; y0: number }, b: { x0: number; y0: number }) => a.y0 - b.y0 || a.x0 - b.x0;
    for (const [w, h] of sizes)
      for (const density of [0.2, 0.45]) {
        const img = randomMask(w, h, density, w + h * 7);
        const ours = components(img, w, h).sort(order);
        expect(ours, `${w}x${h} at ${density}`).toEqual(naiveComponents(img, w, h).sort(order));
      }
    // Two calls in a row reuse the buffers without leaking labels from the first.
    const img = randomMask(64, 36, 0.3, 5);
    expect(components(img, 64, 36)).toEqual(components(img, 64, 36));
  });
});
