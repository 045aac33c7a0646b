/**
 * The agent's CPU cost per track, this checkout against another one (e.g. main before the track
 * templates, face check and relinking), side by side: for each video and run, the agent CLI of
 * each checkout in turn (offline best shots, files as fast as possible, default camera settings
 * as in bench/agent-videos.ts), CPU of the agent and its ffmpeg minus the CPU of an agent
 * started without cameras (start-up: Node, tsx, model loading), divided by the tracks it made.
 *
 *   pnpm exec tsx bench/agent-track-cost.ts --base <other checkout> [--runs 3]
 *
 * Medians and min-max over the runs. Both checkouts need their node_modules and models.
 * `--videos station,stage` keeps the videos whose file name contains one of the words. Each run
 * also times ffmpeg alone decoding the video to the agent's frames (5 fps, RGB), and the ratio of
 * the agent's CPU to it is printed (the ratio of bench/agent-videos.ts, measured alternately).
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FFMPEG_PATH } from "../agent/src/ingest/ffmpeg.ts";
import { agentNodeFlags } from "../agent/test/helpers/cli.ts";
import { median } from "../shared/src/util/stats.ts";
import { childrenCpu, configDir, fmt, logLines, REPO, requireData, run, VIDEO_DIR } from "./agent-lib.ts";

const { values } = parseArgs({
  options: { base: { type: "string" }, runs: { type: "string", default: "3" }, videos: { type: "string" } },
});
if (!values.base) {
  console.error("usage: pnpm exec tsx bench/agent-track-cost.ts --base <other checkout> [--runs 3]");
  process.exit(2);
}
requireData();
const RUNS = Number(values.runs);
const trees = [
  { name: "base", dir: resolve(values.base) },
  { name: "this", dir: REPO },
];
const allVideos: { file: string; cam?: object }[] = [
  { file: "station-crowd-1080p.mp4" },
  { file: "stage-small-faces-360p.mp4", cam: { minFaceSize: 16 } },
  { file: "pedestrian-crowd-tiny-faces.mp4", cam: { minFaceSize: 16 } },
  { file: "talking-head-1.mp4" },
  { file: "talking-head-3.mp4" },
  { file: "talking-head-aoc-mpeg4.mp4" },
];

const only = values.videos?.split(",");
const videos = allVideos.filter((v) => !only || only.some((w) => v.file.includes(w)));

/** CPU s of ffmpeg alone doing the agent's decoding: 5 fps, RGB frames (as bench/agent-videos.ts). */
async function ffmpegAlone(file: string): Promise<number> {
  const c0 = childrenCpu();
  // As the agent's ffmpeg: one decoding thread (agent/src/ingest/source.ts).
  const args = [
    "-nostdin",
    "-loglevel",
    "error",
    "-threads",
    "1",
    "-i",
    file,
    "-an",
    "-vf",
    "fps=5",
    "-pix_fmt",
    "rgb24",
  ];
  await run(FFMPEG_PATH, [...args, "-f", "rawvideo", "-y", "/dev/null"]);
  return childrenCpu() - c0;
}

async function agentRun(tree: string, cameras: Record<string, object>) {
  const dir = configDir({ id: "bench", ops: { port: null } }, cameras);
  const c0 = childrenCpu();
  let output = "";
  const proc = spawn(
    process.execPath,
    [
      // Each checkout as its `pnpm agent` starts it (its Node flags).
      ...agentNodeFlags(tree),
      "--import",
      "tsx",
      join(tree, "agent/src/main.ts"),
      "--config",
      dir,
      "--output",
      join(dir, "e.jsonl"),
      "--once",
      "--fast",
    ],
    { cwd: tree, env: { ...process.env, ARGUS_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((r) => proc.once("exit", r));
  const cpu = childrenCpu() - c0;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`agent of ${tree} exited ${code}:\n${output.slice(-2000)}`);
  return { cpu, cam: logLines(output, "camera: finished")[0] };
}

const startup = new Map<string, number>();
for (const t of trees) {
  const c: number[] = [];
  for (let i = 0; i < RUNS; i++) c.push((await agentRun(t.dir, {})).cpu);
  startup.set(t.name, median(c));
}
console.log(
  `start-up CPU (no camera), median: ${trees.map((t) => `${t.name} ${fmt(startup.get(t.name)!)} s`).join(", ")}`,
);
console.log(`base: ${trees[0].dir}\nthis: ${trees[1].dir}\n`);
console.log(
  "video                           | tree | tracks      | events      | CPU s (median, range) | CPU ms per track (median, range) | / ffmpeg alone",
);
console.log(
  "--------------------------------|------|-------------|-------------|-----------------------|----------------------------------|---------------",
);
const range = (v: number[], d: number) => {
  const lo = fmt(Math.min(...v), d);
  const hi = fmt(Math.max(...v), d);
  return lo === hi ? lo : `${lo}-${hi}`;
};
for (const v of videos) {
  const path = join(VIDEO_DIR, v.file);
  if (!existsSync(path)) continue;
  const res = new Map(trees.map((t) => [t.name, [] as { cpu: number; tracks: number; events: number }[]]));
  const ff: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    ff.push(await ffmpegAlone(path));
    for (const t of trees) {
      const r = await agentRun(t.dir, { v: { id: "v", source: path, ...v.cam } });
      res.get(t.name)!.push({
        cpu: Math.max(0, r.cpu - startup.get(t.name)!),
        tracks: Number(r.cam.tracks),
        events: Number(r.cam.events),
      });
    }
  }
  for (const t of trees) {
    const rs = res.get(t.name)!;
    const per = rs.map((r) => (1000 * r.cpu) / Math.max(1, r.tracks));
    console.log(
      `${v.file.padEnd(31)} | ${t.name} | ${range(
        rs.map((r) => r.tracks),
        0,
      ).padStart(11)} | ${range(
        rs.map((r) => r.events),
        0,
      ).padStart(11)} | ${`${fmt(median(rs.map((r) => r.cpu)))} (${range(
        rs.map((r) => r.cpu),
        2,
      )})`.padStart(
        21,
      )} | ${`${fmt(median(per), 0)} (${range(per, 0)})`.padStart(32)} | ${fmt(median(rs.map((r) => r.cpu)) / median(ff), 1).padStart(13)}x`,
    );
  }
  console.log(`${"".padEnd(31)} | ffmpeg alone: ${fmt(median(ff))} (${range(ff, 2)}) CPU s`);
}
console.log(
  `\n${RUNS} run(s) per checkout, alternating; CPU of the agent process (with its face workers) and its ffmpeg, minus start-up; ratio: median agent CPU / median CPU of ffmpeg alone; load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}.`,
);
