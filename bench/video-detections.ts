/**
 * Detections on the shared videos: how many per frame, how many no neighbouring frame confirms
 * (likely false positives or flicker), and their scores and sizes.
 *
 *   pnpm --silent bench:videos [--fps 5] [--seconds 10]
 *
 * Each video in ../shared/data/video is decoded by ffmpeg at --fps, and every frame is searched
 * whole with FacePipeline.detect (minFaceSize 40 at 720p and more, 20 below). A detection is
 * confirmed when the frame before or after has one over the same face (IoU >= 0.2, or centers
 * closer than the face's size with a size ratio within 1.5): at 5 fps a real face is seen again.
 * Uses only FacePipeline.detect, so the same file measures an older checkout for before/after.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Box, iou } from "../shared/src/face/geometry.ts";
import { FacePipeline } from "../shared/src/face/pipeline.ts";
import { median } from "../shared/src/util/stats.ts";
import { requireData } from "./lib/data.ts";

const { values: args } = parseArgs({
  options: { fps: { type: "string", default: "5" }, seconds: { type: "string", default: "10" } },
});
const require = createRequire(new URL("../agent/package.json", import.meta.url));
const FFMPEG: string = process.env.ARGUS_FFMPEG_PATH ?? require("@ffmpeg-installer/ffmpeg").path;
const dir = requireData("video");

/** Frames of a video as RGB at --fps, for at most --seconds. */
function frames(file: string): { width: number; height: number; data: Uint8Array }[] {
  const probe = spawnSync(FFMPEG, ["-hide_banner", "-i", file], { encoding: "utf8" });
  const m = /Video: .*?, (\d{2,5})x(\d{2,5})/.exec(probe.stderr);
  if (!m) throw new Error(`no video size in ffmpeg's output for ${file}`);
  const [width, height] = [Number(m[1]), Number(m[2])];
  const r = spawnSync(
    FFMPEG,
    [
      "-loglevel",
      "error",
      "-i",
      file,
      "-t",
      args.seconds!,
      "-vf",
      `fps=${args.fps}`,
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
    { maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${file}: ${r.stderr}`);
  const size = width * height * 3;
  return Array.from({ length: Math.floor(r.stdout.length / size) }, (_, i) => ({
    width,
    height,
    data: new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + i * size, size),
  }));
}

const side = (b: Box) => Math.sqrt((b[2] - b[0]) * (b[3] - b[1]));
function same(a: Box, b: Box): boolean {
  if (iou(a, b) >= 0.2) return true;
  const ratio = side(a) / side(b);
  const d = Math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2);
  return ratio < 1.5 && ratio > 1 / 1.5 && d < Math.max(side(a), side(b));
}

function histogram(values: number[], edges: number[]): string {
  const counts = new Array(edges.length + 1).fill(0);
  for (const v of values) counts[edges.filter((e) => v >= e).length]++;
  return counts.join("/");
}

const pipeline = await FacePipeline.create({ intraOpThreads: 2 });
const scoreEdges = [0.8, 0.9, 0.99];
const sizeEdges = [40, 80, 160];
console.log(`videos at ${args.fps} fps, at most ${args.seconds} s each; whole frames searched`);
console.log(`  score histogram: <0.8 / 0.8-0.9 / 0.9-0.99 / >=0.99; size histogram (px): <40 / 40-80 / 80-160 / >=160`);
console.log(
  `  ${"video".padEnd(34)} ${"size".padEnd(10)} frames  minFace  dets/frame  unconfirmed  scores           sizes           ms/frame`,
);
for (const name of readdirSync(dir)
  .filter((f) => f.endsWith(".mp4"))
  .sort()) {
  const fs = frames(join(dir, name));
  if (fs.length === 0) continue;
  const minFaceSize = fs[0].height >= 720 ? 40 : 20;
  const dets: { box: Box; score: number }[][] = [];
  const ms: number[] = [];
  for (const f of fs) {
    const t0 = performance.now();
    dets.push(await pipeline.detect(f, { minFaceSize }));
    ms.push(performance.now() - t0);
  }
  let total = 0;
  let unconfirmed = 0;
  dets.forEach((ds, i) => {
    for (const d of ds) {
      total++;
      const near = [...(dets[i - 1] ?? []), ...(dets[i + 1] ?? [])];
      if (!near.some((n) => same(n.box, d.box))) unconfirmed++;
    }
  });
  const all = dets.flat();
  console.log(
    `  ${name.padEnd(34)} ${`${fs[0].width}x${fs[0].height}`.padEnd(10)} ${String(fs.length).padStart(6)} ${String(minFaceSize).padStart(8)} ${(total / fs.length).toFixed(2).padStart(11)} ${`${unconfirmed} (${((100 * unconfirmed) / Math.max(1, total)).toFixed(0)}%)`.padStart(12)}  ${histogram(
      all.map((d) => d.score),
      scoreEdges,
    ).padEnd(16)} ${histogram(
      all.map((d) => side(d.box)),
      sizeEdges,
    ).padEnd(15)} ${median(ms).toFixed(1).padStart(8)}`,
  );
}
