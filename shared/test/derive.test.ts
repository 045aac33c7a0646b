/**
 * The models derived at set-up (scripts/derive-models.mjs) against the fetched originals: same
 * bytes on every derivation, and the same outputs as the originals where both can run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { deriveBatch, deriveDetector, deriveEmbedder, sha256 } from "../../scripts/derive-models.mjs";
import { anchorCount, decodeBox, faceScore, makeAnchors } from "../src/face/anchors.ts";
import { alignedToTensor } from "../src/face/pipeline.ts";
import { decodeImage } from "../src/image/decode.ts";
import { cropAffine, NORM_127_128, warpToRgb, warpToTensor } from "../src/image/resample.ts";
import { getSession, loadManifest, modelsDir, ort, verifyModelFile } from "../src/models/registry.ts";
import { data, HAVE_DATA } from "./helpers.ts";

const { onnx } = onnxProto;
const model = (file: string) => readFileSync(join(modelsDir(), file));

describe("derived models", () => {
  it("derives the same bytes every time, matching the manifest", () => {
    const m = loadManifest().models;
    const a = deriveDetector(model(m.detect.file));
    expect(sha256(deriveDetector(model(m.detect.file)))).toBe(sha256(a));
    expect(sha256(a)).toBe(m.detectDynamic.sha256);
    expect(sha256(deriveEmbedder(model(m.feature.file)))).toBe(m.featureBatch.sha256);
    expect(sha256(deriveBatch(model(m.landmark.file), "fr_landmark"))).toBe(m.landmarkBatch.sha256);
    for (const name of ["detectDynamic", "featureBatch", "landmarkBatch"] as const)
      expect(verifyModelFile(name)).toBeTruthy();
  });

  it("generates the anchors fr_detect bakes in for 320x240, and the counts for other sizes", () => {
    // The original's tail multiplies by the anchor sizes and adds the anchor centers, as [1, 4420, 2] constants.
    const g = onnx.ModelProto.decode(model(loadManifest().models.detect.file)).graph;
    const constant = (consumer: string) => {
      const node = g.node.find(
        (n) =>
          n.opType === consumer &&
          g.node.some(
            (c) => c.opType === "Constant" && c.output[0] === n.input[1] && c.attribute[0].t?.dims.length === 3,
          ),
      )!;
      const t = g.node.find((c) => c.output[0] === node.input[1])!.attribute[0].t!;
      const raw = Buffer.from(t.rawData!);
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    };
    const sizes = constant("Mul");
    const centers = constant("Add");
    const a = makeAnchors(320, 240, "generator");
    expect(a.count).toBe(4420);
    for (let i = 0; i < a.count; i++) {
      expect(a.priors[4 * i]).toBeCloseTo(centers[2 * i], 6);
      expect(a.priors[4 * i + 1]).toBeCloseTo(centers[2 * i + 1], 6);
      expect(a.priors[4 * i + 2]).toBeCloseTo(sizes[2 * i], 6);
      expect(a.priors[4 * i + 3]).toBeCloseTo(sizes[2 * i + 1], 6);
    }
    // At sides that are multiples of 64 the generator's anchors are on their cells.
    const g640 = makeAnchors(640, 512, "generator").priors;
    const c640 = makeAnchors(640, 512, "cells").priors;
    for (let i = 0; i < g640.length; i++) expect(c640[i]).toBeCloseTo(g640[i], 12);
    expect(anchorCount(640, 480)).toBe(17_640);
    expect(anchorCount(1920, 1080)).toBe(119_130);
  });
});

describe.skipIf(!HAVE_DATA)("derived models on real faces", () => {
  let original: Record<"detect" | "feature" | "landmark", ort.InferenceSession>;
  let derived: Record<"detect" | "feature" | "landmark", ort.InferenceSession>;
  beforeAll(async () => {
    const [d, f, l, dd, fb, lb] = await Promise.all(
      (["detect", "feature", "landmark", "detectDynamic", "featureBatch", "landmarkBatch"] as const).map((n) =>
        getSession(n),
      ),
    );
    original = { detect: d, feature: f, landmark: l };
    derived = { detect: dd, feature: fb, landmark: lb };
  });

  /** A photo resized to w x h: RGB bytes (the derived detector's input) and normalized CHW floats (the original's). */
  async function input(path: string[], w: number, h: number): Promise<{ bytes: ort.Tensor; floats: ort.Tensor }> {
    const img = await decodeImage(readFileSync(data(...path)));
    const rgb = warpToRgb(img, cropAffine(0, 0, img.width, img.height, w, h), w, h);
    const floats = new Float32Array(3 * w * h);
    // (v - 127) / 128 in R, G, B plane order.
    alignedToTensor(rgb, floats, 0, false);
    return {
      bytes: new ort.Tensor("uint8", rgb.data, [1, h, w, 3]),
      floats: new ort.Tensor("float32", floats, [1, 3, h, w]),
    };
  }

  it("detects at 320x240 with generated anchors exactly as the original with its baked-in ones", async () => {
    const a = makeAnchors(320, 240, "generator");
    let faces = 0;
    for (const path of [
      ["groups", "bbt1.jpg"],
      ["groups", "dlib", "2008_002506.jpg"],
      ["faces", "bbt", "penny1.png"],
    ]) {
      const x = await input(path, 320, 240);
      const [o, d] = await Promise.all([
        original.detect.run({ input: x.floats }),
        derived.detect.run({ image: x.bytes }),
      ]);
      const s1 = o.scores.data as Float32Array;
      const logits = d.logits.data as Float32Array;
      const boxes = o.boxes.data as Float32Array;
      const loc = d.locations.data as Float32Array;
      expect(logits.length).toBe(s1.length);
      const box = [0, 0, 0, 0];
      for (let i = 0; i < a.count; i++) {
        expect(Math.abs(faceScore(logits, i) - s1[2 * i + 1])).toBeLessThan(1e-5);
        decodeBox(a, loc, i, box);
        // Original boxes are normalized; ours are in input pixels.
        for (let k = 0; k < 4; k++)
          expect(Math.abs(box[k] - boxes[4 * i + k] * (k % 2 ? 240 : 320))).toBeLessThan(1e-3);
        if (s1[2 * i + 1] > 0.7) faces++;
      }
    }
    expect(faces).toBeGreaterThan(10);
  });

  it("runs the detector at other sizes, with as many anchors as generated", async () => {
    for (const [w, h] of [
      [640, 480],
      [1152, 648],
    ]) {
      const o = await derived.detect.run({ image: (await input(["groups", "bbt1.jpg"], w, h)).bytes });
      expect(o.logits.dims).toEqual([1, anchorCount(w, h), 2]);
      expect(o.locations.dims).toEqual([1, anchorCount(w, h), 4]);
    }
  });

  /** n different crops of a photo at size x size (grey when channels is 1), back to back. */
  async function crops(n: number, size: number, channels: 1 | 3): Promise<Float32Array> {
    const img = await decodeImage(readFileSync(data("groups", "bbt1.jpg")));
    const out = new Float32Array(n * 3 * size * size);
    for (let k = 0; k < n; k++) {
      const s = 80 + 13 * k;
      warpToTensor(
        img,
        [s / size, 0, 40 + 37 * k, 0, s / size, 20 + 11 * k],
        size,
        size,
        out,
        k * 3 * size * size,
        NORM_127_128,
      );
    }
    if (channels === 3) return out;
    return out.filter((_, i) => Math.floor(i / (size * size)) % 3 === 0);
  }

  for (const [name, size, channels, dim] of [
    ["feature", 112, 3, 512],
    ["landmark", 64, 1, 136],
  ] as const) {
    it(`gives the same ${name} outputs for a batch as the original for each face alone`, async () => {
      const n = 5;
      const per = channels * size * size;
      const x = await crops(n, size, channels);
      const batch = await derived[name].run({ input: new ort.Tensor("float32", x, [n, channels, size, size]) });
      expect(batch.output.dims).toEqual([n, dim]);
      const b = batch.output.data as Float32Array;
      for (let k = 0; k < n; k++) {
        const one = await original[name].run({
          input: new ort.Tensor("float32", x.subarray(k * per, (k + 1) * per), [1, channels, size, size]),
        });
        const v = one.output.data as Float32Array;
        for (let i = 0; i < dim; i++) expect(Math.abs(b[k * dim + i] - v[i])).toBeLessThan(1e-4);
      }
    });
  }
});
