/**
 * 1:N identification accuracy on ../shared/data/faces/lfw-dev (real photos, the shared face pipeline,
 * the server's gallery and matcher): enrol the first photo of every person with two or more photos,
 * identify all their other photos (rank-1), and present the photos of single-photo persons, who are
 * not enrolled, as impostors (false-match rate at the identification threshold). Then open-set
 * identification at several gallery sizes, at the calibrated operating point (FPIR 1% for that
 * size, shared/src/models/calibration.ts): the false-negative and false-positive rates measured.
 *
 *   pnpm exec tsx bench/server-lfw.ts [--limit N] [--cache /tmp/lfw-embeddings.bin] [--feature models/other.onnx]
 *
 * A cache file holds one feature model's embeddings: give another model (--feature) another cache.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseConfig } from "../server/src/config/config.ts";
import { runtimeCalibration } from "../server/src/identify/calibrated.ts";
import { Gallery } from "../server/src/identify/gallery.ts";
import { DEFAULT_HNSW } from "../server/src/identify/hnswIndex.ts";
import { candidatesFrom } from "../server/src/identify/matcher.ts";
import { decodeImage, EMBEDDING_DIM, FacePipeline, THRESHOLDS } from "../shared/src/index.ts";
import { falsePositiveRate, featureCalibration, thresholdFor } from "../shared/src/models/calibration.ts";
import { withFeatureModel } from "./lib/featureModel.ts";

const DATA = join(import.meta.dirname, "../../shared/data/faces/lfw-dev");
const { values } = parseArgs({
  options: { limit: { type: "string" }, cache: { type: "string" }, feature: { type: "string" } },
});
if (!existsSync(DATA)) {
  console.log(`SKIPPED: ${DATA} not found (the shared data folder beside the checkout; see ../shared/data/README.md)`);
  process.exit(0);
}

const people = readdirSync(DATA)
  .filter((d) => !d.startsWith("."))
  .sort()
  .slice(0, values.limit ? Number(values.limit) : undefined);
const files: Array<{ person: string; file: string }> = [];
for (const p of people)
  for (const f of readdirSync(join(DATA, p)).sort())
    if (/\.jpe?g$/i.test(f)) files.push({ person: p, file: join(DATA, p, f) });

// Embeddings (cached: the pipeline over 5,000 photos takes minutes on 2 cores).
const emb = new Map<string, Float32Array | null>();
if (values.cache && existsSync(values.cache)) {
  const raw = readFileSync(values.cache);
  const index = JSON.parse(readFileSync(`${values.cache}.json`, "utf8")) as Array<string | null>;
  index.forEach((f, i) => {
    if (f)
      emb.set(
        f,
        new Float32Array(
          raw.buffer.slice(raw.byteOffset + i * EMBEDDING_DIM * 4, raw.byteOffset + (i + 1) * EMBEDDING_DIM * 4),
        ),
      );
  });
}
const pipeline = values.feature
  ? await withFeatureModel(await FacePipeline.create(), values.feature)
  : await FacePipeline.create();
const t0 = performance.now();
let noFace = 0;
for (const [k, { file }] of files.entries()) {
  if (emb.has(file)) continue;
  const img = await decodeImage(readFileSync(file));
  const faces = await pipeline.process(img);
  // LFW centers the labelled face; other faces in the photo are bystanders.
  const cx = img.width / 2;
  const cy = img.height / 2;
  const f = faces.sort(
    (a, b) =>
      Math.hypot((a.box[0] + a.box[2]) / 2 - cx, (a.box[1] + a.box[3]) / 2 - cy) -
      Math.hypot((b.box[0] + b.box[2]) / 2 - cx, (b.box[1] + b.box[3]) / 2 - cy),
  )[0];
  if (!f) noFace++;
  emb.set(file, f?.embedding ?? null);
  if ((k + 1) % 500 === 0)
    console.error(`  embedded ${k + 1}/${files.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
if (values.cache) {
  const list = files.map((f) => f.file).filter((f) => emb.get(f));
  const buf = Buffer.alloc(list.length * EMBEDDING_DIM * 4);
  list.forEach((f, i) => {
    Buffer.from(emb.get(f)!.buffer).copy(buf, i * EMBEDDING_DIM * 4);
  });
  writeFileSync(values.cache, buf);
  writeFileSync(`${values.cache}.json`, JSON.stringify(list));
}

const byPerson = new Map<string, string[]>();
for (const { person, file } of files) if (emb.get(file)) byPerson.set(person, [...(byPerson.get(person) ?? []), file]);

const gallery = new Gallery({
  dim: EMBEDDING_DIM,
  mode: "global",
  hnsw: DEFAULT_HNSW,
  model: "lfw",
  snapshotDir: "/nonexistent",
});
let faceId = 0;
const genuine: Array<{ truth: string; file: string }> = [];
const impostors: string[] = [];
for (const [person, fs] of byPerson) {
  if (fs.length >= 2) {
    gallery.upsertPerson({ id: person, kind: "enrolled", list: null, cameraId: null });
    gallery.addFace({ id: ++faceId, personId: person, quality: 1, source: "enrol", cameraId: null }, emb.get(fs[0])!);
    for (const f of fs.slice(1)) genuine.push({ truth: person, file: f });
  } else impostors.push(fs[0]);
}

const top = (file: string) => candidatesFrom(gallery.search(emb.get(file)!, 20), gallery.personOf, 1)[0];
const g = genuine.map(({ truth, file }) => ({ truth, c: top(file) }));
const im = impostors.map((file) => top(file));
const rank1 = g.filter((x) => x.c?.personId === x.truth).length / g.length;

console.log(`# server-lfw: 1:N identification on LFW dev (folds 1-5), shared pipeline + server gallery (HNSW)`);
console.log(
  `photos ${files.length} (no face found: ${noFace}); enrolled identities ${gallery.personCount} (first photo each); ` +
    `genuine probes ${g.length}; impostor probes (not enrolled) ${im.length}`,
);
console.log(`\nrank-1 accuracy (top candidate is the right person, any similarity): ${(rank1 * 100).toFixed(2)}%\n`);
console.log(
  "| threshold | identified (rank-1 and >= threshold) | misidentified (wrong person >= threshold) | impostor false-match rate |",
);
console.log("|---:|---:|---:|---:|");
const ts = [...new Set([0.3, THRESHOLDS.verify, 0.35, THRESHOLDS.identify, 0.45, 0.5])].sort((a, b) => a - b);
for (const t of ts) {
  const ok = g.filter((x) => x.c && x.c.personId === x.truth && x.c.similarity >= t).length / g.length;
  const wrong = g.filter((x) => x.c && x.c.personId !== x.truth && x.c.similarity >= t).length / g.length;
  const fm = im.filter((c) => c && c.similarity >= t).length / im.length;
  const mark = t === THRESHOLDS.identify ? " (identify default)" : t === THRESHOLDS.verify ? " (verify default)" : "";
  console.log(
    `| ${t.toFixed(2)}${mark} | ${(ok * 100).toFixed(2)}% | ${(wrong * 100).toFixed(2)}% | ${(fm * 100).toFixed(2)}% |`,
  );
}

// Open set at the calibrated operating point, per gallery size: the mated persons' first photos (and
// single-photo persons as distractors beyond 774), probed by the mated persons' other photos and by
// single-photo persons kept out of the gallery. Then the same at the operating point the server ships
// (server/src/identify/calibrated.ts with the default settings: FPIR 1%, floor identify.threshold,
// ceiling identify.maxThreshold), with the grades it gives.
const tail = featureCalibration();
const shipped = runtimeCalibration(parseConfig({ dataDir: "/nonexistent" }).identify, tail);
const mated = [...byPerson].filter(([, fs]) => fs.length >= 2);
const singles = [...byPerson].filter(([, fs]) => fs.length === 1).map(([p, fs]) => ({ p, f: fs[0] }));
const KEEP_OUT = 300; // strangers never enrolled, at every size
console.log(
  `\nopen set at FPIR 1% (threshold from the calibrated impostor tail for the gallery's size; ${KEEP_OUT}+ strangers)\n`,
);
console.log(
  "| gallery persons | threshold | FNIR (not identified) | FPIR measured (strangers matched) | FPIR predicted |",
);
console.log("|---:|---:|---:|---:|---:|");
const shippedRows: string[] = [];
for (const size of [100, mated.length, 1000, mated.length + singles.length - KEEP_OUT]) {
  const inGallery = mated.slice(0, Math.min(size, mated.length));
  const distractors = singles.slice(0, Math.max(0, size - inGallery.length));
  const strangers = singles.slice(distractors.length);
  const g = new Gallery({
    dim: EMBEDDING_DIM,
    mode: "global",
    hnsw: DEFAULT_HNSW,
    model: "lfw",
    snapshotDir: "/nonexistent",
  });
  let id = 0;
  for (const [p, fs] of inGallery) {
    g.upsertPerson({ id: p, kind: "enrolled", list: null, cameraId: null });
    g.addFace({ id: ++id, personId: p, quality: 1, source: "enrol", cameraId: null }, emb.get(fs[0])!);
  }
  for (const { p, f } of distractors) {
    g.upsertPerson({ id: p, kind: "enrolled", list: null, cameraId: null });
    g.addFace({ id: ++id, personId: p, quality: 1, source: "enrol", cameraId: null }, emb.get(f)!);
  }
  const t = thresholdFor(0.01, g.faceCount, tail);
  const top2 = (f: string) => candidatesFrom(g.search(emb.get(f)!, 20), g.personOf, 2);
  const best = (f: string) => top2(f)[0];
  let probes = 0;
  let missed = 0;
  for (const [p, fs] of inGallery)
    for (const f of fs.slice(1)) {
      probes++;
      const c = best(f);
      if (!c || c.personId !== p || c.similarity < t) missed++;
    }
  const fp = strangers.filter(({ f }) => (best(f)?.similarity ?? -1) >= t).length;
  console.log(
    `| ${g.personCount} | ${t.toFixed(3)} | ${((missed / probes) * 100).toFixed(2)}% (${missed}/${probes}) | ` +
      `${((fp / strangers.length) * 100).toFixed(2)}% (${fp}/${strangers.length}) | ${(falsePositiveRate(t, g.faceCount, tail) * 100).toFixed(1)}% |`,
  );
  // The shipped operating point, and the grades of what it links.
  const ts = shipped.threshold(g.faceCount);
  const grades = { right: new Map<string, number>(), wrong: new Map<string, number>() };
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let sMissed = 0;
  for (const [p, fs] of inGallery)
    for (const f of fs.slice(1)) {
      const [c, c2] = top2(f);
      if (!c || c.personId !== p || c.similarity < ts) sMissed++;
      if (c && c.similarity >= ts)
        count(
          c.personId === p ? grades.right : grades.wrong,
          String(shipped.grade(c.similarity, c2?.similarity ?? null, g.faceCount)),
        );
    }
  let sFp = 0;
  for (const { f } of strangers) {
    const [c, c2] = top2(f);
    if (c && c.similarity >= ts) {
      sFp++;
      count(grades.wrong, String(shipped.grade(c.similarity, c2?.similarity ?? null, g.faceCount)));
    }
  }
  const fmtGrades = (m: Map<string, number>) =>
    ["strong", "likely", "possible", "null"]
      .filter((k) => m.has(k))
      .map((k) => `${k} ${m.get(k)}`)
      .join(", ") || "-";
  shippedRows.push(
    `| ${g.personCount} | ${ts.toFixed(3)} | ${((sMissed / probes) * 100).toFixed(2)}% (${sMissed}/${probes}) | ` +
      `${((sFp / strangers.length) * 100).toFixed(2)}% (${sFp}/${strangers.length}) | ${fmtGrades(grades.right)} | ${fmtGrades(grades.wrong)} |`,
  );
}
const p = shipped.policy;
console.log(
  `\nopen set at the shipped operating point (FPIR ${p.targetFpir * 100}% calibrated, floor ${p.floor}, ceiling ${p.ceiling}; server defaults)\n`,
);
console.log(
  "| gallery persons | threshold | FNIR (not identified) | FPIR measured | grades of right links | grades of wrong links (wrong person, strangers) |",
);
console.log("|---:|---:|---:|---:|---|---|");
for (const r of shippedRows) console.log(r);
