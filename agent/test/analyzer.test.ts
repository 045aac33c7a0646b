/**
 * The per-frame analyzer on real frames with the real face pipeline: which regions the detector
 * is asked to search (the search cadence) and that a tracked face is followed on every frame.
 * The engine is the real FacePipeline behind a wrapper that records the regions it was given.
 * And, with a scripted engine and an injected clock, what happens between frames: tracks end by
 * wall-clock time when no frame comes, but not while frames are being analyzed.
 */
import { spawnSync } from "node:child_process";
import {
  type AnalyzedFace,
  type Box,
  type FaceEngine,
  FacePipeline,
  type FrameDetection,
  type Rect,
  type RgbImage,
} from "@argus/shared";
import { CameraSchema } from "@argus/shared/config/schema";
import type { FrameOptions } from "@argus/shared/face/pipeline";
import { beforeAll, describe, expect, it } from "vitest";
import { FrameAnalyzer } from "../src/camera/analyzer.ts";
import type { Frame } from "../src/ingest/cameraSource.ts";
import { FFMPEG_PATH } from "../src/ingest/ffmpeg.ts";
import { HAS_DATA, video } from "./helpers/env.ts";

const W = 1920;
const H = 1080;

/** The first `n` frames of a video at 5 fps, scaled to WxH, as the agent would receive them. */
function decode(name: string, n: number): Frame[] {
  const r = spawnSync(
    FFMPEG_PATH,
    [
      "-loglevel",
      "error",
      "-i",
      video(name),
      "-vf",
      `fps=5,scale=${W}:${H}`,
      "-frames:v",
      String(n),
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
    { maxBuffer: 1 << 28 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  const size = W * H * 3;
  return Array.from({ length: Math.floor(r.stdout.length / size) }, (_, i) => ({
    seq: i,
    streamTimeMs: i * 200,
    capturedAt: Date.now(),
    width: W,
    height: H,
    data: r.stdout.subarray(i * size, (i + 1) * size),
    arrivedAt: performance.now(),
    release() {},
  }));
}

/** The real pipeline, recording the regions it is asked to search and what it found, per frame. */
class RecordingEngine implements FaceEngine {
  frame = -1;
  readonly calls = new Map<number, { regions: Rect[]; boxes: Box[] }>();
  constructor(private readonly inner: FacePipeline) {}
  async analyzeFrame(image: RgbImage, options?: FrameOptions) {
    const dets = await this.inner.analyzeFrame(image, options);
    this.calls.set(this.frame, { regions: options?.regions ?? [], boxes: dets.map((d) => d.box) });
    return dets;
  }
  embed = (f: Parameters<FaceEngine["embed"]>[0]) => this.inner.embed(f);
  process = (i: RgbImage, o?: Parameters<FaceEngine["process"]>[1]) => this.inner.process(i, o);
}

const contains = (r: Rect, b: Box) => b[0] >= r.x && b[1] >= r.y && b[2] <= r.x + r.w && b[3] <= r.y + r.h;
const intersects = (r: Rect, b: Box) => b[0] < r.x + r.w && b[2] > r.x && b[1] < r.y + r.h && b[3] > r.y;
const areaOf = (rs: Rect[]) => rs.reduce((t, r) => t + r.w * r.h, 0);

describe.skipIf(!HAS_DATA)("frame analyzer on the real station-crowd video", () => {
  let pipeline: FacePipeline;
  let frames: Frame[];
  beforeAll(async () => {
    pipeline = await FacePipeline.create();
    frames = decode("station-crowd-1080p.mp4", 10);
  }, 60_000);

  async function run(detection: object) {
    const cam = CameraSchema.parse({ id: "cam", source: "x.mp4", detection: { fullFrameEvery: 0, ...detection } });
    const engine = new RecordingEngine(pipeline);
    const analyzer = new FrameAnalyzer(cam, engine, "t");
    for (const [i, f] of frames.entries()) {
      engine.frame = i;
      await analyzer.process(f);
    }
    return { calls: engine.calls, ended: analyzer.flush().ended };
  }

  it("searches for new faces every 2nd frame and, in between, only around the tracked faces", async () => {
    expect(frames.length).toBe(10);
    const { calls, ended } = await run({ searchEvery: 2 });
    expect(ended.length).toBeGreaterThanOrEqual(3);
    let followed = 0;
    for (let i = 3; i < frames.length; i += 2) {
      const c = calls.get(i);
      const before = calls.get(i - 1);
      expect(c, `frame ${i} searched around its tracks`).toBeDefined();
      if (!c || !before) continue;
      // Small regions around the faces of the frame before (motion covers most of this busy scene).
      expect(areaOf(c.regions)).toBeLessThan(0.6 * W * H);
      // Each region is around a face tracked before (the frame before, or earlier for a face briefly
      // hidden), or a sliver at the frame's edge: since tracks are relinked by appearance, the woman
      // who crosses the frame at about two face sizes per analyzed frame is one track with her real
      // velocity, and after she leaves the frame her predicted box is clipped to its right edge.
      const seen = [...calls.entries()].filter(([j]) => j < i).flatMap(([, d]) => d.boxes);
      const edgeSliver = (r: Rect) => (r.x + r.w >= W - 1 || r.x <= 0) && r.w < 64;
      for (const r of c.regions) expect(seen.some((b) => intersects(r, b)) || edgeSliver(r)).toBe(true);
      expect(c.regions.some((r) => before.boxes.some((b) => contains(r, b)))).toBe(true);
      followed += c.boxes.length;
    }
    // The tracked faces are still found on those frames.
    expect(followed).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it("with searchEvery 1 every frame is searched wherever there is motion: more area for the detector", async () => {
    const every = await run({ searchEvery: 1 });
    const cadence = await run({ searchEvery: 2 });
    const total = (calls: Map<number, { regions: Rect[] }>) =>
      [...calls.values()].reduce((s, c) => s + areaOf(c.regions), 0);
    expect(total(every.calls)).toBeGreaterThan(1.3 * total(cadence.calls));
    // Same people: the cadence neither loses nor splits many tracks on this clip.
    expect(Math.abs(every.ended.length - cadence.ended.length)).toBeLessThanOrEqual(2);
  }, 120_000);
});

/** Detections by script (one face, or none, per frame); analysis may take (injected) wall-clock time. */
class ScriptedEngine implements FaceEngine {
  /** The next frames in order: the quality of the face they show, or undefined for no face. */
  readonly script: (number | undefined)[] = [];
  constructor(
    private readonly advance: (ms: number) => void = () => {},
    readonly analysisMs = 0,
  ) {}
  async analyzeFrame(): Promise<FrameDetection[]> {
    this.advance(this.analysisMs);
    const q = this.script.shift();
    if (q === undefined) return [];
    const box: Box = [100, 80, 160, 150];
    const face = { box, score: 0.9, quality: { score: q } } as unknown as AnalyzedFace;
    return [{ box, score: 0.9, face }];
  }
  embed = async (f: AnalyzedFace[]) => f;
  process = async () => [];
}

describe("frame analyzer between frames (scripted faces, injected clock)", () => {
  const cam = (extra: object = {}) =>
    CameraSchema.parse({
      id: "cam",
      source: "rtsp://cam",
      motion: { enabled: false },
      detection: { fullFrameEvery: 0, searchEvery: 1 },
      tracking: { timeoutMs: 2000 },
      ...extra,
    });
  const frame = (streamTimeMs: number, arrivedAt: number): Frame => ({
    seq: streamTimeMs / 200,
    streamTimeMs,
    capturedAt: Date.now(),
    width: 320,
    height: 240,
    data: Buffer.alloc(320 * 240 * 3),
    arrivedAt,
    release() {},
  });

  it("a camera stops sending frames: the track ends timeoutMs of wall-clock time after the face was seen", async () => {
    let wall = 50_000;
    const engine = new ScriptedEngine();
    const a = new FrameAnalyzer(cam(), engine, "t", { realtime: true, now: () => wall });
    engine.script.push(0.5, 0.4, 0.3);
    for (let k = 0; k < 3; k++) {
      wall = 50_000 + 200 * k;
      await a.process(frame(200 * k, wall));
      wall += 30; // the frame's analysis
    }
    expect(a.liveTracks).toBe(1);
    // No frame comes: the last one (face seen, stream 400) arrived at wall 50_400.
    wall = 50_400 + 2000;
    expect(a.expire()).toEqual({ shots: [], ended: [] });
    wall = 50_400 + 2001;
    const r = a.expire();
    expect(r.ended.length).toBe(1);
    expect(r.shots.map((x) => [x.trackId, x.mode, x.quality, x.payload.frame.streamTimeMs])).toEqual([
      [r.ended[0].id, "offline", 0.5, 0],
    ]);
    expect(a.liveTracks).toBe(0);
    expect(a.held).toEqual({ tracks: 0, shots: 0 });
  });

  it("realtime best shots: a better shot waiting for its interval goes out by the clock", async () => {
    let wall = 0;
    const engine = new ScriptedEngine();
    const a = new FrameAnalyzer(cam({ bestShot: { mode: "realtime", minIntervalMs: 1000 } }), engine, "t", {
      now: () => wall,
    });
    engine.script.push(0.4, 0.9);
    expect((await a.process(frame(0, 0))).shots.length).toBe(1);
    // A clearly better shot 200 ms later must wait for the interval; then the camera stops.
    wall = 200;
    expect((await a.process(frame(200, 200))).shots).toEqual([]);
    wall = 999;
    expect(a.expire().shots).toEqual([]);
    wall = 1000;
    const r = a.expire();
    expect(r.ended).toEqual([]);
    expect(r.shots.map((x) => [x.seq, x.quality, x.mode])).toEqual([[1, 0.9, "realtime"]]);
  });

  it("a file read fast, analyzed slower than real time: analysis time does not end tracks", async () => {
    let wall = 0;
    // 3 s of wall clock per 200 ms frame.
    const engine = new ScriptedEngine((ms) => (wall += ms), 3000);
    const a = new FrameAnalyzer(cam({ source: "video.mp4" }), engine, "t", { realtime: false, now: () => wall });
    engine.script.push(0.5, undefined, undefined, 0.5);
    for (let k = 0; k < 4; k++) {
      const r = await a.process(frame(200 * k, wall));
      expect(r.stats!.endedTracks).toBe(0);
      wall += 2500; // making the frame's events (embedding, crops) is the agent's time too
      a.frameDone();
      wall += 100; // waiting for ffmpeg: the only time that counts between frames
      expect(a.expire().ended).toEqual([]);
    }
    expect(a.liveTracks).toBe(1);
    // Without frames (the decoder stuck), more than 2 s of waiting since the face was seen (stream 600) end it.
    wall += 1900;
    expect(a.expire().ended).toEqual([]);
    wall += 1;
    expect(a.expire().ended.length).toBe(1);
  });
});
