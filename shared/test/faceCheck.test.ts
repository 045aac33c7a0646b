/**
 * The face check (faceCheck.ts): the rules on given figures, and on real images: faces of the bbt
 * photos pass (the station video's jacket fails: agent/test/faceCheck.test.ts, which has ffmpeg).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { checkFace, type FaceGeometry, secondLookScore } from "../src/face/faceCheck.ts";
import { contextCanvas, FacePipeline } from "../src/face/pipeline.ts";
import { decodeImage } from "../src/image/decode.ts";
import { data, HAVE_DATA } from "./helpers.ts";

const face: FaceGeometry = {
  eyeBox: 0.45,
  eyeNose: 0.55,
  noseMouth: 0.55,
  spread: 1.05,
  disagree: 0.03,
  yaw: 5,
  pitch: -8,
  roll: 2,
};

describe("checkFace", () => {
  it("passes a face-like geometry with confident second looks, and names each failed check", () => {
    expect(checkFace(face, { padded: 0.99, context: 0.98 })).toMatchObject({ passed: true, failed: [] });
    // Without a second look (not computed yet), geometry and pose alone.
    expect(checkFace(face, undefined).passed).toBe(true);
    const bad = checkFace(
      { ...face, eyeNose: -0.2, eyeBox: 0.1, spread: 2, disagree: 0.4, yaw: 70, pitch: -60 },
      { padded: 0.1, context: 0.9 },
    );
    expect(bad.passed).toBe(false);
    expect(bad.failed).toEqual(["order", "eyes", "spread", "landmarks", "second-look", "yaw", "pitch"]);
    expect(bad.scores).toMatchObject({ eyeNose: -0.2, disagree: 0.4, secondLook: 0.1, contextLook: 0.9 });
    // The context look alone can fail it too.
    expect(checkFace(face, { padded: 0.9, context: 0.2 }).failed).toEqual(["second-look"]);
  });

  it("second look: only a face centered on the aligned crop, at the template's scale, counts", () => {
    // Canvas 160: the aligned crop at 24..136, its face box center about (80, 84).
    expect(secondLookScore([{ box: [35, 30, 125, 140], score: 0.97 }])).toBe(0.97);
    expect(secondLookScore([{ box: [0, 0, 40, 40], score: 0.99 }])).toBe(0);
    expect(secondLookScore([{ box: [70, 75, 90, 95], score: 0.99 }])).toBe(0);
    expect(secondLookScore([])).toBe(0);
  });
});

describe.skipIf(!HAVE_DATA)("face check on real images", () => {
  let pipeline: FacePipeline;
  beforeAll(async () => {
    pipeline = await FacePipeline.create();
  });

  it("bbt faces pass", async () => {
    for (const name of ["amy1.png", "leonard2.png", "raj3.png", "sheldon4.png"]) {
      const img = await decodeImage(readFileSync(data("faces", "bbt", name)));
      const [f] = await pipeline.process(img, { embed: false });
      await pipeline.embed([f], { check: true, contexts: [contextCanvas(img, f.landmarks5)] });
      const c = checkFace(f.geometry!, f.secondLook);
      expect(c, name).toMatchObject({ passed: true, failed: [] });
      expect(f.embedding).toHaveLength(512);
    }
  });
});
