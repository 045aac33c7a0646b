/**
 * Experiment: a static int8 (QDQ) embedder derived from models/fr_feature.batch.onnx in code
 * (scripts/quantize.mjs), calibrated on LFW faces aligned by our pipeline, and how close it stays
 * to the float model.
 *
 *   pnpm exec tsx bench/quant-embedder.ts [--alpha 0.8] [--every 20] [--out bench/out/fr_feature.int8.onnx]
 *
 * 1. Aligned 112x112 crops of all ../shared/data/faces/lfw-dev photos (the face nearest the centre,
 *    as bench/lfw.ts). Calibration set: every `every`-th face (270 of 5,373); the rest is held out.
 * 2. Cross-layer equalization: per-channel maxima of the tensors between Conv pairs give
 *    power-of-two channel scales (equalizationExponents).
 * 3. Activation ranges: per tensor, the clip range minimizing the uint8 quantization MSE over a
 *    2,048-bin histogram of the calibration activations (mseRange).
 * 4. Bias correction for weight rounding from the per-channel means of each Conv input.
 * 5. quantizeQdq; writes the model and its calibration record (<out>.json), then prints the cosine
 *    of int8 vs float embeddings of the held-out faces and both models' time per face (batch 16 and
 *    1, alternating).
 * Then: pnpm --silent bench:lfw --feature <out>; pnpm --silent bench:speed --feature <out>;
 * pnpm exec tsx bench/server-lfw.ts --feature <out> --cache <another file than float's>.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  biasCorrection,
  convInputTensors,
  equalizationExponents,
  equalizationTensors,
  equalize,
  exposeActivations,
  mseRange,
  quantizeFromCalibration,
} from "../scripts/quantize.mjs";
import { boxCenter } from "../shared/src/face/geometry.ts";
import { alignedToTensor, FacePipeline } from "../shared/src/face/pipeline.ts";
import { decodeImage } from "../shared/src/image/decode.ts";
import { Pyramid } from "../shared/src/image/resample.ts";
import type { RgbImage } from "../shared/src/image/types.ts";
import { modelsDir, ort, ortSessionOptions } from "../shared/src/models/registry.ts";
import { median, quantile } from "../shared/src/util/stats.ts";
import { requireData } from "./lib/data.ts";

const { values: args } = parseArgs({
  options: {
    alpha: { type: "string", default: "0.8" },
    every: { type: "string", default: "20" },
    out: { type: "string", default: "bench/out/fr_feature.int8.onnx" },
  },
});
const root = requireData("faces/lfw-dev");
const floatBytes = readFileSync(join(modelsDir(), "fr_feature.batch.onnx"));

// 1. Aligned faces.
const pipeline = await FacePipeline.create({ intraOpThreads: 2 });
const faces: RgbImage[] = [];
for (const p of readdirSync(root).sort())
  for (const f of readdirSync(join(root, p)).sort()) {
    const img = await decodeImage(readFileSync(join(root, p, f)));
    const src = new Pyramid(img);
    let dets = await pipeline.detect(src, { minFaceSize: 40 });
    if (dets.length === 0) dets = await pipeline.detect(src, { minFaceSize: 20, scoreThreshold: 0.3 });
    if (dets.length === 0) continue;
    const [cx, cy] = [img.width / 2, img.height / 2];
    const d = dets.reduce((best, x) => {
      const [ax, ay] = boxCenter(x.box);
      const [bx, by] = boxCenter(best.box);
      return Math.hypot(ax - cx, ay - cy) < Math.hypot(bx - cx, by - cy) ? x : best;
    });
    faces.push((await pipeline.analyzeOne(src, d)).aligned);
  }
const every = Number(args.every);
const calib = faces.filter((_, i) => i % every === 5 % every);
const held = faces.filter((_, i) => i % every !== 5 % every);
console.log(`${faces.length} faces: ${calib.length} for calibration, ${held.length} held out`);

const FACE = 3 * 112 * 112;
function batchTensor(list: RgbImage[]): ort.Tensor {
  const data = new Float32Array(list.length * FACE);
  list.forEach((a, k) => {
    alignedToTensor(a, data, k * FACE, true);
  });
  return new ort.Tensor("float32", data, [list.length, 3, 112, 112]);
}
const session = (model: Uint8Array, threads = 2) => ort.InferenceSession.create(model, ortSessionOptions(threads));

/** Runs `model` with the named tensors exposed over the calibration faces, calling visit per batch. */
async function overCalibration(
  model: Uint8Array,
  names: string[] | undefined,
  visit: (out: Record<string, ort.Tensor>) => void,
) {
  const s = await session(exposeActivations(model, names));
  for (let i = 0; i < calib.length; i += 8) {
    const input = batchTensor(calib.slice(i, i + 8));
    visit({ input, ...(await s.run({ input })) });
  }
}

/** Per-channel reduction (NCHW) of a tensor into acc. */
function perChannel(t: ort.Tensor, acc: Float64Array, f: (acc: number, v: number) => number, norm = 1) {
  const [n, c, h, w] = t.dims;
  const d = t.data as Float32Array;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * h * w;
      let a = 0;
      for (let k = 0; k < h * w; k++) a = f(a, d[o + k]);
      acc[ch] = norm === 1 ? Math.max(acc[ch], a) : acc[ch] + a / norm;
    }
}

// 2. Equalization.
const pairTensors = equalizationTensors(floatBytes);
const maxima: Record<string, Float64Array> = {};
await overCalibration(floatBytes, pairTensors, (out) => {
  for (const t of pairTensors) {
    maxima[t] ??= new Float64Array(out[t].dims[1]);
    perChannel(out[t], maxima[t], (a, v) => Math.max(a, Math.abs(v)));
  }
});
const exponents = equalizationExponents(
  floatBytes,
  Object.fromEntries(Object.entries(maxima).map(([k, v]) => [k, [...v]])),
  Number(args.alpha),
);
const eq = equalize(floatBytes, exponents);

// 3. Ranges: min/max, then histograms.
const mm: Record<string, [number, number]> = {};
await overCalibration(eq, undefined, (out) => {
  for (const [k, t] of Object.entries(out)) {
    if (k === "output") continue;
    let [lo, hi] = mm[k] ?? [0, 0];
    for (const v of t.data as Float32Array) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mm[k] = [lo, hi];
  }
});
const BINS = 2048;
const hist: Record<string, Float64Array> = {};
await overCalibration(eq, undefined, (out) => {
  for (const [k, [lo, hi]] of Object.entries(mm)) {
    const h = (hist[k] ??= new Float64Array(BINS));
    const w = (hi - lo) / BINS;
    for (const v of out[k].data as Float32Array) h[Math.min(BINS - 1, Math.floor((v - lo) / w))]++;
  }
});
const ranges: Record<string, [number, number]> = {};
for (const [k, [lo, hi]] of Object.entries(mm)) ranges[k] = k === "input" ? [lo, hi] : mseRange(hist[k], lo, hi);

// 4. Bias correction.
const convInputs = convInputTensors(eq);
const means: Record<string, Float64Array> = {};
await overCalibration(
  eq,
  convInputs.filter((n) => n !== "input"),
  (out) => {
    for (const t of convInputs) {
      means[t] ??= new Float64Array(out[t].dims[1]);
      perChannel(out[t], means[t], (a, v) => a + v, calib.length * out[t].dims[2] * out[t].dims[3]);
    }
  },
);
const biasShift = biasCorrection(eq, Object.fromEntries(Object.entries(means).map(([k, v]) => [k, [...v]])));

// 5. The model.
const cal = { exponents, ranges, biasShift };
const q = quantizeFromCalibration(floatBytes, cal);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, q.bytes);
writeFileSync(`${args.out}.json`, JSON.stringify(cal));
console.log(`wrote ${args.out}: ${q.convs} int8 Convs, ${q.tensors} quantized tensors, ${q.bytes.length} bytes`);

const [fs, qs] = [await session(floatBytes), await session(q.bytes)];
const cosines: number[] = [];
const unit = (d: Float32Array, k: number) => {
  const v = d.slice(k * 512, (k + 1) * 512);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
for (let i = 0; i < held.length; i += 16) {
  const input = batchTensor(held.slice(i, i + 16));
  const [a, b] = [(await fs.run({ input })).output.data, (await qs.run({ input })).output.data] as Float32Array[];
  for (let k = 0; k < input.dims[0]; k++) {
    const [u, v] = [unit(a, k), unit(b, k)];
    cosines.push(u.reduce((s, x, j) => s + x * v[j], 0));
  }
}
console.log(
  `cosine int8 vs float, ${cosines.length} held-out faces: median ${median(cosines).toFixed(4)}, p1 ${quantile(cosines, 0.01).toFixed(4)}, p0.1 ${quantile(cosines, 0.001).toFixed(4)}, min ${Math.min(...cosines).toFixed(4)}`,
);

// Speed, one thread, alternating.
const [f1, q1] = [await session(floatBytes, 1), await session(q.bytes, 1)];
const t16 = batchTensor(held.slice(0, 16));
const t1 = batchTensor(held.slice(16, 17));
const times = { f16: [] as number[], q16: [] as number[], f1: [] as number[], q1: [] as number[] };
for (let r = 0; r < 33; r++)
  for (const [k, s, t, n] of [
    ["f16", f1, t16, 16],
    ["q16", q1, t16, 16],
    ["f1", f1, t1, 1],
    ["q1", q1, t1, 1],
  ] as const) {
    const t0 = performance.now();
    await s.run({ input: t });
    if (r >= 3) times[k].push((performance.now() - t0) / n);
  }
console.log(
  `embedder alone, 1 thread, ms per face (median of 30, alternating): batch 16 float ${median(times.f16).toFixed(2)} int8 ${median(times.q16).toFixed(2)}; batch 1 float ${median(times.f1).toFixed(2)} int8 ${median(times.q1).toFixed(2)}`,
);
