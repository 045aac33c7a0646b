/**
 * LFW verification benchmark, View 2 protocol, on ../shared/data/faces/lfw-dev (folds 1-5).
 *
 *   pnpm --silent bench:lfw [--crop 1.0] [--no-refine] [--no-lm-flip] [--rgb] [--flip] [--limit N]
 *                           [--feature models/other.onnx]
 *
 * For each fold the threshold is chosen on the other folds and accuracy measured on the fold.
 * Prints mean accuracy and standard deviation over folds, TAR at FAR=1e-3 (pooled), detection
 * failures (a pair with an undetected image counts as wrong) and the recommended threshold.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cosine } from "../shared/src/face/embed.ts";
import { boxCenter } from "../shared/src/face/geometry.ts";
import { FacePipeline } from "../shared/src/face/pipeline.ts";
import { accuracyAt, bestThreshold, type Scored, tarAtFar } from "../shared/src/face/verification.ts";
import { decodeImage } from "../shared/src/image/decode.ts";
import { Pyramid } from "../shared/src/image/resample.ts";
import { meanStd } from "../shared/src/util/stats.ts";
import { readLfwPairs, requireData } from "./lib/data.ts";
import { withFeatureModel } from "./lib/featureModel.ts";

const { values: args } = parseArgs({
  options: {
    crop: { type: "string", default: "1.0" },
    "no-refine": { type: "boolean", default: false },
    "no-lm-flip": { type: "boolean", default: false },
    rgb: { type: "boolean", default: false },
    flip: { type: "boolean", default: false },
    limit: { type: "string" },
    threads: { type: "string", default: "2" },
    /** Another feature model file for the embeddings (bench/lib/featureModel.ts). */
    feature: { type: "string" },
  },
});

const root = requireData("faces/lfw-dev");
const { folds, pairs: allPairs } = readLfwPairs(requireData("faces/lfw-dev-pairs.txt"));
const pairs = args.limit ? allPairs.filter((_, i) => i % Math.ceil(allPairs.length / +args.limit!) === 0) : allPairs;

const base = await FacePipeline.create({
  intraOpThreads: +args.threads,
  landmarks: { cropScale: +args.crop, refine: !args["no-refine"], flip: !args["no-lm-flip"] },
  channelOrder: args.rgb ? "rgb" : "bgr",
});
const pipeline = args.feature ? await withFeatureModel(base, args.feature, +args.threads) : base;

function flipped(img: { data: Uint8Array; width: number; height: number }) {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = data[(y * w + (w - 1 - x)) * 3 + c];
  return { data: out, width: w, height: h };
}

const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
const emb = new Map<string, Float32Array | null>();
const t0 = performance.now();
let done = 0;
for (const f of files) {
  const img = await decodeImage(readFileSync(join(root, f)));
  const src = new Pyramid(img);
  // LFW images are centered on the labelled face: keep the detection nearest the center.
  let dets = await pipeline.detect(src, { minFaceSize: 40 });
  if (dets.length === 0) dets = await pipeline.detect(src, { minFaceSize: 20, scoreThreshold: 0.3 });
  if (dets.length === 0) {
    emb.set(f, null);
    continue;
  }
  const cx = img.width / 2;
  const cy = img.height / 2;
  const d = dets.reduce((best, x) => {
    const [ax, ay] = boxCenter(x.box);
    const [bx, by] = boxCenter(best.box);
    return Math.hypot(ax - cx, ay - cy) < Math.hypot(bx - cx, by - cy) ? x : best;
  });
  const [face] = await pipeline.embed([await pipeline.analyzeOne(src, d)]);
  let v = face.embedding!;
  if (args.flip) {
    const [ff] = await pipeline.embed([{ ...face, aligned: flipped(face.aligned) }]);
    v = v.map((x, i) => x + ff.embedding![i]);
    const n = Math.hypot(...v);
    v = v.map((x) => x / n);
  }
  emb.set(f, v);
  if (++done % 500 === 0) process.stderr.write(`  ${done}/${files.length} images\n`);
}
const secs = (performance.now() - t0) / 1000;

const failures = files.filter((f) => emb.get(f) === null);
// A pair with a missing face counts as wrong: give it a score that is wrong at any threshold.
const scored: (Scored & { fold: number })[] = pairs.map((p) => {
  const a = emb.get(p.a);
  const b = emb.get(p.b);
  const score = a && b ? cosine(a, b) : p.same ? -Infinity : Infinity;
  return { fold: p.fold, same: p.same, score };
});

const accs: number[] = [];
const thresholds: number[] = [];
for (let f = 0; f < folds; f++) {
  const train = scored.filter((s) => s.fold !== f);
  const test = scored.filter((s) => s.fold === f);
  if (test.length === 0) continue;
  const { threshold } = bestThreshold(train);
  thresholds.push(threshold);
  accs.push(accuracyAt(test, threshold));
}
const { mean, std } = meanStd(accs);
const overall = bestThreshold(scored);
const far3 = tarAtFar(scored, 1e-3);
const same = scored.filter((s) => s.same && Number.isFinite(s.score)).map((s) => s.score);
const diff = scored.filter((s) => !s.same && Number.isFinite(s.score)).map((s) => s.score);

console.log(`LFW View 2, folds 1-${folds} of ${root}`);
console.log(
  `variant: ${args.feature ? `feature model ${args.feature}, ` : ""}landmark crop ${args.crop}, refine ${!args["no-refine"]}, mirrored landmark pass ${!args["no-lm-flip"]}, ${args.rgb ? "RGB" : "BGR"} input, flip ${args.flip}; ${pairs.length} pairs, ${files.length} images`,
);
console.log(
  `accuracy: ${(mean * 100).toFixed(2)}% +- ${(std * 100).toFixed(2)}% (mean +- std over ${accs.length} folds)`,
);
console.log(`per fold: ${accs.map((a) => (a * 100).toFixed(2)).join(" ")}`);
console.log(
  `TAR @ FAR=1e-3: ${(far3.tar * 100).toFixed(2)}% at threshold ${far3.threshold.toFixed(3)} (pooled ${diff.length} impostor pairs)`,
);
console.log(
  `no face found: ${failures.length} image(s)${failures.length ? `: ${failures.slice(0, 10).join(", ")}` : ""}`,
);
console.log(
  `recommended threshold: ${overall.threshold.toFixed(3)} (best accuracy on all folds; per-fold choices ${thresholds.map((t) => t.toFixed(3)).join(" ")})`,
);
console.log(
  `similarity: same median ${median(same).toFixed(3)}, different median ${median(diff).toFixed(3)}, different max ${Math.max(...diff).toFixed(3)}`,
);
console.log("operating points (pooled): threshold  TAR      FAR");
for (const t of [0.25, 0.274, 0.3, 0.35, 0.4, 0.45, 0.5]) {
  const tar = same.filter((x) => x >= t).length / same.length;
  const far = diff.filter((x) => x >= t).length / diff.length;
  console.log(
    `  ${t.toFixed(3).padStart(9)}  ${(tar * 100).toFixed(2).padStart(6)}%  ${(far * 100).toFixed(2).padStart(6)}%`,
  );
}
console.log(
  `time: ${secs.toFixed(1)} s for ${files.length} images (${((secs * 1000) / files.length).toFixed(1)} ms/image)`,
);

function median(v: number[]) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const st = pipeline.times.summary();
console.log(
  `stage medians (ms): ${Object.entries(st)
    .map(([k, v]) => `${k} ${v.median.toFixed(2)}`)
    .join(", ")}`,
);
