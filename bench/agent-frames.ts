/**
 * Face work per busy 1080p frame, in process vs in the agent's worker pool: real frames of the
 * station crowd (decoded by ffmpeg at 5 fps, full frame searched at minFaceSize 40, as the
 * agent's full-frame pass), analyzed by 4 "cameras" at once, one frame in flight per camera (as
 * the agent does). Prints frames/s, CPU ms per frame (all threads of this process) and how long
 * the event loop was blocked (which delays ffmpeg reads, MQTT and timers).
 *
 *   pnpm exec tsx bench/agent-frames.ts [rounds=2] [workers=1,2]
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { FFMPEG_PATH } from "../agent/src/ingest/ffmpeg.ts";
import { type FaceEngine, FacePipeline } from "../shared/src/face/pipeline.ts";
import { FacePool } from "../shared/src/face/pool.ts";
import type { RgbImage } from "../shared/src/image/types.ts";
import { fmt, requireData, VIDEO_DIR } from "./agent-lib.ts";

requireData();
const ROUNDS = Number(process.argv[2] ?? 2);
const WORKERS = (process.argv[3] ?? "1,2").split(",").map(Number);
const CAMERAS = 4;
const W = 1920;
const H = 1080;

/** All frames of the video at 5 fps, each in shared memory like the agent's frame buffers. */
async function frames(): Promise<RgbImage[]> {
  const p = spawn(FFMPEG_PATH, [
    "-loglevel",
    "error",
    "-i",
    join(VIDEO_DIR, "station-crowd-1080p.mp4"),
    "-vf",
    "fps=5",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-",
  ]);
  const chunks: Buffer[] = [];
  for await (const c of p.stdout) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks);
  const out: RgbImage[] = [];
  for (let off = 0; off + W * H * 3 <= all.length; off += W * H * 3) {
    const data = new Uint8Array(new SharedArrayBuffer(W * H * 3));
    data.set(all.subarray(off, off + W * H * 3));
    out.push({ data, width: W, height: H });
  }
  return out;
}

async function measure(name: string, engine: FaceEngine, list: RgbImage[]): Promise<void> {
  // Warm-up: JIT and ONNX first runs.
  await Promise.all(Array.from({ length: CAMERAS }, (_, i) => engine.analyzeFrame(list[i % list.length])));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let faces = 0;
  await Promise.all(
    Array.from({ length: CAMERAS }, async (_, cam) => {
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < list.length; i++) {
          // Each camera at its own place in the video.
          const f = list[(i + cam * 5) % list.length];
          faces += (await engine.analyzeFrame(f, { minFaceSize: 40 })).length;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  loop.disable();
  const n = CAMERAS * ROUNDS * list.length;
  console.log(
    `${name.padEnd(22)} | ${fmt(n / wall, 1).padStart(8)} | ${fmt((cpu.user + cpu.system) / 1000 / n, 0).padStart(12)} | ${fmt(loop.max / 1e6, 0).padStart(17)} | ${fmt(loop.percentile(99) / 1e6, 0).padStart(17)} | ${(faces / n).toFixed(1)}`,
  );
}

const list = await frames();
console.log(
  `${list.length} frames of station-crowd-1080p.mp4 at 5 fps, ${CAMERAS} cameras x ${ROUNDS} rounds; load average at start: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")} (2 cores; other work skews the figures)`,
);
console.log(
  "engine                 | frames/s | CPU ms/frame | loop blocked max ms | loop blocked p99 ms | faces/frame",
);
console.log(
  "-----------------------|----------|--------------|---------------------|---------------------|------------",
);
await measure("in process", await FacePipeline.create(), list);
for (const w of WORKERS) {
  const pool = await FacePool.create({ workers: w });
  await measure(`pool, ${w} worker(s)`, pool, list);
  await pool.close();
}
