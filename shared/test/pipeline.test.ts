import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { readDlibBoxes } from "../../bench/lib/data.ts";
import { cosine } from "../src/face/embed.ts";
import { iou } from "../src/face/geometry.ts";
import { type AnalyzedFace, FacePipeline } from "../src/face/pipeline.ts";
import { THRESHOLDS } from "../src/face/thresholds.ts";
import { decodeImage } from "../src/image/decode.ts";
import { data, HAVE_DATA } from "./helpers.ts";

let pipeline: FacePipeline;
beforeAll(async () => {
  pipeline = await FacePipeline.create({ attributes: true });
});

async function faces(...p: string[]): Promise<AnalyzedFace[]> {
  return pipeline.process(await decodeImage(readFileSync(data(...p))), { minFaceSize: 20 });
}
const largest = (f: AnalyzedFace[]) =>
  f.reduce((a, b) =>
    (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) > (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]) ? b : a,
  );

describe.skipIf(!HAVE_DATA)("face pipeline on real faces", () => {
  it("finds one face in a portrait, with a normalized 512-d embedding and sane quality", async () => {
    const [f, ...rest] = await faces("faces", "bbt", "sheldon1.png");
    expect(rest).toHaveLength(0);
    expect(f.embedding).toHaveLength(512);
    expect(Math.hypot(...f.embedding!)).toBeCloseTo(1, 4);
    expect(f.quality.score).toBeGreaterThan(0.5);
    expect(f.quality.score).toBeLessThanOrEqual(1);
    // Eyes above the nose, nose above the mouth, left eye left of the right eye.
    const [le, re, nose, lm, rm] = f.landmarks5;
    expect(le[0]).toBeLessThan(re[0]);
    expect(Math.max(le[1], re[1])).toBeLessThan(nose[1]);
    expect(nose[1]).toBeLessThan(Math.min(lm[1], rm[1]));
  });

  it("scores the same person above the threshold and different people below it", async () => {
    const people = ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"];
    const emb = new Map<string, Float32Array>();
    for (const p of people) {
      for (const i of [1, 2]) emb.set(`${p}${i}`, largest(await faces("faces", "bbt", `${p}${i}.png`)).embedding!);
    }
    for (const p of people) {
      expect(cosine(emb.get(`${p}1`)!, emb.get(`${p}2`)!), `${p}1 vs ${p}2`).toBeGreaterThan(THRESHOLDS.verify);
      for (const q of people) {
        if (q <= p) continue;
        expect(cosine(emb.get(`${p}1`)!, emb.get(`${q}1`)!), `${p}1 vs ${q}1`).toBeLessThan(THRESHOLDS.verify);
      }
    }
  });

  it("verifies LFW pairs: same-person pairs match, different-person pairs do not", async () => {
    const lfw = (name: string, n: number) => ["faces", "lfw-dev", name, `${name}_${String(n).padStart(4, "0")}.jpg`];
    const e = async (name: string, n: number) => largest(await faces(...lfw(name, n))).embedding!;
    expect(cosine(await e("Abdullah_Gul", 1), await e("Abdullah_Gul", 3))).toBeGreaterThan(THRESHOLDS.verify);
    expect(cosine(await e("Abdullah_Gul", 1), await e("Aaron_Sorkin", 1))).toBeLessThan(THRESHOLDS.verify);
  });

  it("finds every annotated face of a dlib group photo", async () => {
    const gt = readDlibBoxes(data("groups", "dlib", "testing.xml")).find((x) => x.file === "2008_002506.jpg")!;
    const found = await faces("groups", "dlib", gt.file);
    expect(found).toHaveLength(gt.boxes.length);
    for (const b of gt.boxes) expect(Math.max(...found.map((f) => iou(f.box, b)))).toBeGreaterThan(0.4);
  });

  it("finds small faces in a 1920x1080 frame through the tiled pass", async () => {
    // A 250x250 LFW portrait scaled so its face is about 45 px, pasted into a blank 1080p frame.
    const sharp = (await import("sharp")).default;
    const portrait = await sharp(readFileSync(data("faces", "lfw-dev", "Abdullah_Gul", "Abdullah_Gul_0001.jpg")))
      .resize(90, 90)
      .toBuffer();
    const frame = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: "#6a6a6a" } })
      .composite([{ input: portrait, left: 1500, top: 800 }])
      .png()
      .toBuffer();
    const img = await decodeImage(frame);
    const dets = await pipeline.detect(img, { minFaceSize: 40 });
    expect(dets.length).toBe(1);
    expect(dets[0].box[0]).toBeGreaterThan(1500);
    expect(dets[0].box[3]).toBeLessThan(890);
    // The single coarse view alone cannot see it: the tiles are what finds it.
    const coarse = await pipeline.detect(img, { minFaceSize: 200 });
    expect(coarse.length).toBe(0);
  });

  it("detects in frames held in shared memory, also when the detector's input is the frame itself", async () => {
    const img = await decodeImage(readFileSync(data("faces", "bbt", "sheldon1.png")));
    const shared = new Uint8Array(new SharedArrayBuffer(img.data.length));
    shared.set(img.data);
    // minFaceSize 24 maps to scale 1: no resize, the frame's own pixels go to the model.
    for (const minFaceSize of [24, 40]) {
      const a = await pipeline.detect({ ...img, data: shared }, { minFaceSize });
      expect(a).toHaveLength(1);
      expect(a).toEqual(await pipeline.detect(img, { minFaceSize }));
    }
  });

  it("analyzes and embeds the faces of a frame in batches, as it would one by one", async () => {
    const img = await decodeImage(readFileSync(data("groups", "bbt1.jpg")));
    const dets = await pipeline.detect(img, { minFaceSize: 20 });
    expect(dets.length).toBeGreaterThan(3);
    const batched = await pipeline.analyze(img, dets);
    const single = [];
    for (const d of dets) single.push(await pipeline.analyzeOne(img, d));
    batched.forEach((f, k) => {
      for (let i = 0; i < 68; i++) {
        expect(f.landmarks68[i][0]).toBeCloseTo(single[k].landmarks68[i][0], 2);
        expect(f.landmarks68[i][1]).toBeCloseTo(single[k].landmarks68[i][1], 2);
      }
    });
    const many = await pipeline.embedMany(batched.map((f) => f.aligned));
    for (const [k, f] of batched.entries()) {
      const [one] = await pipeline.embedMany([f.aligned]);
      expect(cosine(one, many[k])).toBeGreaterThan(0.99999);
    }
    // analyzeFrame can embed every analyzed face in the same call.
    const frame = await pipeline.analyzeFrame(img, { minFaceSize: 20, embed: true });
    const faces = frame.flatMap((d) => (d.face ? [d.face] : []));
    expect(faces.length).toBe(dets.length);
    for (const [k, f] of faces.entries()) expect(cosine(f.embedding!, many[k])).toBeGreaterThan(0.99999);
  });

  it("estimates age and gender", async () => {
    const [f] = await pipeline.attributes(await decodeImage(readFileSync(data("faces", "bbt", "sheldon1.png"))), [
      largest(await faces("faces", "bbt", "sheldon1.png")),
    ]);
    expect(f.attributes!.gender).toBe("male");
    expect(f.attributes!.age).toBeGreaterThan(15);
    expect(f.attributes!.age).toBeLessThan(70);
  });
});
