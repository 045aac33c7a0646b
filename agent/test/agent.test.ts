/** The whole agent on real videos with the file sink: CLI --once, event content, hot reload, shutdown, bad input. */
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { embeddingFromBase64, FaceEventSchema } from "@argus/shared";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../src/index.ts";
import { makeConfigDir, readJsonl } from "./helpers/agentDir.ts";
import { type AgentRun, runAgentCli } from "./helpers/cli.ts";
import { HAS_DATA, sleep, tempDir, video, waitFor } from "./helpers/env.ts";

function cli(args: string[]): AgentRun {
  const run = runAgentCli(args);
  spawned.push(run.proc);
  return run;
}

/** CLI processes of this file: none may outlive a failed test. */
const spawned: ChildProcess[] = [];
afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

const quiet = { ARGUS_LOG_LEVEL: "silent" };

/** Pids of processes whose command line mentions `s`. */
function processesWith(s: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(s);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!HAS_DATA)("agent on the videos (file sink)", () => {
  it("CLI --once --fast: one event per track with valid content, crops on disk, exit 0", async () => {
    const out = join(tempDir("out"), "events.jsonl");
    const dir = makeConfigDir(
      { id: "edge-1" },
      { station: { id: "station", source: video("station-crowd-1080p.mp4") } },
    );
    const run = cli(["--config", dir, "--output", out, "--once", "--fast", "--ops-port", "0"]);
    expect(await run.exit).toBe(0);
    const events = readJsonl(out);
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const e of events) {
      expect(FaceEventSchema.safeParse(e).success).toBe(true);
      expect(e).toMatchObject({
        agentId: "edge-1",
        cameraId: "station",
        mode: "offline",
        seq: 0,
        frame: { width: 1920, height: 1080 },
      });
      const [x1, y1, x2, y2] = e.box;
      expect(x1).toBeGreaterThanOrEqual(0);
      expect(x2).toBeLessThanOrEqual(1920);
      expect(y2 - y1).toBeGreaterThanOrEqual(40); // minFaceSize
      expect(e.quality.score).toBeGreaterThanOrEqual(0.1); // minQuality
      const v = embeddingFromBase64(e.embedding.vector);
      expect(Math.hypot(...v)).toBeCloseTo(1, 3);
      expect(e.streamTimeMs).toBeLessThanOrEqual(4200);
      expect(existsSync(join(out, "..", "events_crops", "station", `${e.eventId}_face.jpg`))).toBe(true);
      expect(existsSync(join(out, "..", "events_crops", "station", `${e.eventId}_context.jpg`))).toBe(true);
    }
    // Offline mode: one event per track.
    expect(new Set(events.map((e) => e.trackId)).size).toBe(events.length);
    expect(run.output()).toMatch(/"msg":"agent: stopped"/);
  });

  it("a file at its native rate: every frame analyzed, and the same events in every run (and as with --fast)", async () => {
    const dir = makeConfigDir(
      { id: "edge-1" },
      { station: { id: "station", source: video("station-crowd-1080p.mp4") } },
    );
    /** What an event says about the video (ids and wall-clock times differ from run to run). */
    const content = (e: Record<string, unknown>) => {
      const q = e.quality as { score: number };
      const f = e.frame as { seq?: number };
      return `${e.streamTimeMs} ${(e.box as number[]).map((v) => v.toFixed(1)).join(",")} ${q.score.toFixed(4)} ${f.seq ?? ""}`;
    };
    const runs: { events: string[]; finished: Record<string, unknown>; starting: Record<string, unknown> }[] = [];
    for (const fast of [false, false, true]) {
      const out = join(tempDir("out"), "events.jsonl");
      const run = cli(["--config", dir, "--output", out, "--once", ...(fast ? ["--fast"] : [])]);
      expect(await run.exit).toBe(0);
      const line = (msg: string) =>
        JSON.parse(
          run
            .output()
            .split("\n")
            .find((l) => l.includes(`"msg":"${msg}"`)) ?? "{}",
        );
      runs.push({
        events: readJsonl(out).map(content).sort(),
        finished: line("camera: finished"),
        starting: line("camera: starting"),
      });
    }
    // The start line names the pace and whether stale frames are dropped: nothing to read as a contradiction.
    expect(runs[0].starting).toMatchObject({ pace: "native", dropsStaleFrames: false, bestShot: "offline" });
    expect(runs[0].starting).not.toHaveProperty("realtime");
    expect(runs[2].starting).toMatchObject({ pace: "as-fast-as-possible", dropsStaleFrames: false });
    for (const r of runs) expect(r.finished).toMatchObject({ framesDecoded: 21, framesAnalyzed: 21, framesDropped: 0 });
    expect(runs[0].events.length).toBeGreaterThanOrEqual(3);
    expect(runs[1].events).toEqual(runs[0].events);
    expect(runs[2].events).toEqual(runs[0].events);
  });

  it("a corrupt video fails its camera only; the process goes on and --once exits 1", async () => {
    const bad = join(tempDir("bad"), "corrupt.mp4");
    writeFileSync(bad, Buffer.alloc(200_000, 7));
    const out = join(tempDir("out"), "events.jsonl");
    const dir = makeConfigDir(undefined, {
      bad: { id: "bad", source: bad },
      head: { id: "head", source: video("talking-head-3.mp4"), fileRate: "fast", minQuality: 0.05 },
    });
    const a = await startAgent({
      configDir: dir,
      output: out,
      once: true,
      opsPort: null,
      processMetrics: false,
      env: quiet,
    });
    const res = await a.finished;
    expect(res.exitCode).toBe(1);
    expect(res.failedCameras).toEqual(["bad"]);
    const st = a.status();
    expect(st.cameras.bad).toMatchObject({
      state: "failed",
      reason: expect.stringMatching(/ffmpeg failed: .*Invalid data/),
    });
    expect(st.cameras.head.state).toBe("done");
    expect(readJsonl(out).length).toBeGreaterThan(0);
  });

  it("SIGTERM mid-video: tracks in progress still become events, ffmpeg is closed, exit 0", async () => {
    const out = join(tempDir("out"), "events.jsonl");
    // A path of its own, to find this run's ffmpeg among the processes.
    const link = join(tempDir("src"), "station-sigterm.mp4");
    symlinkSync(video("station-crowd-1080p.mp4"), link);
    const dir = makeConfigDir(undefined, { station: { id: "station", source: link } });
    const run = cli(["--config", dir, "--output", out, "--ops-port", "0"]);
    await waitFor(() => /"state":"streaming"/.test(run.output()), "streaming", 30_000);
    await sleep(2500);
    expect(processesWith(link).length).toBe(1);
    run.proc.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    expect(processesWith(link)).toEqual([]);
    const events = readJsonl(out);
    // The video (4.2 s) was cut short, so these are the tracks ended by the shutdown.
    expect(events.length).toBeGreaterThan(0);
    expect(Math.max(...events.map((e) => e.streamTimeMs))).toBeLessThan(4200);
    expect(run.output()).toMatch(
      /"msg":"agent: stopping".*"reason":"signal SIGTERM"|"reason":"signal SIGTERM".*"msg":"agent: stopping"/,
    );
  });
});

describe("hot reload (synthetic lavfi sources, no data needed)", () => {
  it("adding, changing, breaking and removing camera files takes effect without a restart", async () => {
    const out = join(tempDir("out"), "events.jsonl");
    const src = "lavfi:testsrc2=size=320x240:rate=25";
    const dir = makeConfigDir(undefined, { steady: { id: "steady", source: src, fps: 5 } });
    const a = await startAgent({ configDir: dir, output: out, opsPort: null, processMetrics: false, env: quiet });
    try {
      const cams = () => a.status().cameras;
      await waitFor(() => cams().steady?.state === "streaming", "steady streaming", 20_000);
      const t0 = Date.now();
      const n0 = cams().steady.counters!.framesDecoded;
      const file = join(dir, "cameras", "extra.yaml");

      writeFileSync(file, JSON.stringify({ id: "extra", source: src, fps: 2 }));
      await waitFor(() => cams().extra?.state === "streaming", "the added camera", 20_000);
      expect(cams().extra.fps).toBe(2);

      writeFileSync(file, JSON.stringify({ id: "extra", source: src, fps: 4 }));
      await waitFor(() => cams().extra?.fps === 4 && cams().extra.state === "streaming", "the changed camera", 20_000);

      writeFileSync(file, "id: extra\nsource: x\nmotion:\n  threshold: lots\n");
      await waitFor(() => cams().extra?.state === "disabled", "the broken camera disabled", 20_000);
      expect(cams().extra.reason).toMatch(/extra\.yaml: field 'motion\.threshold': got "lots"; expected number/);
      expect(a.status().configErrors).toEqual([expect.objectContaining({ file })]);

      rmSync(file);
      await waitFor(() => !cams().extra, "the removed camera gone", 20_000);
      expect(a.status().configErrors).toEqual([]);

      // The untouched camera ran throughout (5 fps), never restarted (its counters would have begun again).
      await sleep(600);
      const steady = cams().steady;
      expect(steady.state).toBe("streaming");
      expect(steady.counters!.framesDecoded).toBeGreaterThanOrEqual(
        n0 + Math.floor(((Date.now() - t0) / 1000) * 5 * 0.6),
      );
    } finally {
      const res = await a.stop();
      expect(res.exitCode).toBe(0);
    }
  });

  it("agent.yaml errors name the file and field; a missing sink is refused", async () => {
    const dir = makeConfigDir({ id: "x", spool: { maxEvents: 0 } }, {});
    await expect(startAgent({ configDir: dir, output: "/tmp/x.jsonl", env: quiet })).rejects.toThrow(
      /agent\.yaml: field 'spool\.maxEvents': got 0; expected number to be >=1/,
    );
    const dir2 = makeConfigDir(undefined, {});
    await expect(startAgent({ configDir: dir2, env: quiet })).rejects.toThrow(/nothing to send events to.*--output/);
  });
});
