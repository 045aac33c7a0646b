/**
 * The console's face box on a context image (web/src/geometry.ts) against the agent's own context
 * crop (shared cropRegion): for faces anywhere in frames of several sizes, near the edges (clipped
 * crops) and big (scaled crops), with the agent's default factor and others.
 */
import { describe, expect, it } from "vitest";
import { cropRegion, rgbImage } from "../../shared/src/index.ts";
import { type Box, contextBox } from "../../web/src/geometry.ts";

/** What the agent would send: its crop's size and where the face lies on it. */
function agentCrop(frame: { width: number; height: number }, box: Box, factor: number, maxSide: number) {
  const img = rgbImage(new Uint8Array(frame.width * frame.height * 3), frame.width, frame.height);
  const out = cropRegion(img, [...box] as [number, number, number, number], factor, maxSide);
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * factor;
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(frame.width, Math.round(cx + side / 2));
  const y1 = Math.min(frame.height, Math.round(cy + side / 2));
  const sx = out.width / (x1 - x0);
  const sy = out.height / (y1 - y0);
  return {
    size: { width: out.width, height: out.height },
    face: [(box[0] - x0) * sx, (box[1] - y0) * sy, (box[2] - x0) * sx, (box[3] - y0) * sy] as Box,
  };
}

const close = (a: Box, b: Box, tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe("face box on the context image", () => {
  const frames = [
    { width: 1280, height: 720 },
    { width: 640, height: 480 },
    { width: 150, height: 150 },
  ];
  // deterministic "random" faces: a small LCG
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  it("matches the agent's crop exactly with its defaults (factor 3, at most 480 px), clipped or scaled", () => {
    for (const frame of frames)
      for (let i = 0; i < 12; i++) {
        const size = 20 + rnd() * Math.min(frame.width, frame.height) * 0.5;
        const x = rnd() * (frame.width - size);
        const y = rnd() * (frame.height - size * 1.2);
        const box: Box = [x, y, x + size, y + size * 1.2];
        const agent = agentCrop(frame, box, 3, 480);
        const got = contextBox(box, frame, agent.size);
        expect(close(got.box, agent.face, 1.5), `${JSON.stringify({ frame, box, agent, got })}`).toBe(true);
      }
  });

  it("matches other factors and limits when the crop is not scaled or is clipped, and says when it guessed", () => {
    for (const [factor, maxSide] of [
      [2, 4096],
      [4.5, 4096],
      [2, 300],
    ])
      for (const frame of frames.slice(0, 2))
        for (let i = 0; i < 10; i++) {
          const size = 24 + rnd() * 120;
          const x = rnd() * (frame.width - size);
          const y = rnd() * (frame.height - size);
          const box: Box = [x, y, x + size, y + size];
          const agent = agentCrop(frame, box, factor, maxSide);
          const got = contextBox(box, frame, agent.size);
          // a guess is announced as such; everything else is right
          if (!got.approximate) expect(close(got.box, agent.face, 1.5), JSON.stringify({ box, agent, got })).toBe(true);
          else expect(maxSide, JSON.stringify({ frame, box, factor, agent, got })).toBe(300);
        }
  });

  it("maps a context image of the whole frame (scaled down) onto the frame", () => {
    const frame = { width: 1920, height: 1080 };
    const box: Box = [900, 400, 1000, 520];
    const got = contextBox(box, frame, { width: 480, height: 270 });
    expect(close(got.box, [225, 100, 250, 130], 0.5)).toBe(true);
  });
});
