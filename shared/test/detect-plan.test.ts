import { describe, expect, it } from "vitest";
import { DET_H, DET_W, MIN_DETECTABLE_PX, planViews } from "../src/face/detect.ts";

describe("detector view planning", () => {
  it("uses one letterboxed view when the smallest face is already large enough", () => {
    const views = planViews({ x: 0, y: 0, w: 250, h: 250 }, 40, 3);
    expect(views).toHaveLength(1);
    expect(views[0].scale).toBeCloseTo(0.96);
  });

  it("tiles a 1080p frame so a 40 px face maps to at least the detectable size and every face fits a tile", () => {
    const region = { x: 0, y: 0, w: 1920, h: 1080 };
    const views = planViews(region, 40, 3);
    const finest = Math.max(...views.map((v) => v.scale));
    expect(40 * finest).toBeGreaterThanOrEqual(MIN_DETECTABLE_PX - 1e-9);
    // Every 40..200 px face anywhere in the frame lies whole inside some view whose scale sees it.
    for (const size of [40, 60, 100, 200]) {
      for (let x = 0; x + size <= 1920; x += 37) {
        for (let y = 0; y + size <= 1080; y += 41) {
          const ok = views.some((v) => {
            const px = size * v.scale;
            if (px < MIN_DETECTABLE_PX - 1e-9 || px > 220) return false;
            const w = DET_W / v.scale;
            const h = DET_H / v.scale;
            return x >= v.x - 1e-6 && y >= v.y - 1e-6 && x + size <= v.x + w + 1e-6 && y + size <= v.y + h + 1e-6;
          });
          if (!ok) throw new Error(`face of ${size} px at (${x}, ${y}) is in no suitable view`);
        }
      }
    }
    // And it stays cheap: a handful of model runs, not dozens.
    expect(views.length).toBeLessThanOrEqual(24);
  });

  it("plans views inside a caller's region only", () => {
    const views = planViews({ x: 800, y: 300, w: 400, h: 300 }, 40, 3);
    for (const v of views) {
      expect(v.x + DET_W / v.scale / 2).toBeGreaterThan(800);
      expect(v.x + DET_W / v.scale / 2).toBeLessThan(1200);
    }
  });
});
