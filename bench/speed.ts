/**
 * Per-stage speed of the face pipeline on this machine.
 *
 *   pnpm --silent bench:speed [--runs 30] [--threads 1] [--feature models/other.onnx]
 *
 * Two inputs: a 1920x1080 JPEG frame with 5 faces (LFW portraits of 60-220 px composited on a
 * noisy background, so the count is exact) and a 250x250 LFW portrait. Stages: decode (JPEG to
 * RGB), detect (all views, NMS), landmarks, align, quality, embed (per face). Prints median and
 * p95 in milliseconds per image (per face for landmarks/align/quality/embed). Then the
 * resampling behind "detect" on the 1080p frame: the planned levels resized natively (sharp) vs
 * warped from the pyramid in JavaScript, and the model runs alone. Last, batching: landmarks,
 * alignment, quality and embedding per face for batches of 1, 2, 4, 8 and 16 faces of one frame
 * (FacePipeline.analyze + embed), and the embedder alone per face. With --sizes, the detector
 * model alone at input sizes from 320x240 to 2560x1440: time per pixel and memory, which is how
 * MAX_INPUT_PIXELS (shared/src/face/detectPlan.ts) was chosen. With --feature, the batching
 * section also measures that feature model file (e.g. bench/out/fr_feature.int8.onnx from
 * bench/quant-embedder.ts), alternating with the manifest's at each batch size (a second line, "alt").
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp, { type OverlayOptions } from "sharp";
import { planLevels } from "../shared/src/face/detectPlan.ts";
import { FacePipeline } from "../shared/src/face/pipeline.ts";
import { decodeImage } from "../shared/src/image/decode.ts";
import { cropAffine, Pyramid, warpToRgb } from "../shared/src/image/resample.ts";
import { resizeRgb } from "../shared/src/image/resize.ts";
import type { RgbImage } from "../shared/src/image/types.ts";
import { median, quantile, StageTimes } from "../shared/src/util/stats.ts";
import { requireData } from "./lib/data.ts";
import { withFeatureModel } from "./lib/featureModel.ts";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "30" },
    threads: { type: "string", default: "1" },
    sizes: { type: "boolean", default: false },
    feature: { type: "string" },
  },
});
const runs = Number(args.runs);
const lfw = requireData("faces/lfw-dev");

const people = readdirSync(lfw).sort();
const portraitFile = join(lfw, people[10], readdirSync(join(lfw, people[10]))[0]);

// 1080p frame with exactly five faces.
const noise = Buffer.alloc(1920 * 1080 * 3);
let seed = 7;
for (let i = 0; i < noise.length; i++) noise[i] = 90 + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 40);
const sizes = [220, 160, 120, 90, 60];
const overlays: OverlayOptions[] = [];
for (let k = 0; k < 5; k++) {
  const dir = join(lfw, people[100 + k * 37]);
  const img = await sharp(join(dir, readdirSync(dir)[0]))
    .extract({ left: 40, top: 40, width: 170, height: 170 })
    .resize(Math.round(sizes[k] * 1.4), Math.round(sizes[k] * 1.4))
    .toBuffer();
  overlays.push({ input: img, left: 100 + k * 360, top: 200 + (k % 2) * 400 });
}
const frameJpeg = await sharp(noise, { raw: { width: 1920, height: 1080, channels: 3 } })
  .composite(overlays)
  .jpeg({ quality: 90 })
  .toBuffer();
const portraitJpeg = readFileSync(portraitFile);

const pipeline = await FacePipeline.create({ intraOpThreads: Number(args.threads) });
const alt = args.feature ? await withFeatureModel(pipeline, args.feature, Number(args.threads)) : undefined;

async function measure(name: string, jpeg: Buffer, minFaceSize: number) {
  const t = new StageTimes();
  const totals: number[] = [];
  let faces = 0;
  for (let r = 0; r < runs + 3; r++) {
    const warm = r < 3;
    const t0 = performance.now();
    const d0 = performance.now();
    const img = await decodeImage(jpeg);
    const decodeMs = performance.now() - d0;
    const src = new Pyramid(img);
    pipeline.times.clear();
    const dets = await pipeline.detect(src, { minFaceSize });
    const analyzed = await pipeline.analyze(src, dets);
    await pipeline.embed(analyzed);
    const total = performance.now() - t0;
    if (warm) continue;
    faces = analyzed.length;
    t.add("decode", decodeMs);
    for (const [stage, v] of pipeline.times.samples) for (const ms of v) t.add(stage, ms);
    totals.push(total);
  }
  console.log(`\n${name}: ${faces} face(s), ${runs} runs, ${args.threads} thread(s) per model run`);
  console.log("  stage        median ms    p95 ms");
  for (const [stage, v] of t.samples) {
    const per = ["landmarks", "align", "quality", "embed"].includes(stage) ? " (per face)" : "";
    console.log(
      `  ${stage.padEnd(11)} ${median(v).toFixed(2).padStart(9)} ${quantile(v, 0.95).toFixed(2).padStart(9)}${per}`,
    );
  }
  console.log(
    `  ${"total".padEnd(11)} ${median(totals).toFixed(2).padStart(9)} ${quantile(totals, 0.95).toFixed(2).padStart(9)}`,
  );
}

await measure("1920x1080 JPEG frame", frameJpeg, 40);
await measure(`250x250 portrait (${portraitFile.split("/").slice(-1)[0]})`, portraitJpeg, 40);

/** Median and p95 of `runs` timings of f (after 3 warm-up calls). */
async function timeIt(f: () => unknown): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) await f();
  const v: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    v.push(performance.now() - t0);
  }
  return [median(v), quantile(v, 0.95)];
}

async function resampling(): Promise<void> {
  const img: RgbImage = await decodeImage(frameJpeg);
  const region = { x: 0, y: 0, w: img.width, h: img.height };
  const levels = planLevels(region, 40, 3);
  const resized: RgbImage[] = [];
  const rows: [string, () => unknown][] = [
    [
      "native (sharp): finest from the frame, coarser from it",
      async () => {
        resized.length = 0;
        for (const l of levels) {
          const fine = resized[0];
          const r = fine ? { x: 0, y: 0, w: fine.width, h: fine.height } : region;
          resized.push(await resizeRgb(fine ?? img, r, l.width, l.height));
        }
      },
    ],
    [
      "pyramid warp (JavaScript bilinear)",
      () => {
        const p = new Pyramid(img);
        for (const l of levels)
          warpToRgb(p, cropAffine(0, 0, img.width, img.height, l.width, l.height), l.width, l.height);
      },
    ],
    [
      "model runs alone",
      async () => {
        for (const r of resized) await pipeline.detector.runInput(r, 0.7);
      },
    ],
  ];
  const what = levels.map((l) => `${l.width}x${l.height} (scale ${l.scale.toFixed(3)})`).join(" + ");
  console.log(`\n"detect" of the 1920x1080 frame, minFaceSize 40: inputs ${what}; ${runs} runs`);
  console.log("  what                                                 median ms    p95 ms");
  for (const [name, f] of rows) {
    const [med, p95] = await timeIt(f);
    console.log(`  ${name.padEnd(52)} ${med.toFixed(2).padStart(9)} ${p95.toFixed(2).padStart(9)}`);
  }
}

await resampling();

/** 1080p frame with 16 faces of 100-140 px in a 4x4 grid. */
async function gridFrame(): Promise<RgbImage> {
  const comps: OverlayOptions[] = [];
  for (let k = 0; k < 16; k++) {
    const dir = join(lfw, people[200 + k * 29]);
    const img = await sharp(join(dir, readdirSync(dir)[0]))
      .extract({ left: 40, top: 40, width: 170, height: 170 })
      .resize(140 + (k % 3) * 20, 140 + (k % 3) * 20)
      .toBuffer();
    comps.push({ input: img, left: 120 + (k % 4) * 440, top: 40 + Math.floor(k / 4) * 260 });
  }
  const jpeg = await sharp(noise, { raw: { width: 1920, height: 1080, channels: 3 } })
    .composite(comps)
    .jpeg({ quality: 90 })
    .toBuffer();
  return decodeImage(jpeg);
}

/** Median wall and CPU (this process, all threads) ms of `runs` calls of f, after 3 warm-up calls. */
async function wallAndCpu(f: () => unknown, count = runs): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) await f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < count; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return [median(wall), median(cpu)];
}

async function batching(): Promise<void> {
  const img = await gridFrame();
  const src = new Pyramid(img);
  const dets = await pipeline.detect(src, { minFaceSize: 40 });
  if (dets.length < 16) throw new Error(`the grid frame should show 16 faces, found ${dets.length}`);
  console.log(`\nbatching: faces of one 1080p frame, ${runs} runs per batch size; ms per face, median (CPU time too:`);
  console.log("steadier than wall time when other work shares the machine)");
  console.log("  batch   landmarks+align+quality+embed: wall   CPU     embedder alone: wall   CPU");
  if (alt) console.log(`  (alt: ${args.feature}; measured alternately with the manifest's model)`);
  for (const n of [1, 2, 4, 8, 16]) {
    const some = dets.slice(0, n);
    const faces = await pipeline.analyze(src, some);
    const f = (v: number) => (v / n).toFixed(2).padStart(6);
    const variants = alt ? [pipeline, alt] : [pipeline];
    // Alternate the variants run by run so that load from other work falls on both alike.
    const wall = variants.map(() => [] as number[][]);
    for (let r = 0; r < (alt ? 3 : 1); r++) {
      for (const [k, p] of variants.entries()) {
        const [all, allCpu] = await wallAndCpu(
          async () => p.embed(await p.analyze(src, some)),
          alt ? Math.ceil(runs / 3) : runs,
        );
        const [emb, embCpu] = await wallAndCpu(
          () => p.embedMany(faces.map((x) => x.aligned)),
          alt ? Math.ceil(runs / 3) : runs,
        );
        wall[k].push([all, allCpu, emb, embCpu]);
      }
    }
    for (const [k, rows] of wall.entries()) {
      const [all, allCpu, emb, embCpu] = [0, 1, 2, 3].map((i) => median(rows.map((row) => row[i])));
      console.log(
        `  ${String(n).padStart(5)}${k ? " alt" : "    "}${" ".repeat(29)}${f(all)} ${f(allCpu)}   ${" ".repeat(15)}${f(emb)} ${f(embCpu)}`,
      );
    }
  }
}

await batching();

/** The detector alone by input size (noise image): ms, ns per pixel, and the process's memory growth. */
async function inputSizes(): Promise<void> {
  console.log(`\ndetector model alone by input size, ${runs} runs; RSS growth since the first size`);
  console.log("  input        median ms   ns/px   RSS MB");
  const rss0 = process.memoryUsage().rss;
  for (const [w, h] of [
    [320, 240],
    [640, 480],
    [1152, 648],
    [1280, 720],
    [1920, 1088],
    [2560, 1440],
  ]) {
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = noise[i % noise.length];
    const [med] = await timeIt(() => pipeline.detector.runInput({ data, width: w, height: h }, 0.7));
    const rss = (process.memoryUsage().rss - rss0) / 1e6;
    console.log(
      `  ${`${w}x${h}`.padEnd(11)} ${med.toFixed(2).padStart(9)} ${((med * 1e6) / (w * h)).toFixed(1).padStart(7)} ${rss.toFixed(0).padStart(8)}`,
    );
  }
}

if (args.sizes) await inputSizes();
