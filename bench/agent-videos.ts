/**
 * Agent benchmark per video: tracks, events, faces per track, and CPU seconds per second of video
 * (agent + its ffmpeg, minus the fixed start-up cost), against ffmpeg alone decoding the same
 * video to the same frames (the floor), as a ratio. Files are processed as fast as possible
 * (no frame dropped), offline best-shot mode, default camera settings.
 *
 *   pnpm exec tsx bench/agent-videos.ts [runs=3]
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FFMPEG_PATH } from "../agent/src/ingest/ffmpeg.ts";
import { median } from "../shared/src/util/stats.ts";
import { childrenCpu, configDir, fmt, logLines, OUT, requireData, run, runAgent, VIDEO_DIR } from "./agent-lib.ts";

requireData();
const RUNS = Number(process.argv[2] ?? 3);
const videos: { file: string; seconds: number; cam?: object }[] = [
  { file: "station-crowd-1080p.mp4", seconds: 4.2 },
  { file: "stage-small-faces-360p.mp4", seconds: 10.0, cam: { minFaceSize: 16 } },
  { file: "pedestrian-crowd-tiny-faces.mp4", seconds: 5.12, cam: { minFaceSize: 16 } },
  { file: "talking-head-1.mp4", seconds: 6.13 },
  { file: "talking-head-3.mp4", seconds: 5.04 },
  { file: "talking-head-aoc-mpeg4.mp4", seconds: 8.06 },
];

async function agentRun(cameras: Record<string, object>) {
  const dir = configDir({ id: "bench", ops: { port: null } }, cameras);
  const out = join(dir, "events.jsonl");
  const c0 = childrenCpu();
  const t0 = performance.now();
  const r = runAgent(["--config", dir, "--output", out, "--once", "--fast"]);
  const code = await r.exit;
  const wall = (performance.now() - t0) / 1000;
  const cpu = childrenCpu() - c0;
  if (code !== 0) throw new Error(`agent exited ${code}:\n${r.output().slice(-2000)}`);
  const cams = logLines(r.output(), "camera: finished");
  rmSync(dir, { recursive: true, force: true });
  return { cpu, wall, cams };
}

async function ffmpegAlone(file: string): Promise<number> {
  const c0 = childrenCpu();
  // The agent's own ffmpeg work: decode, keep 5 fps, convert to RGB, write the frames out.
  await run(FFMPEG_PATH, [
    "-nostdin",
    "-loglevel",
    "error",
    // As the agent's ffmpeg: one decoding thread (agent/src/ingest/source.ts).
    "-threads",
    "1",
    "-i",
    file,
    "-an",
    "-vf",
    "fps=5",
    "-pix_fmt",
    "rgb24",
    "-f",
    "rawvideo",
    "-y",
    "/dev/null",
  ]);
  return childrenCpu() - c0;
}

// The fixed cost of starting an agent (Node, tsx, ONNX model loading), subtracted from every run.
const base: number[] = [];
for (let i = 0; i < RUNS; i++) base.push((await agentRun({})).cpu);
const baseline = median(base);
console.log(`agent start-up CPU (no camera): median ${fmt(baseline)} s over ${RUNS} runs`);
console.log("");
console.log(
  "video                            | s    | tracks | events | faces/track | agent CPU s/s | ffmpeg CPU s/s | ratio | wall x realtime",
);
console.log(
  "---------------------------------|------|--------|--------|-------------|---------------|----------------|-------|----------------",
);
for (const v of videos) {
  const path = join(VIDEO_DIR, v.file);
  if (!existsSync(path)) continue;
  const cpus: number[] = [];
  const walls: number[] = [];
  const ff: number[] = [];
  let cam: Record<string, unknown> = {};
  for (let i = 0; i < RUNS; i++) {
    const r = await agentRun({ v: { id: "v", source: path, ...v.cam } });
    cpus.push(Math.max(0, r.cpu - baseline));
    walls.push(r.wall);
    cam = r.cams[0];
    ff.push(await ffmpegAlone(path));
  }
  const agentPerSec = median(cpus) / v.seconds;
  const ffPerSec = median(ff) / v.seconds;
  const tracks = Number(cam.tracks);
  console.log(
    `${v.file.padEnd(32)} | ${fmt(v.seconds, 1).padStart(4)} | ${String(tracks).padStart(6)} | ${String(cam.events).padStart(6)} | ${fmt(Number(cam.faces) / Math.max(1, tracks), 1).padStart(11)} | ${fmt(agentPerSec, 3).padStart(13)} | ${fmt(ffPerSec, 3).padStart(14)} | ${fmt(agentPerSec / ffPerSec, 1).padStart(5)} | ${fmt(v.seconds / (median(walls) - 0), 2).padStart(14)}`,
  );
}
console.log("");
console.log(
  `CPU: medians of ${RUNS} runs; agent = its process and its ffmpeg, minus start-up; ratio = agent / ffmpeg alone (same decode, fps filter and RGB output).`,
);
console.log("wall x realtime includes start-up (about 1-2 s) and is only indicative for short videos.");
void OUT;
