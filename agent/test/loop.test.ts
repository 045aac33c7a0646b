/** File sources in a loop (`loop: true`, `pnpm start`): ffmpeg's -stream_loop, a real file that never ends. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseAgentConfig, parseCameraConfig } from "@argus/shared/config/agentFiles";
import { CameraSettingsSchema } from "@argus/shared/config/schema";
import { filter, firstValueFrom, lastValueFrom, take, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { CameraSource, type SourceEvent } from "../src/ingest/cameraSource.ts";
import { FFMPEG_PATH } from "../src/ingest/ffmpeg.ts";
import { ffmpegPlan, parseSource } from "../src/ingest/source.ts";
import { tempDir } from "./helpers/env.ts";

describe("looping file sources", () => {
  it("plans -stream_loop -1 for files with loop, nothing for live sources or without it", () => {
    const o = { fps: 5, maxWidth: 0, realtime: true, inputOptions: [] };
    const file = parseSource("/v/a.mp4", "/");
    expect(ffmpegPlan(file, { ...o, loop: true }).inputOptions).toEqual([
      "-nostdin",
      "-re",
      "-stream_loop",
      "-1",
      "-threads",
      "1",
    ]);
    expect(ffmpegPlan(file, o).inputOptions).not.toContain("-stream_loop");
    expect(ffmpegPlan(parseSource("rtsp://h/x", "/"), { ...o, loop: true }).inputOptions).not.toContain("-stream_loop");
  });

  it("ARGUS_LOOP_FILES=true turns it on for every camera; a camera file can still say no", () => {
    const agent = parseAgentConfig("id: a\n", "agent.yaml", { ARGUS_LOOP_FILES: "true" });
    expect(agent.ok).toBe(true);
    // cameraDefaults stay raw in agent.yaml's settings; each camera file is validated over them.
    const defaults = agent.ok ? agent.value.cameraDefaults : {};
    const on = parseCameraConfig("id: c\nsource: x.mp4\n", "c.yaml", defaults);
    expect(on.ok && on.value.loop).toBe(true);
    const off = parseCameraConfig("id: c\nsource: x.mp4\nloop: false\n", "c.yaml", defaults);
    expect(off.ok && off.value.loop).toBe(false);
    const plain = parseAgentConfig("id: a\n", "agent.yaml", {});
    const none = parseCameraConfig("id: c\nsource: x.mp4\n", "c.yaml", plain.ok ? plain.value.cameraDefaults : {});
    expect(none.ok && none.value.loop).toBe(false);
  });

  it("a 1 s file plays on past its end, stream time growing, never 'done'", async () => {
    const file = join(tempDir("loop"), "one-second.mp4");
    const r = spawnSync(FFMPEG_PATH, [
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x120:rate=25:duration=1",
      "-pix_fmt",
      "yuv420p",
      file,
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    const run = (loop: boolean) =>
      new CameraSource({
        source: parseSource(file, "/"),
        settings: CameraSettingsSchema.parse({ fps: 5, loop }),
        realtime: false,
      });
    // Once: 5 frames, then done.
    const once = await lastValueFrom(run(false).events$.pipe(toArray()));
    expect(once.filter((e) => e.type === "frame")).toHaveLength(5);
    expect(once.at(-1)).toMatchObject({ type: "state", state: "done" });
    // In a loop: 4 passes' worth of frames, and still streaming (the subscription ends it).
    const seen: SourceEvent[] = [];
    const frames = await firstValueFrom(
      run(true).events$.pipe(
        filter((e) => {
          seen.push(e);
          if (e.type === "frame") e.frame.release();
          return e.type === "frame";
        }),
        take(20),
        toArray(),
      ),
    );
    const times = frames.map((e) => (e.type === "frame" ? e.frame.streamTimeMs : -1));
    expect(times).toEqual(Array.from({ length: 20 }, (_, i) => i * 200));
    expect(seen.some((e) => e.type === "state" && (e.state === "done" || e.state === "failed"))).toBe(false);
  });
});
