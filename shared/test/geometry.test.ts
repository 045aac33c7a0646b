import { describe, expect, it } from "vitest";
import { ALIGN_SIZE, ARCFACE_TEMPLATE, alignmentAffine, alignmentTransform } from "../src/face/align.ts";
import {
  applySimilarity,
  type Box,
  clipBox,
  estimateSimilarity,
  invertSimilarity,
  iou,
  nms,
  type Point,
  scaleBox,
  similarityScale,
  squareBox,
  unscaleBox,
} from "../src/face/geometry.ts";

const close = (a: number, b: number, eps = 1e-6) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe("similarity transform", () => {
  it("recovers a known rotation, scale and translation exactly", () => {
    const angle = 0.3;
    const s = 1.7;
    const truth: [number, number, number, number] = [s * Math.cos(angle), s * Math.sin(angle), 12.5, -4];
    const src: Point[] = [
      [10, 20],
      [40, 22],
      [25, 35],
      [14, 50],
      [38, 51],
    ];
    const dst = src.map((p) => applySimilarity(truth, p));
    const t = estimateSimilarity(src, dst);
    for (const [i, v] of t.entries()) close(v, truth[i]);
    close(similarityScale(t), s);
  });

  it("is the least-squares fit for noisy points (residual no worse than the truth's)", () => {
    const truth: [number, number, number, number] = [0.9, -0.2, 5, 7];
    const src: Point[] = [
      [0, 0],
      [10, 0],
      [5, 5],
      [0, 10],
      [10, 10],
    ];
    const noise = [0.3, -0.2, 0.1, 0.25, -0.3, 0.15, -0.1, 0.2, 0.05, -0.25];
    const dst = src.map((p, i): Point => {
      const q = applySimilarity(truth, p);
      return [q[0] + noise[2 * i], q[1] + noise[2 * i + 1]];
    });
    const sse = (t: [number, number, number, number]) =>
      src.reduce((a, p, i) => {
        const q = applySimilarity(t, p);
        return a + (q[0] - dst[i][0]) ** 2 + (q[1] - dst[i][1]) ** 2;
      }, 0);
    const fit = estimateSimilarity(src, dst);
    expect(sse(fit)).toBeLessThanOrEqual(sse(truth));
    // Any small perturbation of the fit makes it worse.
    for (let k = 0; k < 4; k++) {
      const p = [...fit] as [number, number, number, number];
      p[k] += 1e-3;
      expect(sse(p)).toBeGreaterThan(sse(fit));
    }
  });

  it("inverts", () => {
    const t: [number, number, number, number] = [0.5, 0.8, -3, 9];
    const inv = invertSimilarity(t);
    const p: Point = [17, -4];
    const back = applySimilarity(inv, applySimilarity(t, p));
    close(back[0], p[0]);
    close(back[1], p[1]);
  });

  it("rejects degenerate input", () => {
    expect(() =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [5, 5],
        ],
      ),
    ).toThrow(/degenerate/);
    expect(() => estimateSimilarity([[1, 1]], [[0, 0]])).toThrow();
  });

  it("maps the template points onto themselves through the output-to-source affine", () => {
    // Points already at the template (in continuous coordinates) give an identity alignment.
    const pts = ARCFACE_TEMPLATE.map(([x, y]): Point => [x + 0.5, y + 0.5]);
    const m = alignmentAffine(alignmentTransform(pts));
    close(m[0], 1);
    close(m[1], 0);
    close(m[2], 0);
    close(m[4], 1);
    close(m[5], 0);
    expect(ALIGN_SIZE).toBe(112);
  });
});

describe("boxes", () => {
  it("computes IoU", () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [10, 10, 20, 20])).toBe(0);
    close(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  });

  it("NMS keeps the best of overlapping boxes and all separate ones", () => {
    const boxes: Box[] = [
      [0, 0, 10, 10],
      [1, 1, 11, 11],
      [50, 50, 60, 60],
      [2, 0, 12, 10],
    ];
    const keep = nms(boxes, [0.8, 0.9, 0.7, 0.6], 0.4);
    expect(keep).toEqual([1, 2]);
  });

  it("NMS with a containment threshold drops a small box inside a big one", () => {
    const boxes: Box[] = [
      [0, 0, 100, 100],
      [10, 10, 40, 40],
    ];
    expect(nms(boxes, [0.9, 0.95], 0.4)).toEqual([1, 0]);
    expect(nms(boxes, [0.9, 0.95], 0.4, 0.75)).toEqual([1]);
  });

  it("scales, squares, clips and unscales boxes", () => {
    expect(scaleBox([10, 10, 20, 30], 2)).toEqual([5, 0, 25, 40]);
    expect(squareBox([10, 10, 20, 30])).toEqual([5, 10, 25, 30]);
    expect(clipBox([-5, 3, 120, 90], 100, 80)).toEqual([0, 3, 100, 80]);
    // A box found in a half-size tile at offset (100, 50).
    expect(unscaleBox([10, 20, 30, 40], 0.5, 100, 50)).toEqual([120, 90, 160, 130]);
  });
});

describe("pose from landmarks", () => {
  it("is about zero for a symmetric frontal face and signed by the turn", async () => {
    const { poseFromLandmarks } = await import("../src/face/quality.ts");
    // A synthetic symmetric 68-point face: jaw from x=0 to x=100, eyes at y=40, nose tip (30) at y=60, mouth at y=80.
    const lm: Point[] = Array.from({ length: 68 }, () => [50, 50] as Point);
    for (let i = 0; i <= 16; i++) lm[i] = [i * 6.25, 40 + Math.sin((i / 16) * Math.PI) * 50];
    for (let i = 36; i <= 41; i++) lm[i] = [30 + (i - 36), 40];
    for (let i = 42; i <= 47; i++) lm[i] = [65 + (i - 42), 40];
    lm[48] = [35, 80];
    lm[54] = [65, 80];
    lm[30] = [50, 58.3];
    const frontal = poseFromLandmarks(lm);
    expect(Math.abs(frontal.yaw)).toBeLessThan(2);
    expect(Math.abs(frontal.roll)).toBeLessThan(1e-9);
    // Nose moved towards the right jaw: the yaw changes sign with the direction and grows with it.
    const turned = poseFromLandmarks(lm.map((p, i) => (i === 30 ? ([70, 58.3] as Point) : p)));
    const other = poseFromLandmarks(lm.map((p, i) => (i === 30 ? ([30, 58.3] as Point) : p)));
    expect(Math.sign(turned.yaw)).toBe(-Math.sign(other.yaw));
    expect(Math.abs(turned.yaw)).toBeGreaterThan(10);
    // Rotating the whole face by 20 degrees shows up as roll, not yaw.
    const a = (20 * Math.PI) / 180;
    const rolled = poseFromLandmarks(
      lm.map(([x, y]): Point => [x * Math.cos(a) - y * Math.sin(a), x * Math.sin(a) + y * Math.cos(a)]),
    );
    expect(rolled.roll).toBeCloseTo(20, 6);
    expect(rolled.yaw).toBeCloseTo(frontal.yaw, 6);
  });
});
