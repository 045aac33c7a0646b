/**
 * The face check (shared/src/face/faceCheck.ts) on real non-faces and real faces: how many
 * non-faces pass, how many faces are rejected, and which check rejects them.
 *
 * Non-faces:
 *   video non-faces  every detection the identity labels mark `non-face` in the six sample videos
 *                    (bench/identity/labels.json: posters, a jacket, a coat, hands, a flag, hi-vis
 *                    vests, pavement), analyzed from its frame as the agent does
 *   group FPs        the detector's false positives on the dlib group photos (every detection at
 *                    the agent's score threshold 0.7 matching no ground-truth box of testing.xml /
 *                    training.xml: IoU < 0.2 and its center in none), plus, as a harder set, those
 *                    between scores 0.5 and 0.7
 * Faces:
 *   LFW              the first face of --lfw images of LFW folds 1-5 (one per person, the detection
 *                    nearest the center)
 *   bbt              the 40 bbt photos
 *   video faces      every detection labelled as a person, at least 40 px high (what the agent
 *                    analyzes and sends with default settings), and, separately, 20-40 px
 *
 *   pnpm exec tsx bench/face-check.ts [--lfw 1000] [--verbose] [--dump <file.json>]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkFace, DEFAULT_FACE_CHECK_LIMITS, type FaceGeometry } from "../shared/src/face/faceCheck.ts";
import { type Box, boxCenter, iou } from "../shared/src/face/geometry.ts";
import { type AnalyzedFace, contextCanvas, FacePipeline } from "../shared/src/face/pipeline.ts";
import { decodeImage } from "../shared/src/image/decode.ts";
import { Pyramid } from "../shared/src/image/resample.ts";
import { isPerson, Labels, NON_FACE } from "./identity/labels.ts";
import { readDlibBoxes, requireData } from "./lib/data.ts";
import { readFrames } from "./lib/videoFrames.ts";

const { values } = parseArgs({
  options: {
    lfw: { type: "string", default: "1000" },
    verbose: { type: "boolean", default: false },
    dump: { type: "string" },
  },
});
const data = requireData();
const pipeline = await FacePipeline.create({ intraOpThreads: 1 });

interface Sample {
  set: string;
  what: string;
  quality: number;
  sizePx: number;
  geometry: FaceGeometry;
  secondLook: number;
  /** The second look on the face in its own surroundings (contextCanvas) instead of padded. */
  contextLook: number;
}
const samples: Sample[] = [];

async function add(set: string, what: string, faces: AnalyzedFace[], src: Pyramid): Promise<void> {
  const looks = await pipeline.secondLook(faces.map((f) => f.aligned));
  const ctx = await pipeline.secondLook(faces.map((f) => contextCanvas(src, f.landmarks5)));
  faces.forEach((f, k) => {
    samples.push({
      set,
      what,
      quality: f.quality.score,
      sizePx: f.quality.sizePx,
      geometry: f.geometry!,
      secondLook: looks[k],
      contextLook: ctx[k],
    });
  });
}

// ---------------------------------------------------------------- the videos' labelled detections
const labels = Labels.load();
const videoDir = join(data, "video");
for (const video of labels.videos) {
  const [width, height] = labels.file.videos[video].frame;
  const entries = labels.entries(video);
  const wanted = new Set(entries.flatMap((e) => e.detections.map((d) => d[0] / 200)));
  const frames = await readFrames(join(videoDir, video), { width, height }, wanted);
  for (const e of entries) {
    const nonFace = e.label === NON_FACE;
    if (!nonFace && !isPerson(e.label)) continue;
    for (const [t, ...b] of e.detections) {
      const frame = frames.get(t / 200);
      if (!frame) continue;
      const box = b as Box;
      const h = box[3] - box[1];
      const set = nonFace
        ? "video non-faces"
        : h >= 40
          ? "video faces >= 40 px"
          : h >= 20
            ? "video faces 20-40 px"
            : "";
      if (!set) continue;
      const pyr = new Pyramid({ data: new Uint8Array(frame.buffer, frame.byteOffset, frame.length), width, height });
      await add(set, `${e.id} ${t} ms`, await pipeline.analyze(pyr, [{ box, score: 1 }]), pyr);
    }
  }
}

// ---------------------------------------------------------------- group photos: false positives
const dlibDir = join(data, "groups", "dlib");
const truth = new Map<string, Box[]>();
for (const x of ["testing.xml", "training.xml"])
  for (const { file, boxes } of readDlibBoxes(join(dlibDir, x)))
    truth.set(file, [...(truth.get(file) ?? []), ...boxes]);
for (const [file, gt] of truth) {
  const img = await decodeImage(readFileSync(join(dlibDir, file)));
  const pyr = new Pyramid(img);
  const dets = await pipeline.detect(pyr, { scoreThreshold: 0.5, minFaceSize: 20 });
  const fps = dets.filter((d) => {
    const [cx, cy] = boxCenter(d.box);
    return gt.every((g) => iou(g, d.box) < 0.2 && !(cx >= g[0] && cx <= g[2] && cy >= g[1] && cy <= g[3]));
  });
  const faces = await pipeline.analyze(pyr, fps);
  for (const [k, f] of faces.entries()) {
    const set = fps[k].score >= 0.7 ? "group FPs (score >= 0.7)" : "group FPs (0.5-0.7)";
    await add(set, `${file} [${f.box.map(Math.round)}] s${fps[k].score.toFixed(2)}`, [f], pyr);
  }
}

// ---------------------------------------------------------------- LFW and bbt
const lfwDir = join(data, "faces", "lfw-dev");
const people = readdirSync(lfwDir).sort();
const nLfw = Math.min(Number(values.lfw), people.length);
for (let i = 0; i < nLfw; i++) {
  const p = people[i];
  const file = readdirSync(join(lfwDir, p)).sort()[0];
  const img = await decodeImage(readFileSync(join(lfwDir, p, file)));
  const faces = await pipeline.process(img, { embed: false });
  const f = faces.sort((a, b) => dist(a.box) - dist(b.box))[0];
  if (f) await add("LFW", `${p}/${file}`, [f], new Pyramid(img));
}
function dist(b: Box): number {
  const [x, y] = boxCenter(b);
  return Math.hypot(x - 125, y - 125);
}
const bbtDir = join(data, "faces", "bbt");
for (const file of readdirSync(bbtDir).sort()) {
  const img = await decodeImage(readFileSync(join(bbtDir, file)));
  const faces = await pipeline.process(img, { embed: false });
  const f = faces.sort((a, b) => b.quality.score - a.quality.score)[0];
  if (f) await add("bbt", file, [f], new Pyramid(img));
}

// ---------------------------------------------------------------- figures
const look = (s: Sample) => ({ padded: s.secondLook, context: s.contextLook });
if (values.dump) writeFileSync(values.dump, JSON.stringify(samples));
const sets = [...new Set(samples.map((s) => s.set))];
const isNonFace = (set: string) => set.includes("non-face") || set.includes("FP");
const L = DEFAULT_FACE_CHECK_LIMITS;
console.log(`face check, limits ${JSON.stringify(L)}\n`);
console.log("set                        |    n | pass | pass % | failed by check (a sample can fail several)");
console.log("---------------------------|------|------|--------|--------------------------------------------");
for (const set of sets) {
  const mine = samples.filter((s) => s.set === set);
  const checks = mine.map((s) => checkFace(s.geometry, look(s)));
  const pass = checks.filter((c) => c.passed).length;
  const by = new Map<string, number>();
  for (const c of checks) for (const f of c.failed) by.set(f, (by.get(f) ?? 0) + 1);
  console.log(
    `${set.padEnd(26)} | ${String(mine.length).padStart(4)} | ${String(pass).padStart(4)} | ${((100 * pass) / mine.length).toFixed(1).padStart(6)} | ${[
      ...by,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
}
// Faces rejected: how usable were they (quality)?
console.log("\nreal faces rejected, by quality: q < 0.2 | 0.2-0.4 | >= 0.4 (of all faces in that band)");
for (const set of sets.filter((s) => !isNonFace(s))) {
  const mine = samples.filter((s) => s.set === set);
  const band = (lo: number, hi: number) => {
    const b = mine.filter((s) => s.quality >= lo && s.quality < hi);
    const rej = b.filter((s) => !checkFace(s.geometry, look(s)).passed).length;
    return `${rej}/${b.length}`;
  };
  console.log(
    `  ${set.padEnd(26)} ${band(0, 0.2).padStart(7)} | ${band(0.2, 0.4).padStart(7)} | ${band(0.4, 2).padStart(7)}`,
  );
}
// Per labelled person of the videos (a track's event carries its best shot that passes): people
// with at least one shot of quality >= 0.1 (the agent's minQuality) and none of them passing.
console.log("\nvideo people (labelled entries) with shots of quality >= 0.1 none of which passes:");
{
  const faces = samples.filter((s) => s.set.startsWith("video faces") && s.quality >= 0.1);
  const byEntry = new Map<string, Sample[]>();
  for (const s of faces) {
    const id = s.what.split(" ")[0];
    byEntry.set(id, [...(byEntry.get(id) ?? []), s]);
  }
  const none = [...byEntry].filter(([, ss]) => !ss.some((s) => checkFace(s.geometry, look(s)).passed));
  console.log(
    `  ${none.length} of ${byEntry.size}${none.length ? `: ${none.map(([id, ss]) => `${id} (${ss.length} shots)`).join(", ")}` : ""}`,
  );
}
// Each second look alone.
console.log("\nsecond looks alone, samples below their limit: padded aligned crop | the face in its surroundings");
for (const set of sets) {
  const mine = samples.filter((s) => s.set === set);
  const below = (f: (s: Sample) => number, lim: number) => mine.filter((s) => f(s) < lim).length;
  console.log(
    `  ${set.padEnd(26)} ${String(below((s) => s.secondLook, L.secondLook)).padStart(4)} | ${String(below((s) => s.contextLook, L.contextLook)).padStart(4)} of ${mine.length}`,
  );
}
// Score distributions (to choose the limits).
const keys = [
  "eyeBox",
  "eyeNose",
  "noseMouth",
  "spread",
  "disagree",
  "yaw",
  "pitch",
  "secondLook",
  "contextLook",
] as const;
const value = (s: Sample, k: (typeof keys)[number]) =>
  k === "secondLook" ? s.secondLook : k === "contextLook" ? s.contextLook : s.geometry[k];
const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
};
console.log("\nscore percentiles per set: p1 p5 p50 p95 p99");
for (const k of keys) {
  console.log(`  ${k}`);
  for (const set of sets) {
    const v = samples.filter((s) => s.set === set).map((s) => value(s, k));
    console.log(`    ${set.padEnd(26)} ${[1, 5, 50, 95, 99].map((p) => pct(v, p).toFixed(3).padStart(8)).join(" ")}`);
  }
}
console.log("\nnon-faces that pass:");
for (const s of samples.filter((x) => isNonFace(x.set) && checkFace(x.geometry, look(x)).passed))
  console.log(
    `  ${s.set}: ${s.what} q${s.quality.toFixed(2)} ${JSON.stringify(checkFace(s.geometry, look(s)).scores)}`,
  );
if (values.verbose) {
  console.log("\nfaces rejected:");
  for (const s of samples.filter((x) => !isNonFace(x.set)))
    if (!checkFace(s.geometry, look(s)).passed)
      console.log(
        `  ${s.set}: ${s.what} q${s.quality.toFixed(2)} ${checkFace(s.geometry, look(s)).failed.join(",")} ${JSON.stringify(checkFace(s.geometry, look(s)).scores)}`,
      );
}
