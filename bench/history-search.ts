/**
 * History index benchmark (search all history by photo): memory per indexed sighting, build time,
 * search latency (p50/p95, with and without a camera + time filter), recall@10 against exact search,
 * and the snapshot's write and load times, at 100k and 1M sightings.
 *
 * SYNTHETIC DATA shaped like a sighting history: persons are random unit vectors; each has 10
 * sightings (its vector mixed with independent noise to cosine ~0.7 with it: other shots of the same
 * face), at one of 20 cameras, over 90 days. A probe is a new shot of a random person (cosine ~0.6).
 * The index is the server's own (HistoryIndex, default settings); memory is the process's resident
 * size grown by the build (graph + vectors + metadata), divided by the sightings.
 *
 *   node --expose-gc --import tsx bench/history-search.ts [--sizes 100000,1000000] [--queries 500]
 *        [--m 16] [--efc 64] [--ef 128] [--exact 50]
 *
 * --ef takes a list (e.g. 128,512,2048): latency and recall are measured for each on the same index
 * (the server's setting history.efSearch, default 512; the clustering job searches at 128). Isotropic random vectors are the
 * hardest case for a graph index (no neighbourhood structure to descend along), so recall here is a
 * floor for real embeddings, whose persons form tight clusters.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HistoryIndex } from "../server/src/identify/history.ts";
import { quantile } from "../shared/src/index.ts";

const DIM = 512;
const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100000,1000000" },
    queries: { type: "string", default: "500" },
    m: { type: "string", default: "16" },
    efc: { type: "string", default: "64" },
    ef: { type: "string", default: "128" },
    exact: { type: "string", default: "50" },
  },
});

let seed = 4242;
function rand(): number {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
function unit(): Float32Array {
  const v = new Float32Array(DIM);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = gauss();
    n += v[i] * v[i];
  }
  n = Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[i] /= n;
  return v;
}
/** `base` mixed with an independent unit vector to cosine ~c with it. */
function near(base: Float32Array, c: number): Float32Array {
  const r = unit();
  const s = Math.sqrt(1 - c * c);
  const v = new Float32Array(DIM);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = c * base[i] + s * r[i];
    n += v[i] * v[i];
  }
  n = Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[i] /= n;
  return v;
}
const uuid = (i: number) => {
  const h = i.toString(16).padStart(12, "0");
  return `0000${h.slice(0, 4)}-0000-4000-8000-${h.padStart(12, "0")}`;
};
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const rss = () => process.memoryUsage().rss;
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

for (const size of values.sizes.split(",").map(Number)) {
  seed = 4242;
  const persons = Math.ceil(size / 10);
  const centers: Float32Array[] = [];
  for (let p = 0; p < persons; p++) centers.push(unit());
  const dir = mkdtempSync(join(tmpdir(), "argus-history-bench-"));
  const h = new HistoryIndex({
    dim: DIM,
    hnsw: {
      m: Number(values.m),
      efConstruction: Number(values.efc),
      efSearch: Number(values.ef.split(",")[0]),
      initialCapacity: 1024,
    },
    model: "bench",
    snapshotDir: dir,
  });
  // Vectors are kept for the exact search of the recall check (not counted: measured before they exist).
  gc();
  const before = rss();
  const cams = Array.from({ length: 20 }, (_, i) => `cam${i}`);
  const exactVectors = new Float32Array(size * DIM);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastLog = t0;
  for (let i = 1; i <= size; i++) {
    const v = near(centers[(i - 1) % persons], 0.7);
    exactVectors.set(v, (i - 1) * DIM);
    h.add(
      {
        id: uuid(i),
        indexId: i,
        agentId: "site",
        cameraId: cams[i % 20],
        capturedAt: T0 + Math.floor(rand() * 90 * DAY),
        personId: i % 3 ? "p" : null,
        quality: rand(),
      },
      v,
    );
    if (performance.now() - lastLog > 60_000) {
      lastLog = performance.now();
      console.error(`  ${size}: ${i} indexed, ${((lastLog - t0) / 1000).toFixed(0)} s`);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  gc();
  // The exact-search copy is size * 2 kB: subtract it.
  const grown = rss() - before - exactVectors.byteLength;
  const perSighting = grown / size;

  const queries = Number(values.queries);
  const probes: Array<{ v: Float32Array }> = [];
  for (let q = 0; q < queries; q++) probes.push({ v: near(centers[Math.floor(rand() * persons)], 0.6) });
  // The exact top 10 of a sample of the probes (for recall@10), computed once.
  const exactN = Math.min(Number(values.exact), queries);
  const truths = probes.slice(0, exactN).map((p) => {
    const sims: Array<[number, number]> = [];
    for (let i = 0; i < size; i++) {
      let d = 0;
      const o = i * DIM;
      for (let j = 0; j < DIM; j++) d += exactVectors[o + j] * p.v[j];
      sims.push([d, i + 1]);
    }
    sims.sort((x, y) => y[0] - x[0]);
    return new Set(sims.slice(0, 10).map((x) => x[1]));
  });
  const byEf: Record<string, unknown> = {};
  for (const ef of values.ef.split(",").map(Number)) {
    h.setEf(ef);
    const plain: number[] = [];
    const filtered: number[] = [];
    for (const p of probes) {
      const a = performance.now();
      h.search(p.v, { k: 20 });
      plain.push(performance.now() - a);
      const b = performance.now();
      h.search(p.v, {
        k: 20,
        cameras: [{ cameraId: "cam3" }, { cameraId: "cam7" }],
        from: T0 + 30 * DAY,
        to: T0 + 60 * DAY,
      });
      filtered.push(performance.now() - b);
    }
    let hit = 0;
    truths.forEach((truth, q) => {
      for (const r of h.search(probes[q].v, { k: 10 })) if (truth.has(r.indexId)) hit++;
    });
    byEf[ef] = {
      searchMs: { p50: +quantile(plain, 0.5).toFixed(2), p95: +quantile(plain, 0.95).toFixed(2) },
      filteredSearchMs: { p50: +quantile(filtered, 0.5).toFixed(2), p95: +quantile(filtered, 0.95).toFixed(2) },
      recallAt10: +(hit / (exactN * 10)).toFixed(3),
    };
  }

  const s0 = performance.now();
  await h.snapshot();
  const snapS = (performance.now() - s0) / 1000;
  const h2 = new HistoryIndex(h.opts);
  const l0 = performance.now();
  const emptyStore = { sightings: { maxIndexId: async () => size, indexed: async () => [] } } as never;
  await h2.load(emptyStore);
  const loadS = (performance.now() - l0) / 1000;

  console.log(
    JSON.stringify({
      sightings: size,
      m: Number(values.m),
      efConstruction: Number(values.efc),
      buildSeconds: Math.round(buildS),
      buildCpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
      memoryGrown: mb(grown),
      bytesPerSighting: Math.round(perSighting),
      metadataBytesPerSighting: Math.round(h.metaBytes / size),
      byEf,
      snapshotWriteSeconds: +snapS.toFixed(1),
      snapshotLoadSeconds: +loadS.toFixed(1),
      loaded: h2.size,
    }),
  );
  rmSync(dir, { recursive: true, force: true });
}
