/**
 * Streams per machine: how many 1080p 25 fps streams one agent sustains with analysis at 5 fps,
 * for a quiet scene (no motion: an empty part of the station, with sensor noise, 4 Mbit/s) and a
 * busy one (the station crowd), each looped and played at its native rate as a camera
 * (`fileRate: camera`: stale frames are dropped when analysis falls behind). A count is sustained
 * when under 2% of the frames are dropped and ffmpeg keeps real time. In the same run, the same
 * number of ffmpeg processes alone (the agent's decoding: -re, fps=5, RGB to /dev/null) give the
 * floor, and the agent's CPU (its ffmpeg included) is printed as a ratio to it; the agent's RSS
 * after the trial, and per stream, shows its memory per camera.
 *
 *   pnpm exec tsx bench/agent-streams.ts [seconds=15] [counts=1,2,4,6,8] [camera settings JSON] [scenes=quiet,busy]
 *   e.g. ... 20 2,3 '{"detection":{"searchEvery":3}}' busy
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { FFMPEG_PATH } from "../agent/src/ingest/ffmpeg.ts";
import { freePort } from "../agent/test/helpers/env.ts";
import {
  agentCpu,
  configDir,
  fmt,
  getJson,
  getText,
  metric,
  OUT,
  procCpu,
  requireData,
  run,
  runAgent,
  sleep,
  VIDEO_DIR,
} from "./agent-lib.ts";

requireData();
const SECONDS = Number(process.argv[2] ?? 15);
const COUNTS = (process.argv[3] ?? "1,2,4,6,8").split(",").map(Number);
/** Extra camera settings for every stream (a camera file's fields). */
const CAMERA = JSON.parse(process.argv[4] || "{}") as object;
const SCENES = (process.argv[5] ?? "quiet,busy").split(",");
const quiet = join(OUT, "quiet-1080p.mp4");

async function makeQuiet(): Promise<void> {
  if (existsSync(quiet)) return;
  const still = join(OUT, "quiet.png");
  await run(FFMPEG_PATH, [
    "-loglevel",
    "error",
    "-y",
    "-i",
    join(VIDEO_DIR, "station-crowd-1080p.mp4"),
    "-vframes",
    "1",
    "-vf",
    "crop=1920:500:0:0,scale=1920:1080",
    still,
  ]);
  // Constant bit rate with temporal noise: a real camera's stream costs as much to decode when nothing moves.
  const code = await run(FFMPEG_PATH, [
    "-loglevel",
    "error",
    "-y",
    "-loop",
    "1",
    "-i",
    still,
    "-vf",
    "noise=alls=10:allf=t,format=yuv420p",
    "-t",
    "10",
    "-r",
    "25",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-b:v",
    "4M",
    "-minrate",
    "4M",
    "-maxrate",
    "4M",
    "-bufsize",
    "8M",
    "-x264-params",
    "nal-hrd=cbr",
    quiet,
  ]);
  if (code !== 0) throw new Error("could not make the quiet test video");
}

interface Trial {
  streams: number;
  decodedFps: number;
  analyzedFps: number;
  dropPct: number;
  detectPct: number;
  nodeCores: number;
  ffmpegCores: number;
  /** Cores of as many ffmpeg processes alone, decoding the same way. */
  aloneCores: number;
  rssMb: number;
  ok: boolean;
}

/** Resident memory of a process, MB (10^6 bytes). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? (Number(m[1]) * 1024) / 1e6 : Number.NaN;
}

/** CPU cores used by n ffmpeg processes alone doing the agent's decoding of the looped source at its rate. */
async function ffmpegAlone(source: string, n: number): Promise<number> {
  // As the agent's ffmpeg: one decoding thread (agent/src/ingest/source.ts).
  const args = ["-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-threads", "1", "-i", source];
  const procs = Array.from({ length: n }, () =>
    spawn(FFMPEG_PATH, [...args, "-an", "-vf", "fps=5", "-pix_fmt", "rgb24", "-f", "rawvideo", "-y", "/dev/null"], {
      stdio: "ignore",
    }),
  );
  await sleep(2000);
  const cpu = () => procs.reduce((s, p) => s + procCpu(p.pid!), 0);
  const c0 = cpu();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const cores = (cpu() - c0) / ((performance.now() - t0) / 1000);
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(0) : p.once("exit", r)))));
  return cores;
}

async function trial(source: string, n: number): Promise<Trial> {
  const port = await freePort();
  const cams: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    cams[`c${i}`] = {
      id: `c${i}`,
      source,
      fps: 5,
      inputOptions: ["-stream_loop", "-1"],
      fileRate: "camera",
      ...CAMERA,
    };
  }
  const dir = configDir({ id: "bench", ops: { port, statusIntervalMs: 60000 } }, cams);
  const r = runAgent(["--config", dir, "--output", join(dir, "events.jsonl")], { ARGUS_LOG_LEVEL: "warn" });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    await sleep(250);
    try {
      const st = (await getJson(`${base}/status`)) as { cameras: Record<string, { state: string }> };
      if (Object.values(st.cameras).every((c) => c.state === "streaming")) break;
    } catch {
      /* not up yet */
    }
    if (i > 240) throw new Error(`agent did not start: ${r.output().slice(-1000)}`);
  }
  await sleep(2000); // warm-up: background models, first full-frame pass
  const m0 = await getText(`${base}/metrics`);
  const c0 = agentCpu(r.proc.pid!);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const m1 = await getText(`${base}/metrics`);
  const c1 = agentCpu(r.proc.pid!);
  const wall = (performance.now() - t0) / 1000;
  const rss = rssMb(r.proc.pid!);
  r.proc.kill("SIGTERM");
  await r.exit;
  const d = (name: string) => metric(m1, name) - metric(m0, name);
  const decoded = d("argus_agent_frames_decoded_total");
  const analyzed = d("argus_agent_frames_analyzed_total");
  const dropped = d("argus_agent_frames_dropped_total");
  const detected = d("argus_agent_frames_detected_total");
  const decodedFps = decoded / wall / n;
  const dropPct = (100 * dropped) / Math.max(1, decoded);
  return {
    streams: n,
    decodedFps,
    analyzedFps: analyzed / wall / n,
    dropPct,
    detectPct: (100 * detected) / Math.max(1, analyzed),
    nodeCores: (c1.node - c0.node) / wall,
    ffmpegCores: (c1.ffmpeg - c0.ffmpeg) / wall,
    aloneCores: await ffmpegAlone(source, n),
    rssMb: rss,
    ok: dropPct < 2 && decodedFps > 5 * 0.95,
  };
}

await makeQuiet();
console.log(
  `load average at start: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")} (other work on this machine skews the figures)`,
);
for (const [name, src] of [
  ["quiet", quiet],
  ["busy", join(VIDEO_DIR, "station-crowd-1080p.mp4")],
] as const) {
  if (!SCENES.includes(name)) continue;
  console.log(
    `\n${name} scene (${src.split("/").pop()}, looped, native rate), ${SECONDS} s per count, camera settings ${JSON.stringify(CAMERA)}`,
  );
  console.log(
    "streams | decoded fps/stream | analyzed fps/stream | dropped % | detector ran % | agent cores | ffmpeg cores | total cores | ffmpeg alone cores | ratio | RSS MB (per stream) | load 1 min | sustained",
  );
  console.log(
    "--------|--------------------|---------------------|-----------|----------------|-------------|--------------|-------------|--------------------|-------|---------------------|------------|----------",
  );
  let best = 0;
  for (const n of COUNTS) {
    const t = await trial(src, n);
    if (t.ok) best = n;
    console.log(
      `${String(n).padStart(7)} | ${fmt(t.decodedFps).padStart(18)} | ${fmt(t.analyzedFps).padStart(19)} | ${fmt(t.dropPct, 1).padStart(9)} | ${fmt(t.detectPct, 0).padStart(14)} | ${fmt(t.nodeCores).padStart(11)} | ${fmt(t.ffmpegCores).padStart(12)} | ${fmt(t.nodeCores + t.ffmpegCores).padStart(11)} | ${fmt(t.aloneCores).padStart(18)} | ${fmt((t.nodeCores + t.ffmpegCores) / t.aloneCores, 1).padStart(5)} | ${`${fmt(t.rssMb, 0)} (${fmt(t.rssMb / n, 0)})`.padStart(19)} | ${fmt(loadavg()[0]).padStart(10)} | ${t.ok ? "yes" : "no"}`,
    );
    if (!t.ok && n > best * 2) break;
  }
  console.log(`=> ${name}: ${best} stream(s) of 1080p 25 fps sustained at 5 fps analysis on this machine (2 cores)`);
}
