/**
 * Camera snapshots (downscaling, the period, the JPEG) and the context crop's region sent with face
 * events (the agent's own crop function cuts exactly that region).
 */
import { checkJpeg, cropRegion, decodeImage, type RgbImage } from "@argus/shared";
import { SnapshotSchema } from "@argus/shared/config/schema";
import { describe, expect, it } from "vitest";
import { contextRegion } from "../src/publish/event.ts";
import { downscaleRgb, SnapshotPublisher } from "../src/publish/snapshot.ts";

/** A deterministic pseudo-random generator (tests must not flake). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / (width - 1);
      data[i + 1] = (y * 255) / (height - 1);
      data[i + 2] = (x + y) % 256;
    }
  return { data, width, height };
}

describe("camera snapshots", () => {
  it("averages a frame down to the snapshot width, keeping its shape; never upscales", () => {
    // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block
    const f = {
      width: 4,
      height: 2,
      data: new Uint8Array([0, 0, 0, 10, 10, 10, 100, 0, 0, 200, 0, 0, 20, 20, 20, 30, 30, 30, 0, 100, 0, 0, 200, 0]),
    };
    const s = downscaleRgb(f, 2);
    expect([s.width, s.height]).toEqual([2, 1]);
    expect([...s.data]).toEqual([15, 15, 15, 75, 75, 0]);
    const hd = downscaleRgb(gradient(1920, 1080), 320);
    expect([hd.width, hd.height]).toEqual([320, 180]);
    // the left edge is dark red, the right edge bright red: the gradient survives
    expect(hd.data[0]).toBeLessThan(10);
    expect(hd.data[(320 - 1) * 3]).toBeGreaterThan(245);
    const small = downscaleRgb(gradient(200, 100), 320);
    expect([small.width, small.height]).toEqual([200, 100]);
  });

  it("sends the first frame at once, then one per period; 0 turns it off; one encode at a time", async () => {
    let now = 1_000_000;
    const sent: Array<{ camera: string; jpeg: Buffer }> = [];
    const p = new SnapshotPublisher({ publish: (camera, jpeg) => sent.push({ camera, jpeg }), now: () => now });
    const settings = SnapshotSchema.parse({ everySeconds: 30 });
    expect(settings).toEqual({ everySeconds: 30, width: 320, jpegQuality: 70 });
    const frame = gradient(1280, 720);
    const first = p.offer("door", settings, frame);
    expect(first).toBeDefined();
    expect(p.offer("door", settings, frame)).toBeUndefined(); // encoding
    await first;
    expect(sent).toHaveLength(1);
    const jpeg = checkJpeg(sent[0].jpeg, { maxSide: 4096 });
    expect(jpeg).toMatchObject({ ok: true, width: 320, height: 180 });
    expect(sent[0].jpeg.length).toBeLessThan(40_000);
    now += 29_000;
    expect(p.offer("door", settings, frame)).toBeUndefined();
    now += 1_000;
    await p.offer("door", settings, frame);
    expect(sent).toHaveLength(2);
    // another camera has its own period; a camera that restarts sends at once
    await p.offer("hall", settings, frame);
    p.forget("door");
    await p.offer("door", settings, frame);
    expect(sent.map((s) => s.camera)).toEqual(["door", "door", "hall", "door"]);
    expect(p.offer("off", SnapshotSchema.parse({ everySeconds: 0 }), frame)).toBeUndefined();
    // what was sent decodes to the picture (the gradient's corners)
    const img = await decodeImage(sent[0].jpeg);
    expect(img.data[0]).toBeLessThan(20);
    expect(img.data[(img.width - 1) * 3]).toBeGreaterThan(235);
  });
});

describe("the context crop's region (contextBox)", () => {
  it("is exactly the region cropRegion cuts: same size when unscaled, same pixels, same shape when scaled", () => {
    const next = rng(7);
    const frames = [
      { width: 1920, height: 1080 },
      { width: 700, height: 700 },
      { width: 640, height: 360 },
    ];
    const images = frames.map((f) => gradient(f.width, f.height));
    let unscaled = 0;
    let scaled = 0;
    let clipped = 0;
    for (let i = 0; i < 300; i++) {
      const fr = frames[i % frames.length];
      const size = 12 + next() * 200;
      const x = -size / 3 + next() * (fr.width - size / 3);
      const y = -size / 3 + next() * (fr.height - size / 3);
      const box = [x, y, x + size * (0.7 + next() * 0.3), y + size];
      const factor = 1 + next() * 4;
      const maxSide = next() < 0.5 ? 480 : 64 + Math.floor(next() * 900);
      const r = contextRegion(box, fr, factor);
      const w = r[2] - r[0];
      const h = r[3] - r[1];
      expect(r[0]).toBeGreaterThanOrEqual(0);
      expect(r[1]).toBeGreaterThanOrEqual(0);
      expect(r[2]).toBeLessThanOrEqual(fr.width);
      expect(r[3]).toBeLessThanOrEqual(fr.height);
      if (r[0] === 0 || r[1] === 0 || r[2] === fr.width || r[3] === fr.height) clipped++;
      const img = images[i % frames.length];
      const crop = cropRegion(img, box as [number, number, number, number], factor, maxSide);
      const s = Math.min(1, maxSide / Math.max(w, h));
      expect(crop.width).toBe(Math.max(1, Math.round(w * s)));
      expect(crop.height).toBe(Math.max(1, Math.round(h * s)));
      if (s === 1) {
        unscaled++;
        // same pixels: the crop's corner is the region's corner in the frame
        const at = (im: RgbImage, px: number, py: number) => im.data[(py * im.width + px) * 3 + 2];
        expect(at(crop, 0, 0)).toBe(at(img, r[0], r[1]));
        expect(at(crop, crop.width - 1, crop.height - 1)).toBe(at(img, r[2] - 1, r[3] - 1));
      } else scaled++;
    }
    expect(unscaled).toBeGreaterThan(20);
    expect(scaled).toBeGreaterThan(20);
    expect(clipped).toBeGreaterThan(20);
  });
});
