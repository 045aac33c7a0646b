/** Real ffmpeg on real videos: exact frames, sizes from stderr, backpressure, drops, and bad input. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CameraSettingsSchema } from "@argus/shared/config/schema";
import { filter, lastValueFrom, map, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { boundedProcess } from "../src/camera/boundedProcess.ts";
import { CameraSource, type Frame, type SourceEvent } from "../src/ingest/cameraSource.ts";
import { FFMPEG_PATH } from "../src/ingest/ffmpeg.ts";
import { parseSource } from "../src/ingest/source.ts";
import { HAS_DATA, tempDir, video } from "./helpers/env.ts";

const settings = (o: object = {}) => CameraSettingsSchema.parse({ fps: 5, ...o });

function source(path: string, realtime: boolean, o: object = {}) {
  return new CameraSource({ source: parseSource(path, "/"), settings: settings(o), realtime });
}

async function collect(src: CameraSource): Promise<SourceEvent[]> {
  return lastValueFrom(src.events$.pipe(toArray()));
}

const states = (evs: SourceEvent[]) =>
  evs.flatMap((e) => (e.type === "state" ? [e.reason ? `${e.state}: ${e.reason}` : e.state] : []));
const frames = (evs: SourceEvent[]) => evs.flatMap((e) => (e.type === "frame" ? [e.frame] : []));

describe("ffmpeg ingestion (lavfi, no data needed)", () => {
  it("decodes a synthetic source to frames of the size ffmpeg reports", async () => {
    const evs = await collect(source("lavfi:testsrc2=size=320x240:rate=25:duration=2", false));
    const f = frames(evs);
    expect(f.length).toBe(10);
    expect(f.every((x) => x.width === 320 && x.height === 240 && x.data.length === 320 * 240 * 3)).toBe(true);
    expect(f.map((x) => x.streamTimeMs)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
    expect(states(evs)).toEqual(["connecting", "streaming", "done"]);
  });
});

describe.skipIf(!HAS_DATA)("ffmpeg ingestion of the videos", () => {
  it("slices the station video into exact full-resolution frames at the analysis rate", async () => {
    const evs = await collect(source(video("station-crowd-1080p.mp4"), false));
    const f = frames(evs);
    // 4.2 s at 5 fps.
    expect(f.length).toBe(21);
    expect(f[0]).toMatchObject({ width: 1920, height: 1080, seq: 0 });
    const info = evs.find((e) => e.type === "info");
    expect(info).toMatchObject({ info: { width: 1920, height: 1080, fps: 5, inputCodec: "h264", inputFps: 25 } });
    // Frame 12 equals what ffmpeg writes for that frame alone (no byte shifted between frames).
    const dir = tempDir("ingest");
    const png = join(dir, "f12.png");
    const r = spawnSync(FFMPEG_PATH, [
      "-loglevel",
      "error",
      "-i",
      video("station-crowd-1080p.mp4"),
      "-vf",
      "fps=5,select=eq(n\\,12)",
      "-vframes",
      "1",
      "-pix_fmt",
      "rgb24",
      "-f",
      "rawvideo",
      png,
    ]);
    expect(r.status).toBe(0);
    const ref = readFileSync(png);
    expect(ref.length).toBe(1920 * 1080 * 3);
    expect(Buffer.compare(ref, f[12].data)).toBe(0);
    expect(Buffer.compare(ref, f[11].data)).not.toBe(0);
  });

  it("as fast as possible: a slow consumer pauses ffmpeg and still gets every frame", async () => {
    const src = source(video("talking-head-3.mp4"), false);
    let drops = 0;
    const done = await lastValueFrom(
      src.events$.pipe(
        filter((e): e is Extract<SourceEvent, { type: "frame" }> => e.type === "frame"),
        map((e) => e.frame),
        boundedProcess(
          async (fr: Frame) => {
            await new Promise((r) => setTimeout(r, 60));
            return fr.seq;
          },
          {
            capacity: 2,
            overflow: "pause",
            pause: () => src.pause(),
            resume: () => src.resume(),
            onDrop: () => drops++,
            onError: () => {},
          },
        ),
        toArray(),
      ),
    );
    // 5.04 s at 5 fps: ffmpeg's fps filter keeps 25 frames (as `-f null` counts).
    expect(done).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(drops).toBe(0);
  });

  it("paced at the recorded rate with drop-oldest (live cameras, fileRate camera): a slow consumer drops stale frames (counted) instead of buffering them", async () => {
    const src = source(video("talking-head-3.mp4"), true, { fps: 10 });
    let drops = 0;
    const t0 = Date.now();
    const done = await lastValueFrom(
      src.events$.pipe(
        filter((e): e is Extract<SourceEvent, { type: "frame" }> => e.type === "frame"),
        map((e) => e.frame),
        boundedProcess(
          async (fr: Frame) => {
            await new Promise((r) => setTimeout(r, 250));
            return fr.seq;
          },
          { capacity: 1, overflow: "drop-oldest", onDrop: () => drops++, onError: () => {} },
        ),
        toArray(),
      ),
    );
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThan(4500); // played at its own pace, not decoded in a burst
    expect(done.length + drops).toBe(50);
    expect(drops).toBeGreaterThan(20);
    // What was analyzed is in order, newest-first after each backlog.
    expect([...done].sort((a, b) => a - b)).toEqual(done);
  });

  it("decodes MPEG-4 Part 2 as well as H.264", async () => {
    const f = frames(await collect(source(video("talking-head-aoc-mpeg4.mp4"), false)));
    expect(f.length).toBe(40);
    expect(f[0]).toMatchObject({ width: 512, height: 512 });
  });

  it("a corrupt or truncated video gives a clear failure, and nothing crashes", async () => {
    const dir = tempDir("ingest");
    const good = readFileSync(video("station-crowd-1080p.mp4"));
    // The index (moov) of this file is at its end: cut it off.
    const truncated = join(dir, "truncated.mp4");
    writeFileSync(truncated, good.subarray(0, Math.floor(good.length * 0.6)));
    // Garbage where the headers are.
    const garbled = Buffer.from(good);
    garbled.fill(0x5a, 0, 64 * 1024);
    const garbledPath = join(dir, "garbled.mp4");
    writeFileSync(garbledPath, garbled);
    const text = join(dir, "notes.mp4");
    writeFileSync(text, "this is not a video\n");

    for (const p of [truncated, garbledPath, text]) {
      const evs = await collect(source(p, false));
      const st = states(evs);
      const last = st[st.length - 1];
      // Either ffmpeg recovered what it could (done), or it failed saying why.
      if (last.startsWith("failed")) {
        expect(last, p).toMatch(/failed: ffmpeg (failed|produced no frame).*(invalid|moov|error|not found|could not)/i);
      } else {
        expect(last, p).toBe("done");
      }
    }
    const st = states(await collect(source(text, false)));
    expect(st[st.length - 1]).toMatch(/^failed: ffmpeg .*Invalid data found when processing input/);
  });

  it("a missing file fails at once with its path", async () => {
    const st = states(await collect(source("/nonexistent/cam.mp4", false)));
    expect(st).toEqual(["failed: source file not found: /nonexistent/cam.mp4"]);
  });
});
