/**
 * Identification index benchmark: build time, search latency (p50/p99) and recall@1 against exact
 * search, and memory per identity, for galleries of 10k / 100k / 1M identities.
 *
 * SYNTHETIC DATA, two kinds (one representative face per identity):
 *  - `--data fitted` (default when --fit is given): vectors drawn from a Gaussian fitted to real face
 *    embeddings (mean and full 512x512 covariance of the LFW embeddings that bench/server-lfw.ts caches),
 *    then normalized: synthetic identities with the real embeddings' correlation structure.
 *  - `--data uniform`: uniform random unit vectors. No neighbourhood structure at all, the worst case
 *    for any graph index (kept as a lower bound; real embeddings are far from it).
 * A "planted" probe is an identity's vector mixed with an independent draw of the same distribution to
 * cosine ~0.6 with it (a new photo of a known person); a "random" probe is an independent draw (a
 * stranger). The search is the server's own code path (Gallery.search + candidatesFrom).
 *
 *   pnpm exec tsx bench/server-lfw.ts --cache /tmp/lfw-emb.bin      # once: real embeddings to fit
 *   node --expose-gc --import tsx bench/server-index.ts --fit /tmp/lfw-emb.bin \
 *        [--sizes 10000,100000,1000000] [--queries 1000] [--ef 32,64,96,128,256] [--efc 200] [--m 16]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Gallery } from "../server/src/identify/gallery.ts";
import { DEFAULT_HNSW } from "../server/src/identify/hnswIndex.ts";
import { candidatesFrom } from "../server/src/identify/matcher.ts";
import { median, quantile } from "../shared/src/index.ts";

const DIM = 512;
const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000,1000000" },
    queries: { type: "string", default: "1000" },
    ef: { type: "string", default: "32,64,96,128,256" },
    m: { type: "string", default: String(DEFAULT_HNSW.m) },
    efc: { type: "string", default: String(DEFAULT_HNSW.efConstruction) },
    fit: { type: "string" },
    data: { type: "string" },
  },
});
const DATA_KIND = values.data ?? (values.fit ? "fitted" : "uniform");

// Deterministic PRNG (mulberry32) + Box-Muller, so runs are comparable.
let seed = 12345;
function rand(): number {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gauss(): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
/** Mean and Cholesky factor of the real embeddings' covariance (for --data fitted). */
let fitMean: Float64Array | undefined;
let fitL: Float64Array | undefined;
function fitGaussian(file: string): void {
  const raw = readFileSync(file);
  const n = raw.length / (DIM * 4);
  const x = new Float32Array(raw.buffer, raw.byteOffset, n * DIM);
  const mean = new Float64Array(DIM);
  for (let j = 0; j < n; j++) for (let i = 0; i < DIM; i++) mean[i] += x[j * DIM + i] / n;
  const cov = new Float64Array(DIM * DIM);
  const d = new Float64Array(DIM);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < DIM; i++) d[i] = x[j * DIM + i] - mean[i];
    for (let a = 0; a < DIM; a++) {
      const da = d[a] / (n - 1);
      for (let b = 0; b <= a; b++) cov[a * DIM + b] += da * d[b];
    }
  }
  for (let a = 0; a < DIM; a++) cov[a * DIM + a] += 1e-6; // keep it positive definite
  // Cholesky, lower triangle in place.
  const L = new Float64Array(DIM * DIM);
  for (let a = 0; a < DIM; a++) {
    for (let b = 0; b <= a; b++) {
      let s = cov[a * DIM + b];
      for (let k = 0; k < b; k++) s -= L[a * DIM + k] * L[b * DIM + k];
      L[a * DIM + b] = a === b ? Math.sqrt(Math.max(s, 1e-12)) : s / L[b * DIM + b];
    }
  }
  fitMean = mean;
  fitL = L;
  console.log(`fitted a Gaussian to ${n} real embeddings from ${file}`);
}

const z = new Float64Array(DIM);
function unit(out: Float32Array, off = 0): void {
  let n = 0;
  if (DATA_KIND === "fitted") {
    for (let i = 0; i < DIM; i++) z[i] = gauss();
    for (let a = 0; a < DIM; a++) {
      let s = fitMean![a];
      const row = a * DIM;
      for (let k = 0; k <= a; k++) s += fitL![row + k] * z[k];
      out[off + a] = s;
      n += s * s;
    }
  } else {
    for (let i = 0; i < DIM; i++) {
      const v = gauss();
      out[off + i] = v;
      n += v * v;
    }
  }
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < DIM; i++) out[off + i] *= inv;
}
/** center * c + an independent draw * s, renormalized, with s chosen so that cosine(q, center) ~ c. */
function probeOf(center: Float32Array, c: number): Float32Array {
  const noise = new Float32Array(DIM);
  unit(noise);
  // Independent draws of a fitted distribution are correlated (shared mean): remove that part.
  let r = 0;
  for (let i = 0; i < DIM; i++) r += noise[i] * center[i];
  let nn = 0;
  for (let i = 0; i < DIM; i++) {
    noise[i] -= r * center[i];
    nn += noise[i] * noise[i];
  }
  for (let i = 0; i < DIM; i++) noise[i] /= Math.sqrt(nn);
  const q = new Float32Array(DIM);
  const s = Math.sqrt(1 - c * c);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    q[i] = center[i] * c + noise[i] * s;
    n += q[i] * q[i];
  }
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < DIM; i++) q[i] *= inv;
  return q;
}

/** Exact top-1 by brute force over the flat matrix. */
function exactTop1(all: Float32Array, n: number, q: Float32Array): number {
  let best = -2;
  let arg = -1;
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * DIM;
    for (let i = 0; i < DIM; i++) s += all[o + i] * q[i];
    if (s > best) {
      best = s;
      arg = j;
    }
  }
  return arg;
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(0);

async function run(n: number, nq: number, efs: number[]) {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const all = new Float32Array(n * DIM);
  for (let j = 0; j < n; j++) unit(all, j * DIM);
  const gallery = new Gallery({
    dim: DIM,
    mode: "global",
    hnsw: { ...DEFAULT_HNSW, m: Number(values.m), efConstruction: Number(values.efc), initialCapacity: n },
    model: "synthetic",
    snapshotDir: "/nonexistent",
  });
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let j = 0; j < n; j++) {
    const id = `p${j}`;
    gallery.upsertPerson({ id, kind: "enrolled", list: null, cameraId: null });
    gallery.addFace(
      { id: j + 1, personId: id, quality: 0.8, source: "enrol", cameraId: null },
      all.subarray(j * DIM, (j + 1) * DIM),
    );
    if (n >= 100_000 && (j + 1) % 100_000 === 0) {
      console.error(`  built ${j + 1}/${n} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  global.gc?.();
  const rss2 = process.memoryUsage().rss;
  const perIdentity = (rss2 - rss1) / n;

  // Probes and their exact answers.
  const planted: Array<{ q: Float32Array; truth: number }> = [];
  const random: Array<{ q: Float32Array; truth: number }> = [];
  const te = performance.now();
  for (let k = 0; k < nq; k++) {
    const j = Math.floor(rand() * n);
    const q = probeOf(all.subarray(j * DIM, (j + 1) * DIM), 0.6);
    planted.push({ q, truth: exactTop1(all, n, q) });
    const r = new Float32Array(DIM);
    unit(r);
    random.push({ q: r, truth: exactTop1(all, n, r) });
  }
  const exactMs = (performance.now() - te) / (2 * nq);

  const rows = [];
  for (const ef of efs) {
    gallery.opts.hnsw.efSearch = ef;
    // setEf on the live index
    for (const i of (gallery as unknown as { indexes: Map<string, { setEf(e: number): void }> }).indexes.values())
      i.setEf(ef);
    for (const [name, set] of [
      ["planted", planted],
      ["random", random],
    ] as const) {
      const lat: number[] = [];
      let hit = 0;
      for (const { q, truth } of set) {
        const t = performance.now();
        const c = candidatesFrom(gallery.search(q, 20), gallery.personOf, 1);
        lat.push(performance.now() - t);
        if (c[0]?.personId === `p${truth}`) hit++;
      }
      rows.push({ ef, probes: name, p50: median(lat), p99: quantile(lat, 0.99), recall: hit / set.length });
    }
  }
  console.log(
    `\n## ${n.toLocaleString("en")} identities, data=${DATA_KIND} (M=${values.m}, efConstruction=${values.efc}; ${nq} probes per set)\n` +
      `build: ${buildS.toFixed(1)} s (${((buildS * 1e6) / n).toFixed(0)} µs/face); memory: ${mb(rss2 - rss1)} MB = ${(perIdentity / 1024).toFixed(2)} kB per identity ` +
      `(vectors alone ${(DIM * 4) / 1024} kB; flat matrix for exact search ${mb(rss1 - rss0)} MB)\n` +
      `exact search (brute force, JS): ${exactMs.toFixed(2)} ms per probe\n`,
  );
  console.log("| ef | probes | p50 ms | p99 ms | recall@1 vs exact | speed-up vs exact (p50) |");
  console.log("|---:|---|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.ef} | ${r.probes} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.recall.toFixed(4)} | ${(exactMs / r.p50).toFixed(0)}x |`,
    );
  }
}

const sizes = values.sizes!.split(",").map(Number);
const efs = values.ef!.split(",").map(Number);
if (DATA_KIND === "fitted") {
  if (!values.fit) throw new Error("--data fitted needs --fit <embeddings cache of bench/server-lfw.ts>");
  fitGaussian(values.fit);
}
console.log(`# server-index: HNSW identification on synthetic vectors, data=${DATA_KIND} (node ${process.version})`);
for (const n of sizes) {
  const nq = n >= 1_000_000 ? Math.min(Number(values.queries), 200) : Number(values.queries);
  await run(n, nq, efs);
}
