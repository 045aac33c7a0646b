import { describe, expect, it } from "vitest";
import { ANCHOR_CACHE_SIZE, anchorsFor, makeAnchors } from "../src/face/anchors.ts";
import {
  type LevelPlan,
  MAX_DETECTABLE_PX,
  MAX_INPUT_PIXELS,
  MIN_DETECTABLE_PX,
  pixelRegion,
  planLevels,
  planTiles,
} from "../src/face/detectPlan.ts";
import type { Rect } from "../src/image/types.ts";

/** Does some level see a face of `size` source px at (x, y) at a findable size, whole inside one of its tiles? */
function covered(region: Rect, levels: LevelPlan[], size: number, x: number, y: number): boolean {
  return levels.some((l) => {
    const sx = l.width / region.w;
    const sy = l.height / region.h;
    const px = size * Math.min(sx, sy);
    if (px < MIN_DETECTABLE_PX - 1e-9 || px > MAX_DETECTABLE_PX + 1e-9) return false;
    const [u0, v0] = [(x - region.x) * sx, (y - region.y) * sy];
    const [u1, v1] = [u0 + size * sx, v0 + size * sy];
    return l.tiles.some(
      (t) => u0 >= t.x - 1e-6 && v0 >= t.y - 1e-6 && u1 <= t.x + t.w + 1e-6 && v1 <= t.y + t.h + 1e-6,
    );
  });
}

function expectCovers(region: Rect, levels: LevelPlan[], sizes: number[], step: number) {
  for (const size of sizes) {
    for (let x = region.x; x + size <= region.x + region.w; x += step) {
      for (let y = region.y; y + size <= region.y + region.h; y += step) {
        if (!covered(region, levels, size, x, y))
          throw new Error(`face of ${size} px at (${x}, ${y}) is in no suitable tile`);
      }
    }
  }
}

describe("detector level planning", () => {
  it("searches a 1080p frame for 40 px faces in one fine pass plus one small coarse pass", () => {
    const region = { x: 0, y: 0, w: 1920, h: 1080 };
    const levels = planLevels(region, 40, 3);
    expect(levels.map((l) => l.tiles.length)).toEqual([1, 1]);
    expect(levels[0]).toMatchObject({ width: 1152, height: 648 });
    expect(40 * levels[0].scale).toBeCloseTo(MIN_DETECTABLE_PX);
    // The coarse level costs a few percent of the fine one.
    expect(levels[1].width * levels[1].height).toBeLessThan(0.06 * 1152 * 648);
    expectCovers(region, levels, [40, 60, 100, 200, 400, 1000], 53);
  });

  it("uses a single pass when the region holds no face too large for the fine scale", () => {
    const levels = planLevels({ x: 0, y: 0, w: 250, h: 250 }, 40, 3);
    expect(levels).toHaveLength(1);
    expect(levels[0].tiles).toEqual([{ x: 0, y: 0, w: 150, h: 150 }]);
  });

  it("upscales small regions at most maxUpscale", () => {
    const [l] = planLevels({ x: 10, y: 10, w: 60, h: 50 }, 4, 3);
    expect(l.scale).toBe(3);
    expect(l).toMatchObject({ width: 180, height: 150 });
  });

  it("tiles a level only beyond the input limit, with tiles that keep every face whole", () => {
    // 4K searched for 20 px faces: the fine level is 4608x2592, far above the limit.
    const region = { x: 0, y: 0, w: 3840, h: 2160 };
    const levels = planLevels(region, 20, 3);
    const fine = levels[0];
    expect(fine.tiles.length).toBeGreaterThan(1);
    for (const t of fine.tiles) expect(t.w * t.h).toBeLessThanOrEqual(MAX_INPUT_PIXELS);
    // Tiling overhead stays small: the tiles cover at most 30% more than the level.
    const area = fine.tiles.reduce((a, t) => a + t.w * t.h, 0);
    expect(area / (fine.width * fine.height)).toBeLessThan(1.3);
    for (const l of levels.slice(1)) expect(l.tiles).toHaveLength(1);
    expectCovers(region, levels, [20, 50, 120, 500, 2000], 97);
  });

  it("plans tiles inside the level, covering it, each within the limits", () => {
    const tiles = planTiles(3000, 1000, 100, { maxPixels: 1_000_000, maxSide: 2048 });
    for (const t of tiles) {
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.x + t.w).toBeLessThanOrEqual(3000);
      expect(t.y + t.h).toBeLessThanOrEqual(1000);
      expect(t.w * t.h).toBeLessThanOrEqual(1_000_000);
    }
    expect(Math.max(...tiles.map((t) => t.x + t.w))).toBe(3000);
    expect(Math.max(...tiles.map((t) => t.y + t.h))).toBe(1000);
  });

  it("rounds regions outward to whole pixels inside the image", () => {
    expect(pixelRegion({ x: -5.5, y: 10.2, w: 100, h: 50.5 }, 80, 200)).toEqual({ x: 0, y: 10, w: 80, h: 51 });
    expect(pixelRegion({ x: 100, y: 0, w: 10, h: 10 }, 80, 200)).toBeUndefined();
  });
});

describe("anchors per input size", () => {
  it("keeps the sizes in use while one-off sizes come and go (least recently used out first)", () => {
    const hot = anchorsFor(1152, 648);
    for (let i = 0; i < 3 * ANCHOR_CACHE_SIZE; i++) {
      anchorsFor(100 + i, 80);
      // The whole frame's size is used on every search frame: never rebuilt.
      expect(anchorsFor(1152, 648)).toBe(hot);
    }
    // An old one-off size was dropped and is built again, equal but new.
    const again = anchorsFor(100, 80);
    expect(again).toEqual(makeAnchors(100, 80));
    expect(anchorsFor(100, 80)).toBe(again);
  });
});
