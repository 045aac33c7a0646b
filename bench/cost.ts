/**
 * Wall and CPU time of the two per-frame costs on the bench:speed 1080p frame (5 faces, 60-220 px):
 * detection (minFaceSize 40) and per-face landmarks + align + quality + embed of all its faces.
 *
 *   pnpm exec tsx bench/cost.ts [--runs 30] [--threads 1]
 *
 * CPU time (this process, all threads: sharp's included) is steadier than wall time on a shared
 * machine. Only FacePipeline.detect, analyze and embed are used, so the same file measures an
 * older checkout for before/after comparisons.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp, { type OverlayOptions } from "sharp";
import { FacePipeline } from "../shared/src/face/pipeline.ts";
import { decodeImage } from "../shared/src/image/decode.ts";
import { Pyramid } from "../shared/src/image/resample.ts";
import { median, quantile } from "../shared/src/util/stats.ts";
import { requireData } from "./lib/data.ts";

const { values: args } = parseArgs({
  options: { runs: { type: "string", default: "30" }, threads: { type: "string", default: "1" } },
});
const runs = Number(args.runs);
const lfw = requireData("faces/lfw-dev");
const people = readdirSync(lfw).sort();

// The same frame as bench/speed.ts.
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
const frame = await decodeImage(
  await sharp(noise, { raw: { width: 1920, height: 1080, channels: 3 } })
    .composite(overlays)
    .jpeg({ quality: 90 })
    .toBuffer(),
);

const pipeline = await FacePipeline.create({ intraOpThreads: Number(args.threads) });

async function cost(f: () => Promise<unknown>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return [performance.now() - t0, (c.user + c.system) / 1000];
}

const wall: Record<string, number[]> = { detect: [], face: [] };
const cpu: Record<string, number[]> = { detect: [], face: [] };
let faces = 0;
for (let r = 0; r < runs + 3; r++) {
  const src = new Pyramid(frame);
  let dets: Awaited<ReturnType<typeof pipeline.detect>> = [];
  const [dw, dc] = await cost(async () => {
    dets = await pipeline.detect(src, { minFaceSize: 40 });
  });
  const [fw, fc] = await cost(async () => pipeline.embed(await pipeline.analyze(src, dets)));
  if (r < 3) continue;
  faces = dets.length;
  wall.detect.push(dw);
  cpu.detect.push(dc);
  wall.face.push(fw / faces);
  cpu.face.push(fc / faces);
}
const fmt = (v: number[]) => `${median(v).toFixed(1).padStart(6)} (p95 ${quantile(v, 0.95).toFixed(1)})`;
console.log(`1920x1080 frame, ${faces} faces, ${runs} runs, ${args.threads} thread(s) per model run; ms`);
console.log(`  detect (minFaceSize 40)                       wall ${fmt(wall.detect)}   CPU ${fmt(cpu.detect)}`);
console.log(`  per face: landmarks+align+quality+embed       wall ${fmt(wall.face)}   CPU ${fmt(cpu.face)}`);
