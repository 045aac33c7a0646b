/**
 * Identities the server can trust, agent side: track templates (the selector's template shots,
 * the event's template, shots, face check and track evidence) and appearance in tracking
 * (relinking a face that moved beyond the gate, refusing a switch to another face).
 */
import { type AnalyzedFace, type Box, embeddingFromBase64, type FaceEngine, type RgbImage } from "@argus/shared";
import { describe, expect, it } from "vitest";
import { BestShotSelector } from "../src/bestshot/selector.ts";
import type { Shot, ShotPayload } from "../src/bestshot/shot.ts";
import { buildFaceEvent, templateOf } from "../src/publish/event.ts";
import { Tracker } from "../src/tracking/tracker.ts";

describe("BestShotSelector template shots", () => {
  it("keeps the track's best shots, apart in time, and every chosen shot carries them", () => {
    const s = new BestShotSelector<string>({
      mode: "offline",
      minQuality: 0.1,
      minIntervalMs: 0,
      improvement: 0,
      templateShots: 3,
      templateGapMs: 400,
    });
    let made = 0;
    const offer = (q: number, t: number) =>
      s.offer("t", q, t, () => {
        made++;
        return `q${q}@${t}`;
      });
    offer(0.5, 0);
    offer(0.55, 200); // 200 ms after a kept shot: replaces it (better)
    offer(0.3, 400); // near the kept 200: worse, not kept
    offer(0.2, 800);
    offer(0.4, 1400);
    offer(0.6, 2000); // room is full: replaces the worst (0.2 @ 800)
    offer(0.05, 2600); // below minQuality
    expect(made).toBe(5);
    const [c] = s.end("t");
    expect(c.payload).toBe("q0.6@2000");
    expect(c.shots.map((k) => k.payload)).toEqual(["q0.55@200", "q0.4@1400", "q0.6@2000"]);
  });

  it("realtime: each sent shot carries the template shots so far", () => {
    const s = new BestShotSelector<string>({
      mode: "realtime",
      minQuality: 0.3,
      minIntervalMs: 1000,
      improvement: 0.1,
    });
    expect(s.offer("t", 0.4, 0, () => "a")[0].shots.map((k) => k.payload)).toEqual(["a"]);
    s.offer("t", 0.35, 600, () => "b"); // not sent, but a template shot
    const [c] = s.offer("t", 0.7, 1200, () => "c");
    expect(c.payload).toBe("c");
    expect(c.shots.map((k) => k.payload)).toEqual(["a", "b", "c"]);
  });
});

describe("Tracker with appearance", () => {
  const o = { timeoutMs: 1000, maxDurationMs: 60_000, minIou: 0.15 };
  const b = (x: number, y: number, s = 60): Box => [x, y, x + s, y + s];

  it("a face that moves beyond the gate between two frames continues its track when it looks the same", () => {
    const run = (sim: number | undefined) => {
      const t = new Tracker(o, "c-");
      const id = t.update([{ box: b(100, 100) }], 0).assigned[0].track.id;
      // 1.8 face sizes in 200 ms, from a standstill: beyond the position gate.
      const dets = [{ box: b(208, 100) }];
      const q = t.appearanceQueries(dets, 200);
      expect(q.map((x) => [x.track.id, x.det, x.kind])).toEqual([[id, 0, "relink"]]);
      const u = t.update(dets, 200, sim === undefined ? undefined : () => sim);
      return { id, u };
    };
    const same = run(0.7);
    expect(same.u.assigned[0]).toMatchObject({ isNew: false, track: { id: same.id, relinks: 1 } });
    expect(same.u.relinked).toBe(1);
    // Another face there, or no appearance known: a new track, as before.
    expect(run(0.1).u.assigned[0].isNew).toBe(true);
    expect(run(undefined).u.assigned[0].isNew).toBe(true);
  });

  it("a face that comes back shortly after its track ended starts a track that names the old one", () => {
    const t = new Tracker(o, "c-");
    const id = t.update([{ box: b(100, 100) }], 0).assigned[0].track.id;
    expect(t.update([], 1100).ended.map((x) => x.id)).toEqual([id]);
    const dets = [{ box: b(150, 110) }];
    expect(t.appearanceQueries(dets, 1600).map((x) => x.kind)).toEqual(["relink"]);
    const u = t.update(dets, 1600, () => 0.6);
    expect(u.assigned[0]).toMatchObject({ isNew: true, track: { continues: id } });
    // Past the relink window: nothing to ask.
    const t2 = new Tracker({ ...o, relinkMs: 500 }, "c-");
    t2.update([{ box: b(100, 100) }], 0);
    t2.update([], 1100);
    expect(t2.appearanceQueries(dets, 1700)).toEqual([]);
  });

  it("refuses a weak continuation by a clearly different face (no switch to the person behind)", () => {
    const t = new Tracker(o, "c-");
    const id = t.update([{ box: b(100, 100) }], 0).assigned[0].track.id;
    // Overlapping little with the prediction: matched by distance, so verified.
    const dets = [{ box: b(150, 120) }];
    expect(t.appearanceQueries(dets, 200).map((x) => x.kind)).toEqual(["verify"]);
    const u = t.update(dets, 200, () => -0.05);
    expect(u.refused).toBe(1);
    expect(u.assigned[0].isNew).toBe(true);
    expect(u.assigned[0].track.id).not.toBe(id);
    // A strong overlap is not questioned.
    expect(t.appearanceQueries([{ box: b(152, 121) }], 400).some((x) => x.kind === "verify")).toBe(false);
  });
});

describe("face event: template, shots, face check, track", () => {
  const vec = (k: number) => {
    const v = new Float32Array(512);
    v[k] = 1;
    return v;
  };
  const img = (w: number, h: number): RgbImage => ({ data: new Uint8Array(w * h * 3).fill(120), width: w, height: h });
  const geometry = {
    eyeBox: 0.45,
    eyeNose: 0.55,
    noseMouth: 0.55,
    spread: 1.05,
    disagree: 0.03,
    yaw: 0,
    pitch: 0,
    roll: 0,
  };
  const face = (q: number, k: number, looks: number): AnalyzedFace => ({
    box: [10, 10, 70, 80],
    score: 0.9,
    landmarks68: [],
    landmarks5: [
      [30, 40],
      [50, 40],
      [40, 50],
      [32, 62],
      [48, 62],
    ],
    aligned: img(112, 112),
    quality: {
      score: q,
      detScore: 0.9,
      sizePx: 70,
      interocularPx: 20,
      sharpness: 100,
      yaw: 0,
      pitch: 0,
      roll: 0,
      brightness: 120,
      contrast: 30,
    },
    geometry,
    // Embedding k, second looks both `looks` (set by the engine below).
    attributes: { age: k, gender: looks > 0.5 ? "male" : "female" },
  });
  /** Embeds face k as unit vector k (the age field above) and gives the second look it was made with. */
  const engine: FaceEngine & { calls: number[] } = {
    calls: [],
    async embed(faces, options) {
      engine.calls.push(faces.length);
      for (const f of faces) {
        f.embedding ??= vec(f.attributes!.age!);
        if (options?.check) f.secondLook = { padded: f.attributes!.gender === "male" ? 0.95 : 0.1, context: 0.9 };
      }
      return faces;
    },
    analyzeFrame: async () => [],
    process: async () => [],
  };
  const payload = (f: AnalyzedFace, t: number): ShotPayload => ({
    face: f,
    context: img(64, 64),
    frame: { width: 640, height: 480, capturedAt: Date.now(), streamTimeMs: t, seq: t / 200, arrivedAt: 0 },
  });

  it("the template is the quality-weighted mean of the passing shots; a failing chosen shot gives way to the best passing one", async () => {
    // The chosen (best) shot fails the second look (a jacket frame); two others pass.
    const members = [
      { quality: 0.6, atMs: 0, payload: payload(face(0.6, 1, 0.9), 0) },
      { quality: 0.8, atMs: 400, payload: payload(face(0.8, 2, 0.1), 400) },
      { quality: 0.2, atMs: 800, payload: payload(face(0.2, 3, 0.9), 800) },
    ];
    const shot: Shot = {
      trackId: "cam-1",
      seq: 0,
      quality: 0.8,
      atMs: 400,
      payload: members[1].payload,
      shots: members,
      mode: "offline",
      chosenAt: 0,
      track: { frames: 9, durationMs: 1600, continues: "cam-0" },
    };
    engine.calls.length = 0;
    const ev = await buildFaceEvent(shot, { agentId: "a", cameraId: "cam", engine, jpegQuality: 80 });
    expect(engine.calls).toEqual([3]); // one batched call for the three shots
    expect(ev.faceCheck).toMatchObject({ passed: true, failed: [] });
    expect(ev.streamTimeMs).toBe(0); // the best passing shot
    expect(ev.quality.score).toBe(0.6);
    expect(ev.track).toEqual({ frames: 9, durationMs: 1600, continues: "cam-0" });
    expect(ev.embedding.shots?.map((s) => s.quality)).toEqual([0.6, 0.2]);
    const t = embeddingFromBase64(ev.embedding.template!);
    // 0.6 * e1 + 0.2 * e3, renormalized.
    expect(t[1]).toBeCloseTo(0.6 / Math.hypot(0.6, 0.2), 5);
    expect(t[3]).toBeCloseTo(0.2 / Math.hypot(0.6, 0.2), 5);
    expect(t[2]).toBe(0);
  });

  it("when no shot passes, the event says so and its template is made of all shots", async () => {
    const members = [
      { quality: 0.5, atMs: 0, payload: payload(face(0.5, 4, 0.1), 0) },
      { quality: 0.4, atMs: 400, payload: payload(face(0.4, 5, 0.1), 400) },
    ];
    const shot: Shot = {
      trackId: "cam-2",
      seq: 0,
      quality: 0.5,
      atMs: 0,
      payload: members[0].payload,
      shots: members,
      mode: "offline",
      chosenAt: 0,
    };
    const ev = await buildFaceEvent(shot, { agentId: "a", cameraId: "cam", engine, jpegQuality: 80 });
    expect(ev.faceCheck).toMatchObject({ passed: false, failed: ["second-look"] });
    expect(ev.embedding.shots).toHaveLength(2);
    expect(ev.track).toBeUndefined();
    const t = templateOf([
      { embedding: vec(4), quality: 0.5 },
      { embedding: vec(5), quality: 0.4 },
    ]);
    expect(embeddingFromBase64(ev.embedding.template!)).toEqual(t);
  });
});
