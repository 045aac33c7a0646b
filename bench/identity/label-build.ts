/**
 * Builds bench/identity/labels.json from the hand labels (bench/identity/labelling.json) and the
 * recordings they refer to (record.ts output, outside the repository). For each recording in order,
 * every detection of every track gets the entry its track (or track segment) was given by hand;
 * detections without a hand label get the entry of a labelled detection of the same frame that
 * overlaps them (IoU >= 0.5). Detections left unlabelled, tracks given by hand that do not exist,
 * and hand labels that contradict earlier ones are listed; with any, nothing is written (exit 1)
 * unless --report (print only).
 *
 *   pnpm exec tsx bench/identity/label-build.ts [--report] [--out bench/identity/labels.json]
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type Box,
  iou,
  LABELS_PATH,
  type LabelledEntry,
  Labels,
  type LabelsFile,
  NON_FACE,
  type Sample,
  UNSURE,
  type VideoLabels,
} from "./labels.ts";
import { VIDEOS } from "./videos.ts";

const { values } = parseArgs({
  options: { report: { type: "boolean", default: false }, out: { type: "string", default: LABELS_PATH } },
});

type Assign = string | [string, number, number][];
interface Input {
  recordings: { name: string; dir: string; command: string; note?: string }[];
  entries: Record<string, { label: "person" | "non-face" | "unsure"; description: string }>;
  tracks: Record<string, Record<string, Record<string, Assign>>>;
}
interface RecTrack {
  n: number;
  id: string;
  dets: [number, number, number, number, number, number, number | null][];
  events: unknown[];
}

const input = JSON.parse(readFileSync(join(import.meta.dirname, "labelling.json"), "utf8")) as Input;
for (const [id, e] of Object.entries(input.entries))
  if (!["person", NON_FACE, UNSURE].includes(e.label))
    throw new Error(`entry ${id}: label must be person, non-face or unsure`);

/** Labelled detections so far, per camera. */
const labelled = new Map<string, { t: number; box: Box; id: string }[]>();
const frames = new Map<string, [number, number]>();
const problems: string[] = [];
type Counts = VideoLabels["counts"][string];
/** Tracks by class, per camera and recording. */
const counts = new Map<string, Record<string, Counts>>();

for (const rec of input.recordings) {
  const hand = input.tracks[rec.name] ?? {};
  for (const v of VIDEOS) {
    let tracks: RecTrack[];
    try {
      const rec0 = JSON.parse(readFileSync(join(rec.dir, v.camera, "tracks.json"), "utf8"));
      tracks = rec0.tracks;
      if (rec0.frame && !frames.has(v.camera)) frames.set(v.camera, rec0.frame);
    } catch {
      problems.push(`${rec.name}: ${v.camera}: no recording in ${rec.dir} (run: ${rec.command})`);
      continue;
    }
    const rows = labelled.get(v.camera) ?? [];
    labelled.set(v.camera, rows);
    const byHand = hand[v.camera] ?? {};
    for (const n of Object.keys(byHand))
      if (!tracks.some((t) => String(t.n) === n)) problems.push(`${rec.name}: ${v.camera} #${n}: no such track`);
    const c = { tracks: tracks.length, identities: 0, nonFaceTracks: 0, unsureTracks: 0, mixedTracks: 0 };
    const people = new Set<string>();
    for (const tr of tracks) {
      const a = byHand[String(tr.n)];
      const got: string[] = [];
      for (const [t, x1, y1, x2, y2] of tr.dets) {
        const box: Box = [x1, y1, x2, y2];
        let id: string | undefined;
        if (typeof a === "string") id = a;
        else if (a) id = a.find(([, from, to]) => t >= from && t <= to)?.[0];
        const prior = rows.filter((r) => r.t === t && iou(r.box, box) >= 0.5);
        if (id === undefined) {
          id = prior.sort((p, q) => iou(q.box, box) - iou(p.box, box))[0]?.id;
          if (id === undefined) {
            problems.push(`${rec.name}: ${v.camera} #${tr.n}: ${t} ms [${box}] unlabelled`);
            continue;
          }
        } else {
          if (!input.entries[id]) problems.push(`${rec.name}: ${v.camera} #${tr.n}: unknown entry '${id}'`);
          const clash = prior.find((p) => p.id !== id);
          if (clash) problems.push(`${rec.name}: ${v.camera} #${tr.n}: ${t} ms labelled ${id}, earlier ${clash.id}`);
        }
        got.push(id);
        if (!rows.some((r) => r.t === t && r.id === id && iou(r.box, box) >= 0.7)) rows.push({ t, box, id });
      }
      if (got.length > 0) {
        const classes = [...new Set(got.map((id) => input.entries[id]?.label))];
        const labels = new Set(
          got.map((id) => (input.entries[id]?.label === "person" ? id : input.entries[id]?.label)),
        );
        if (labels.size > 1) c.mixedTracks++;
        if (classes.length === 1 && classes[0] === NON_FACE) c.nonFaceTracks++;
        if (classes.length === 1 && classes[0] === UNSURE) c.unsureTracks++;
        for (const id of got) if (input.entries[id]?.label === "person") people.add(id);
      }
    }
    c.identities = people.size;
    counts.set(v.camera, { ...counts.get(v.camera), [rec.name]: c });
  }
}

const videos: Record<string, VideoLabels> = {};
for (const v of VIDEOS) {
  const rows = labelled.get(v.camera) ?? [];
  const entries: LabelledEntry[] = [];
  for (const id of [...new Set(rows.map((r) => r.id))]) {
    const e = input.entries[id];
    const detections = rows
      .filter((r) => r.id === id)
      .sort((a, b) => a.t - b.t || a.box[0] - b.box[0])
      .map((r) => [r.t, ...r.box] as Sample);
    entries.push({ id, label: e.label === "person" ? id : e.label, description: e.description, detections });
  }
  entries.sort((a, b) => a.detections[0][0] - b.detections[0][0] || a.id.localeCompare(b.id));
  videos[v.file] = {
    camera: v.camera,
    frame: frames.get(v.camera) ?? [0, 0],
    counts: counts.get(v.camera) ?? {},
    entries,
  };
}

for (const [file, v] of Object.entries(videos)) {
  const people = v.entries.filter((e) => e.label !== NON_FACE && e.label !== UNSURE).length;
  const dets = v.entries.reduce((s, e) => s + e.detections.length, 0);
  console.log(`${file}: ${people} persons, ${v.entries.length - people} other entries, ${dets} labelled detections`);
  for (const [rec, c] of Object.entries(v.counts))
    console.log(
      `  ${rec.padEnd(10)} tracks ${c.tracks}, persons ${c.identities}, non-face tracks ${c.nonFaceTracks}, unsure tracks ${c.unsureTracks}, mixed tracks ${c.mixedTracks}`,
    );
}
// The matcher must give every labelled detection its own entry back: detections of two entries in
// one frame that overlap (IoU >= 0.3) would make events there ambiguous.
const matcher = new Labels({ header: {}, videos });
for (const [file, v] of Object.entries(videos))
  for (const e of v.entries)
    for (const [t, ...box] of e.detections) {
      const m = matcher.match(file, t, box, { toleranceMs: 0 });
      if (m?.id !== e.id && m?.label !== e.label)
        problems.push(`${v.camera}: ${t} ms [${box}] of ${e.id} is matched to ${m?.id} (overlapping labels)`);
    }
if (problems.length > 0) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(`  ${p}`);
}
if (values.report) process.exit(0);
if (problems.length > 0) process.exit(1);

const file: LabelsFile = {
  header: {
    what: "Identity labels of the benchmark videos: who each detection of the agent's tracks is. Per video, entries (a person, or a false detection) with their detections as [streamTimeMs, x1, y1, x2, y2] (source pixels, rounded).",
    how: "The agent's real pipeline (startAgent, in process, fast, 5 fps, default camera settings) was run on each video by bench/identity/record.ts, which records every detection of every track and a crop of each; a person looked at contact sheets of the crops (every detection of every track, its box drawn) and at single crops, and wrote bench/identity/labelling.json; bench/identity/label-build.ts turned it into this file. Tracks that switch from one person to another were labelled per segment.",
    recordings: input.recordings,
    labelledBy:
      "Claude (AI engineer on the Argus team), by eye, from the crops; the same person gets the same label across tracks and videos (talking-head-3 and talking-head-aoc-mpeg4 show the same woman)",
    date: new Date().toISOString().slice(0, 10),
    classes: {
      person:
        "a real person; label = the entry id (e.g. station/ginger-boy); heads seen from behind or turned away are labelled as the person when the person is clear from the context",
      [NON_FACE]:
        "a false detection (poster, jacket, hand, vest, pavement); several entries per video may share this label",
      [UNSURE]: "a face whose identity the labeller could not tell; counted separately, never as an error",
    },
    counts:
      "per video and recording, its tracks by class: identities = distinct persons among them, nonFaceTracks / unsureTracks = tracks holding only non-face / only unsure detections, mixedTracks = tracks holding more than one entry (a person and a non-face, or two persons)",
    matching: "bench/identity/labels.ts: nearest labelled detection within 250 ms with IoU >= 0.3",
  },
  videos,
};
writeFileSync(values.out, `${JSON.stringify(file, null, 2)}\n`);
// In the repository's JSON style (biome: one sample per line), so the file passes the lint.
const biome = spawnSync(join(import.meta.dirname, "../../node_modules/.bin/biome"), ["format", "--write", values.out], {
  stdio: "ignore",
});
if (biome.status !== 0) console.log("biome format failed: run `pnpm format` before committing");
console.log(`\nwrote ${values.out} (${(statSync(values.out).size / 1024).toFixed(1)} kB)`);
