/** Pure building blocks of the agent: frame slicing, frame pool, backoff, motion, regions, tracking and its clock, best shots, bounded processing. */
import type { Box } from "@argus/shared";
import { MotionSchema } from "@argus/shared/config/schema";
import { backoffDelay } from "@argus/shared/util/backoff";
import { from, lastValueFrom, Subject, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { BestShotSelector } from "../src/bestshot/selector.ts";
import { fullFramePhase } from "../src/camera/analyzer.ts";
import { boundedProcess } from "../src/camera/boundedProcess.ts";
import { cameraPace } from "../src/camera/runner.ts";
import { mergeRects, planRegions } from "../src/detection/regions.ts";
import { FramePool } from "../src/ingest/framePool.ts";
import { FrameSlicer } from "../src/ingest/slicer.ts";
import { ffmpegPlan, parseInputStream, parseOutputStream, parseSource } from "../src/ingest/source.ts";
import { MotionDetector } from "../src/motion/motion.ts";
import { TrackClock } from "../src/tracking/clock.ts";
import { Tracker } from "../src/tracking/tracker.ts";
import { insidePolygon, rasterize } from "../src/util/polygon.ts";
import { sleep, waitFor } from "./helpers/env.ts";

describe("FrameSlicer", () => {
  it("cuts a byte stream into exact frames whatever the chunk boundaries", () => {
    const frameBytes = 12;
    const stream = Buffer.from(Array.from({ length: 12 * 5 + 7 }, (_, i) => i % 251));
    for (const chunk of [1, 5, 12, 13, 40, 100]) {
      const frames: Buffer[] = [];
      const s = new FrameSlicer(frameBytes, (f) => frames.push(Buffer.from(f)));
      for (let o = 0; o < stream.length; o += chunk) s.push(stream.subarray(o, o + chunk));
      expect(frames.length, `chunk ${chunk}`).toBe(5);
      frames.forEach((f, k) => {
        expect(f.equals(stream.subarray(k * 12, k * 12 + 12))).toBe(true);
      });
      expect(s.pending).toBe(7);
    }
  });

  it("rejects a nonsensical frame size", () => {
    expect(() => new FrameSlicer(0, () => {})).toThrow(/invalid frame size/);
  });
});

describe("FramePool", () => {
  it("reuses buffers of the right size, and holds none while the source is down", () => {
    const pool = new FramePool(2);
    const a = pool.take(12);
    const b = pool.take(12);
    pool.give(a);
    pool.give(b);
    expect(pool.idle).toBe(2);
    expect(pool.take(12)).toBe(b);
    pool.give(b);
    // The source is lost: free buffers, and those handed back by frames still in analysis, go.
    pool.clear();
    expect(pool.idle).toBe(0);
    pool.give(a);
    expect(pool.idle).toBe(0);
    // Frames again, of another size (a reconnect): old-size buffers are never handed out.
    const c = pool.take(30);
    expect(c.length).toBe(30);
    pool.give(a);
    pool.give(c);
    expect(pool.take(30)).toBe(c);
    expect(pool.take(30)).not.toBe(a);
    expect(pool.idle).toBe(0);
  });
});

describe("sources and ffmpeg arguments", () => {
  it("classifies sources and resolves relative files against the config directory", () => {
    expect(parseSource("rtsp://u:p@cam/1", "/cfg")).toMatchObject({ kind: "rtsp", live: true });
    expect(parseSource("/dev/video0", "/cfg")).toMatchObject({ kind: "v4l2", live: true });
    expect(parseSource("lavfi:testsrc2", "/cfg")).toMatchObject({ kind: "lavfi", input: "testsrc2", live: false });
    expect(parseSource("../v/a.mp4", "/cfg/x")).toMatchObject({ kind: "file", input: "/cfg/v/a.mp4", live: false });
  });

  it("plans full-resolution RGB at the analysis rate, -re only for files at native rate, tcp for RTSP", () => {
    const file = parseSource("/a.mp4", "/");
    const p = ffmpegPlan(file, { fps: 5, maxWidth: 0, realtime: true, inputOptions: [] });
    expect(p.inputOptions).toContain("-re");
    expect(p.outputOptions.join(" ")).toContain("-vf fps=5 -pix_fmt rgb24 -f rawvideo");
    expect(ffmpegPlan(file, { fps: 5, maxWidth: 0, realtime: false, inputOptions: [] }).inputOptions).not.toContain(
      "-re",
    );
    const rtsp = ffmpegPlan(parseSource("rtsp://h/x", "/"), {
      fps: 5,
      maxWidth: 1280,
      realtime: true,
      inputOptions: [],
    });
    expect(rtsp.inputOptions).toEqual(["-nostdin", "-rtsp_transport", "tcp", "-threads", "1"]);
    // One decoding thread by default; a camera's own -threads wins.
    const own = ffmpegPlan(file, { fps: 5, maxWidth: 0, realtime: false, inputOptions: ["-threads", "4"] });
    expect(own.inputOptions).toEqual(["-nostdin", "-threads", "4"]);
    expect(rtsp.outputOptions.join(" ")).toContain("scale='min(1280,iw)':-2");
  });

  it("reads the frame size and rates from ffmpeg's stderr", () => {
    expect(
      parseOutputStream(
        "    Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 1920x1080, q=2-31, 248832 kb/s, 5 fps, 5 tbn, 5 tbc",
      ),
    ).toEqual({ width: 1920, height: 1080, fps: 5 });
    expect(parseOutputStream("    Stream #0:0(und): Video: h264 (High), yuv420p, 1920x1080, 25 fps")).toBeUndefined();
    expect(
      parseInputStream(
        "    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 826x540 [SAR 1:1 DAR 413:270], 813 kb/s, 25 fps, 25 tbr",
      ),
    ).toEqual({ codec: "h264", width: 826, height: 540, fps: 25 });
  });
});

describe("backoff", () => {
  const o = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2 };
  it("grows exponentially up to the cap", () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(o, a, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
  it("spreads delays by the jitter fraction", () => {
    expect(backoffDelay(o, 2, () => 0)).toBe(1600);
    expect(backoffDelay(o, 2, () => 1)).toBe(2400);
  });
});

describe("polygons", () => {
  const square: [number, number][] = [
    [0.25, 0.25],
    [0.75, 0.25],
    [0.75, 0.75],
    [0.25, 0.75],
  ];
  it("tests points and rasterizes", () => {
    expect(insidePolygon(square, 0.5, 0.5)).toBe(true);
    expect(insidePolygon(square, 0.1, 0.5)).toBe(false);
    const r = rasterize([square], 8, 8);
    expect(r.reduce((a, b) => a + b, 0)).toBe(16);
    expect(r[3 * 8 + 3]).toBe(1);
    expect(r[0]).toBe(0);
  });
});

/** A grey frame with bright rectangles [x0, y0, x1, y1] and optional per-pixel noise. */
function frame(w: number, h: number, rects: Box[], noise = 0, seed = 1): Uint8Array {
  const d = new Uint8Array(w * h * 3).fill(100);
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  if (noise) for (let i = 0; i < d.length; i++) d[i] = 100 + Math.round((rnd() * 2 - 1) * noise);
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) d.fill(220, (y * w + x) * 3, (y * w + x) * 3 + 3);
  }
  return d;
}

describe("MotionDetector", () => {
  const W = 640;
  const H = 360;
  const opts = (o: object = {}) => MotionSchema.parse({ width: 160, ...o });

  it("finds a moving object where it is, and nothing in a still or noisy scene", () => {
    const m = new MotionDetector(opts());
    expect(m.update(frame(W, H, [], 6, 1), W, H).regions).toEqual([]); // first frame: background
    expect(m.update(frame(W, H, [], 6, 2), W, H).regions).toEqual([]); // sensor noise below threshold
    const r = m.update(frame(W, H, [[200, 100, 300, 220]], 6, 3), W, H);
    expect(r.regions.length).toBe(1);
    const g = r.regions[0];
    // The region covers the object, within the morphology's reach (a few motion pixels of 4 source px).
    expect(g.x).toBeLessThanOrEqual(200);
    expect(g.y).toBeLessThanOrEqual(100);
    expect(g.x + g.w).toBeGreaterThanOrEqual(296);
    expect(g.y + g.h).toBeGreaterThanOrEqual(216);
    expect(g.w).toBeLessThan(140);
    expect(r.ratio).toBeGreaterThan(0.03);
    expect(r.ratio).toBeLessThan(0.08);
  });

  it("ignores masked areas and blobs below the minimum area", () => {
    const mask = [
      [
        [0, 0],
        [0.5, 0],
        [0.5, 1],
        [0, 1],
      ],
    ];
    const m = new MotionDetector(opts({ mask, minArea: 0.002 }));
    m.update(frame(W, H, []), W, H);
    // A big object in the masked left half and a small one (16x16 px = 0.1% of the frame) on the right.
    const r = m.update(
      frame(W, H, [
        [50, 50, 250, 250],
        [500, 200, 516, 216],
      ]),
      W,
      H,
    );
    expect(r.regions).toEqual([]);
    // Without the mask and the area floor both are found.
    const m2 = new MotionDetector(opts({ minArea: 0 }));
    m2.update(frame(W, H, []), W, H);
    const r2 = m2.update(
      frame(W, H, [
        [50, 50, 250, 250],
        [500, 200, 516, 216],
      ]),
      W,
      H,
    );
    expect(r2.regions.length).toBe(2);
  });

  it("absorbs a change that stays into the background", () => {
    const m = new MotionDetector(opts({ backgroundRate: 0.5 }));
    m.update(frame(W, H, []), W, H);
    const moved = frame(W, H, [[200, 100, 300, 220]]);
    expect(m.update(moved, W, H).regions.length).toBe(1);
    let last = 1;
    for (let i = 0; i < 40; i++) last = m.update(moved, W, H).regions.length;
    expect(last).toBe(0);
  });
});

describe("planRegions", () => {
  const base = { width: 1920, height: 1080, motion: [], tracks: [], full: false, margin: 0.25, minFaceSize: 40 };
  it("searches nothing without motion or tracks, everything on full-frame passes", () => {
    expect(planRegions(base)).toEqual([]);
    expect(planRegions({ ...base, full: true })).toEqual([{ x: 0, y: 0, w: 1920, h: 1080 }]);
  });
  it("grows, clips and merges motion and track regions", () => {
    const r = planRegions({
      ...base,
      motion: [
        { x: 100, y: 100, w: 200, h: 400 },
        { x: 250, y: 150, w: 200, h: 300 },
      ],
      tracks: [[1800, 1000, 1900, 1080]],
    });
    expect(r.length).toBe(2);
    const right = r.find((q) => q.x > 1000)!;
    expect(right.x + right.w).toBeLessThanOrEqual(1920);
    expect(right.y + right.h).toBeLessThanOrEqual(1080);
    const left = r.find((q) => q.x < 1000)!;
    expect(left.x).toBe(50);
    expect(left.x + left.w).toBe(500);
  });
  it("falls back to one full region when the regions cover most of the frame", () => {
    const r = planRegions({ ...base, motion: [{ x: 0, y: 0, w: 1500, h: 900 }] });
    expect(r).toEqual([{ x: 0, y: 0, w: 1920, h: 1080 }]);
  });
  it("keeps to the detection ROI", () => {
    const roi = { x: 960, y: 0, w: 960, h: 1080 };
    expect(planRegions({ ...base, roi, motion: [{ x: 10, y: 10, w: 100, h: 100 }] })).toEqual([]);
    expect(planRegions({ ...base, roi, full: true })).toEqual([roi]);
  });
  it("mergeRects unions chains of overlaps", () => {
    expect(
      mergeRects([
        { x: 0, y: 0, w: 10, h: 10 },
        { x: 20, y: 0, w: 10, h: 10 },
        { x: 5, y: 0, w: 20, h: 5 },
      ]),
    ).toEqual([{ x: 0, y: 0, w: 30, h: 10 }]);
  });
});

describe("Tracker", () => {
  const o = { timeoutMs: 1000, maxDurationMs: 60_000, minIou: 0.15 };
  const b = (x: number, y: number, s = 60): Box => [x, y, x + s, y + s];

  it("follows several faces, with motion prediction across large steps", () => {
    const t = new Tracker(o, "c-");
    const u0 = t.update([{ box: b(100, 100) }, { box: b(800, 100) }], 0);
    expect(u0.assigned.map((a) => a.isNew)).toEqual([true, true]);
    const ids = u0.assigned.map((a) => a.track.id);
    // Face A walks right by 50 px per 200 ms (IoU with the last box only ~0.1), face B stays.
    for (let k = 1; k <= 6; k++) {
      const u = t.update([{ box: b(800, 100) }, { box: b(100 + 50 * k, 100) }], 200 * k);
      expect(u.assigned.every((a) => !a.isNew)).toBe(true);
      const byX = Object.fromEntries(u.assigned.map((a) => [a.det.box[0] < 700 ? "A" : "B", a.track.id]));
      expect(byX).toEqual({ A: ids[0], B: ids[1] });
    }
  });

  it("bridges a short occlusion near the predicted place, ends a track after the timeout", () => {
    const t = new Tracker(o, "c-");
    const id = t.update([{ box: b(100, 100) }], 0).assigned[0].track.id;
    t.update([{ box: b(130, 100) }], 200);
    expect(t.update([], 400).ended).toEqual([]);
    expect(t.update([], 800).ended).toEqual([]);
    // Re-appears 800 ms later where its motion predicted it.
    const u = t.update([{ box: b(230, 100) }], 1000);
    expect(u.assigned[0].track.id).toBe(id);
    expect(u.assigned[0].isNew).toBe(false);
    expect(t.update([], 2100).ended.map((x) => x.id)).toEqual([id]);
    expect(t.active.length).toBe(0);
    // A face appearing after the timeout starts a new track.
    expect(t.update([{ box: b(240, 100) }], 2200).assigned[0].isNew).toBe(true);
  });

  it("does not join faces of very different size or far away", () => {
    const t = new Tracker(o, "c-");
    t.update([{ box: b(100, 100, 60) }], 0);
    expect(t.update([{ box: b(100, 100, 200) }], 200).assigned[0].isNew).toBe(true);
    expect(t.update([{ box: b(1000, 600, 60) }], 400).assigned.every((a) => a.isNew)).toBe(true);
  });

  it("closes a track at the maximum duration and continues the face in a new one", () => {
    const t = new Tracker({ ...o, maxDurationMs: 1000 }, "c-");
    const first = t.update([{ box: b(100, 100) }], 0).assigned[0].track.id;
    t.update([{ box: b(100, 100) }], 500);
    const u = t.update([{ box: b(100, 100) }], 1000);
    expect(u.ended.map((x) => x.id)).toEqual([first]);
    expect(u.assigned[0].isNew).toBe(true);
    expect(u.assigned[0].track.id).not.toBe(first);
    expect(t.active.length).toBe(1);
  });
});

describe("tracks between frames (TrackClock, injected wall clock)", () => {
  const o = { timeoutMs: 2000, maxDurationMs: 60_000, minIou: 0.15 };
  const face = (x = 100): { box: Box } => ({ box: [x, 100, x + 60, 160] });

  it("a track without frames ends after timeoutMs of wall-clock time", () => {
    let wall = 10_000;
    const clock = new TrackClock(() => wall);
    const t = new Tracker(o, "c-");
    expect(clock.idleNow()).toBeUndefined();
    // A camera: frames at 5 fps, the stream known up to each frame's arrival.
    for (let k = 0; k <= 5; k++) {
      t.update([face()], 200 * k);
      clock.seen(200 * k, 10_000 + 200 * k);
    }
    const id = t.active[0].id;
    // The source dies: no frame comes, nothing else calls update.
    wall = 11_000 + 2000;
    expect(t.expire(clock.idleNow()!)).toEqual([]);
    wall = 11_000 + 2001;
    expect(clock.idleNow()).toBe(1000 + 2001);
    expect(t.expire(clock.idleNow()!).map((x) => x.id)).toEqual([id]);
    expect(t.active).toEqual([]);
  });

  it("a file read fast: time spent analyzing does not count, and the stream-time rule stays", () => {
    let wall = 0;
    const clock = new TrackClock(() => wall);
    const t = new Tracker(o, "c-");
    // Analysis slower than real time: 3 s of wall clock per 200 ms frame. The stream is known up
    // to the end of each frame's analysis; the clock is asked only while no frame waits.
    const step = (streamMs: number, dets: { box: Box }[]) => {
      wall += 3000;
      const u = t.update(dets, streamMs);
      clock.seen(streamMs);
      wall += 50; // waiting for the decoder
      return [...u.ended, ...t.expire(clock.idleNow()!)];
    };
    expect(step(0, [face()])).toEqual([]);
    const id = t.active[0].id;
    expect(step(200, [])).toEqual([]);
    expect(step(400, [])).toEqual([]);
    expect(t.update([face(105)], 600).assigned[0]).toMatchObject({ isNew: false, track: { id } });
    // Faster than real time (10 ms of wall clock per frame): the track ends by stream time.
    const ended: string[] = [];
    for (let s = 800; s <= 2800; s += 200) {
      wall += 10;
      ended.push(...t.update([], s).ended.map((x) => x.id));
      clock.seen(s);
      if (s <= 2600) expect(ended).toEqual([]);
    }
    expect(ended).toEqual([id]);
  });

  it("a file (stallMs): waiting for frames does not age tracks, unless the decoder is stuck longer than stallMs", () => {
    let wall = 0;
    const clock = new TrackClock(() => wall, 2000);
    const t = new Tracker(o, "c-");
    t.update([face()], 0);
    clock.seen(0);
    const id = t.active[0].id;
    // Frames late by up to 2 s (a busy machine, ffmpeg paused): the clock stays at the last frame.
    for (const w of [100, 1500, 2000]) {
      wall = w;
      expect(clock.idleNow()).toBe(0);
      expect(t.expire(clock.idleNow()!)).toEqual([]);
    }
    // The same stream, whenever its frames arrive: the track ends at the frame after 2 s of stream time.
    for (let s = 200; s <= 2000; s += 200) expect(t.update([], s).ended).toEqual([]);
    clock.seen(2000);
    wall = 2000 + 2000;
    expect(clock.idleNow()).toBe(2000);
    // Stuck for longer than stallMs: all of the waiting counts.
    wall = 2000 + 2001;
    expect(clock.idleNow()).toBe(2000 + 2001);
    expect(t.expire(clock.idleNow()!).map((x) => x.id)).toEqual([id]);
  });

  it("realtime: a better shot waiting for its interval goes out when no frame comes", () => {
    let wall = 0;
    const clock = new TrackClock(() => wall);
    const s = new BestShotSelector<string>({
      mode: "realtime",
      minQuality: 0.3,
      minIntervalMs: 1000,
      improvement: 0.1,
    });
    expect(s.offer("t", 0.4, 0, () => "first").map((c) => c.payload)).toEqual(["first"]);
    clock.seen(0, 0);
    expect(s.offer("t", 0.7, 200, () => "better")).toEqual([]);
    clock.seen(200, 200);
    // The camera stops here.
    wall = 900;
    expect(s.tick(clock.idleNow()!)).toEqual([]);
    wall = 1000;
    expect(s.tick(clock.idleNow()!).map((c) => [c.payload, c.seq])).toEqual([["better", 1]]);
  });
});

describe("camera pace and full-frame phase", () => {
  it("names how frames come: live, a file at its rate (every frame), as a camera, or as fast as possible", () => {
    expect(cameraPace(true, "native", false)).toBe("live");
    expect(cameraPace(true, "fast", true)).toBe("live");
    expect(cameraPace(false, "native", false)).toBe("native");
    expect(cameraPace(false, "camera", false)).toBe("camera");
    expect(cameraPace(false, "fast", false)).toBe("as-fast-as-possible");
    expect(cameraPace(false, "native", true)).toBe("as-fast-as-possible");
    expect(cameraPace(false, "camera", true)).toBe("as-fast-as-possible");
  });

  it("the full-frame phase is fixed per camera id, within range, and spread over cameras", () => {
    expect(fullFramePhase("v", 25)).toBe(fullFramePhase("v", 25));
    expect(fullFramePhase("v", 0)).toBe(0);
    expect(fullFramePhase("v", 1)).toBe(0);
    const phases = Array.from({ length: 50 }, (_, i) => fullFramePhase(`cam-${i}`, 25));
    for (const p of phases) {
      expect(Number.isInteger(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(25);
    }
    expect(new Set(phases).size).toBeGreaterThan(10);
  });
});

describe("BestShotSelector", () => {
  it("offline: one shot per track, the best, when the track ends; nothing below minQuality", () => {
    const s = new BestShotSelector<string>({ mode: "offline", minQuality: 0.2, minIntervalMs: 0, improvement: 0 });
    let made = 0;
    const mk = (v: string) => () => {
      made++;
      return v;
    };
    for (const [q, v] of [
      [0.3, "a"],
      [0.6, "b"],
      [0.5, "c"],
      [0.1, "d"],
    ] as const)
      expect(s.offer("t1", q, 0, mk(v))).toEqual([]);
    expect(made).toBe(2); // only shots that became the best were made
    s.offer("t2", 0.1, 0, mk("x"));
    expect(s.end("t1").map((c) => [c.payload, c.seq, c.quality])).toEqual([["b", 0, 0.6]]);
    expect(s.end("t2")).toEqual([]);
    expect(s.end("t1")).toEqual([]);
  });

  it("realtime: first good shot at once, then only clearly better shots after the minimum interval", () => {
    const s = new BestShotSelector<string>({
      mode: "realtime",
      minQuality: 0.3,
      minIntervalMs: 1000,
      improvement: 0.1,
    });
    expect(s.offer("t", 0.2, 0, () => "too low")).toEqual([]);
    expect(s.offer("t", 0.4, 100, () => "first").map((c) => [c.payload, c.seq])).toEqual([["first", 0]]);
    expect(s.offer("t", 0.45, 200, () => "not clearly better")).toEqual([]);
    // Clearly better but inside the interval: it waits...
    expect(s.offer("t", 0.6, 300, () => "better")).toEqual([]);
    expect(s.offer("t", 0.65, 400, () => "better still")).toEqual([]);
    expect(s.tick(900)).toEqual([]);
    // ...and goes out when the interval is over (the best of the waiting ones).
    expect(s.tick(1100).map((c) => [c.payload, c.seq])).toEqual([["better still", 1]]);
    expect(s.tick(5000)).toEqual([]);
    // A later improvement after the interval goes out at once.
    expect(s.offer("t", 0.8, 2200, () => "best").map((c) => [c.payload, c.seq])).toEqual([["best", 2]]);
    // A waiting improvement is sent when the track ends.
    s.offer("t", 0.95, 2300, () => "last");
    expect(s.end("t").map((c) => c.payload)).toEqual(["last"]);
  });
});

describe("boundedProcess", () => {
  const slow = async (x: number) => {
    await new Promise((r) => setTimeout(r, 5));
    return x;
  };

  it("drop-oldest keeps the newest items and counts the drops", async () => {
    const src = new Subject<number>();
    const dropped: number[] = [];
    const out = lastValueFrom(
      src.pipe(
        boundedProcess(slow, {
          capacity: 1,
          overflow: "drop-oldest",
          onDrop: (x) => dropped.push(x),
          onError: () => {},
        }),
        toArray(),
      ),
    );
    for (let i = 0; i < 10; i++) src.next(i);
    src.complete();
    const got = await out;
    expect(got).toEqual([0, 9]);
    expect(dropped).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("pause mode processes everything and pauses the source when full", async () => {
    let paused = 0;
    let resumed = 0;
    const got = await lastValueFrom(
      from([1, 2, 3, 4, 5]).pipe(
        boundedProcess(slow, {
          capacity: 2,
          overflow: "pause",
          pause: () => paused++,
          resume: () => resumed++,
          onError: () => {},
          onComplete: () => 99,
        }),
        toArray(),
      ),
    );
    expect(got).toEqual([1, 2, 3, 4, 5, 99]);
    expect(paused).toBeGreaterThan(0);
    expect(resumed).toBe(paused);
  });

  it("idle work runs on its timer and on wake, only while no item waits or is in progress", async () => {
    const src = new Subject<number>();
    const wake = new Subject<void>();
    const log: string[] = [];
    let inItem = false;
    let overlaps = 0;
    let idleRuns = 0;
    let release!: () => void;
    const got: (number | string)[] = [];
    const done = lastValueFrom(
      src.pipe(
        boundedProcess<number, number | string>(
          async (x) => {
            inItem = true;
            log.push(`item ${x}`);
            if (x === 2) await new Promise<void>((r) => (release = r));
            inItem = false;
            return x;
          },
          {
            capacity: 2,
            overflow: "pause",
            onError: () => {},
            onComplete: () => "end",
            idle: {
              everyMs: 10,
              wake,
              run: () => {
                if (inItem) overlaps++;
                idleRuns++;
                return idleRuns === 1 ? "idle" : undefined;
              },
            },
          },
        ),
        toArray(),
      ),
    ).then((x) => got.push(...x));
    await waitFor(() => idleRuns >= 2, "two idle runs", 2000, 5);
    src.next(1);
    src.next(2);
    await waitFor(() => log.length === 2, "item 2 in progress", 2000, 5);
    // Item 2 is in progress: neither the timer nor a wake runs the idle work...
    const runs = idleRuns;
    wake.next();
    await sleep(50);
    expect(idleRuns).toBe(runs);
    // ...which runs as soon as the item is done, for the wake.
    release();
    await waitFor(() => idleRuns > runs, "the idle run after the item", 2000, 5);
    src.complete();
    await done;
    expect(got).toEqual(["idle", 1, 2, "end"]);
    expect(overlaps).toBe(0);
    // The timer stops with the stream.
    const after = idleRuns;
    await sleep(50);
    expect(idleRuns).toBe(after);
  });

  it("reports a failing item and goes on", async () => {
    const errors: number[] = [];
    const got = await lastValueFrom(
      from([1, 2, 3]).pipe(
        boundedProcess(
          async (x: number) => {
            if (x === 2) throw new Error("bad frame");
            return x;
          },
          { capacity: 5, overflow: "pause", onError: (_e, x) => errors.push(x) },
        ),
        toArray(),
      ),
    );
    expect(got).toEqual([1, 3]);
    expect(errors).toEqual([2]);
  });
});
