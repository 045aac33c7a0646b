/**
 * Fits the impostor tail of the embedding model's scores on LFW (../shared/data/faces/lfw-dev) and
 * checks it on persons the fit never saw. The fit (on all persons) is what ships in
 * models/manifest.json (`calibration.feature`); shared/src/models/calibration.ts uses it.
 *
 *   pnpm exec tsx bench/calibrate-lfw.ts --cache /tmp/lfw-emb.bin [--write]
 *
 * The cache is the embeddings file bench/server-lfw.ts writes (--cache); it is made there if absent.
 * Method: every pair of photos of two different persons is an impostor pair. The survival function
 * S(t) = P(score >= t) is read off a fine histogram; above u (where S = 1e-3) log S is fitted by a
 * line in t (least squares on the bins with >= 30 pairs), i.e. an exponential tail, which
 * extrapolates to the scores that matter for galleries of thousands of faces.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EMBEDDING_DIM } from "../shared/src/index.ts";
import {
  falsePositiveRate,
  type ImpostorTail,
  pairFalseMatch,
  thresholdFor,
} from "../shared/src/models/calibration.ts";

const { values } = parseArgs({ options: { cache: { type: "string" }, write: { type: "boolean" } } });
const cache = values.cache ?? "/tmp/lfw-emb.bin";
if (!existsSync(cache)) {
  console.error(`no embeddings at ${cache}: run 'pnpm exec tsx bench/server-lfw.ts --cache ${cache}' first`);
  process.exit(2);
}
const raw = readFileSync(cache);
const files = JSON.parse(readFileSync(`${cache}.json`, "utf8")) as string[];
const emb = files.map((_, i) => new Float32Array(raw.buffer, raw.byteOffset + i * EMBEDDING_DIM * 4, EMBEDDING_DIM));
const person = files.map((f) => f.split("/").at(-2)!);
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** A stable half of the persons: fit on one, check on the other. */
const half = (p: string) => createHash("sha1").update(p).digest()[0] & 1;

const BINS = 4000; // 0.0005 wide over [-1, 1]
const binOf = (s: number) => Math.min(BINS - 1, Math.max(0, Math.floor(((s + 1) / 2) * BINS)));
const binLow = (b: number) => (b / BINS) * 2 - 1;

/** Impostor pair scores of the photos in `idx`, as a histogram; also the number of pairs. */
function impostorHistogram(idx: number[]): { hist: Float64Array; pairs: number } {
  const hist = new Float64Array(BINS);
  let pairs = 0;
  for (let a = 0; a < idx.length; a++)
    for (let b = a + 1; b < idx.length; b++) {
      const i = idx[a];
      const j = idx[b];
      if (person[i] === person[j]) continue;
      hist[binOf(dot(emb[i], emb[j]))]++;
      pairs++;
    }
  return { hist, pairs };
}

function fitTail(hist: Float64Array, pairs: number, source: string): ImpostorTail {
  // Survival at each bin's lower edge.
  const surv = new Float64Array(BINS);
  let acc = 0;
  for (let b = BINS - 1; b >= 0; b--) {
    acc += hist[b];
    surv[b] = acc / pairs;
  }
  let uBin = 0;
  while (uBin < BINS - 1 && surv[uBin + 1] >= 1e-3) uBin++;
  const u = binLow(uBin);
  // Least squares of ln S(t) = ln S(u) - (t - u) / beta on bins with enough pairs.
  const xs: number[] = [];
  const ys: number[] = [];
  for (let b = uBin; b < BINS && surv[b] * pairs >= 30; b++) {
    xs.push(binLow(b) - u);
    ys.push(Math.log(surv[b]));
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  const slope = sxy / sxx;
  const pu = Math.exp(my - slope * mx);
  // The table below u, thinned to every 0.01 (with the exact value at u).
  const table: Array<[number, number]> = [];
  for (let b = binOf(0.1); b < uBin; b += 20) table.push([round(binLow(b), 4), sig(surv[b])]);
  table.push([round(u, 4), sig(pu)]);
  return { source, table, u: round(u, 4), pu: sig(pu), beta: sig(-1 / slope) };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
const sig = (v: number) => Number(v.toPrecision(5));

const all = files.map((_, i) => i);
const fitIdx = all.filter((i) => half(person[i]) === 0);
const checkIdx = all.filter((i) => half(person[i]) === 1);

console.log("# Impostor tail of fr_feature on LFW dev (folds 1-5)\n");
const t0 = performance.now();
const fitH = impostorHistogram(fitIdx);
const fit = fitTail(fitH.hist, fitH.pairs, "half of LFW dev persons");
const chk = impostorHistogram(checkIdx);
console.log(
  `fit on ${fitIdx.length} photos (${fitH.pairs.toLocaleString()} impostor pairs), checked on ${checkIdx.length} other persons' photos (${chk.pairs.toLocaleString()} pairs); ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`tail above u = ${fit.u}: p(t) = ${fit.pu} * exp(-(t - u) / ${fit.beta})\n`);
console.log("| score t | fitted p(t) | held-out measured p(t) | held-out pairs >= t |");
console.log("|---:|---:|---:|---:|");
for (const t of [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]) {
  let n = 0;
  for (let b = binOf(t); b < BINS; b++) n += chk.hist[b];
  console.log(
    `| ${t.toFixed(2)} | ${pairFalseMatch(t, fit).toExponential(2)} | ${(n / chk.pairs).toExponential(2)} | ${n} |`,
  );
}

// Open-set identification on the held-out half: does the predicted FPIR hold?
const byPerson = new Map<string, number[]>();
for (const i of checkIdx) byPerson.set(person[i], [...(byPerson.get(person[i]) ?? []), i]);
const gallery: number[] = [];
const strangers: number[] = [];
for (const ids of byPerson.values()) {
  if (ids.length >= 2) gallery.push(ids[0]);
  else strangers.push(ids[0]);
}
const best = (probe: number) => Math.max(...gallery.map((g) => dot(emb[probe], emb[g])));
const strangerBest = strangers.map(best);
console.log(`\nheld-out open set: ${gallery.length} enrolled faces, ${strangers.length} strangers (not enrolled)\n`);
console.log("| target FPIR | threshold for this gallery | predicted FPIR | measured FPIR |");
console.log("|---:|---:|---:|---:|");
for (const target of [0.001, 0.01, 0.05]) {
  const t = thresholdFor(target, gallery.length, fit);
  const measured = strangerBest.filter((s) => s >= t).length / strangerBest.length;
  console.log(
    `| ${(target * 100).toFixed(1)}% | ${t.toFixed(3)} | ${(falsePositiveRate(t, gallery.length, fit) * 100).toFixed(2)}% | ${(measured * 100).toFixed(2)}% (${strangerBest.filter((s) => s >= t).length}/${strangerBest.length}) |`,
  );
}

// What ships: the fit on every person.
const allH = impostorHistogram(all);
const shipped = fitTail(
  allH.hist,
  allH.pairs,
  `LFW dev folds 1-5: ${files.length} photos, ${allH.pairs} impostor pairs`,
);
console.log(`\nshipped fit (all persons): u = ${shipped.u}, pu = ${shipped.pu}, beta = ${shipped.beta}`);
console.log("| gallery faces | threshold at FPIR 1% | at 0.1% |");
console.log("|---:|---:|---:|");
for (const n of [10, 100, 1000, 10_000, 100_000])
  console.log(
    `| ${n.toLocaleString()} | ${thresholdFor(0.01, n, shipped).toFixed(3)} | ${thresholdFor(0.001, n, shipped).toFixed(3)} |`,
  );

if (values.write) {
  const path = join(import.meta.dirname, "../models/manifest.json");
  const m = JSON.parse(readFileSync(path, "utf8"));
  m.calibration = { ...(m.calibration ?? {}), feature: { sha256: m.models.feature.sha256, impostorTail: shipped } };
  const text = pretty(m, 0);
  writeFileSync(path, `${text}\n`);
  console.log(`\nwrote calibration.feature to ${path}`);
}

/**
 * JSON as Biome writes it: a value stays on one line when its line (indent, key, value, comma) fits
 * in 120 columns, else one entry per line, indented by 2.
 */
function pretty(v: unknown, indent: number, used = indent): string {
  const flat = (x: unknown): string =>
    Array.isArray(x)
      ? `[${x.map(flat).join(", ")}]`
      : x && typeof x === "object"
        ? Object.keys(x).length
          ? `{ ${Object.entries(x)
              .map(([k, y]) => `${JSON.stringify(k)}: ${flat(y)}`)
              .join(", ")} }`
          : "{}"
        : JSON.stringify(x);
  const one = flat(v);
  if (used + one.length + 1 <= 120 || !v || typeof v !== "object") return one;
  const pad = " ".repeat(indent + 2);
  const inner = Array.isArray(v)
    ? v.map((y) => pad + pretty(y, indent + 2))
    : Object.entries(v).map(([k, y]) => {
        const key = `${JSON.stringify(k)}: `;
        return pad + key + pretty(y, indent + 2, indent + 2 + key.length);
      });
  const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${inner.join(",\n")}\n${" ".repeat(indent)}${close}`;
}
