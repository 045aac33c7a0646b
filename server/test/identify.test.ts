/** The identification building blocks: the HNSW index, representative choice, candidates and decisions. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Gallery } from "../src/identify/gallery.ts";
import { HnswIndex } from "../src/identify/hnswIndex.ts";
import { candidatesFrom, decide } from "../src/identify/matcher.ts";
import { chooseRepresentative, chooseRepresentativeFast, type Rep } from "../src/identify/representatives.ts";
import { dot, normalize } from "../src/identify/vector.ts";
import { SqliteStore } from "../src/store/sqlite/index.ts";
import { tempDir } from "./helpers.ts";
import { face, person } from "./storeContract/records.ts";

const DIM = 32;
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
function unit(dim = DIM): Float32Array {
  const v = new Float32Array(dim).map(() => rnd());
  normalize(v);
  return v;
}
/** A vector with cosine ~c to `v`. */
function near(v: Float32Array, c: number): Float32Array {
  const n = unit(v.length);
  const out = v.map((x, i) => x * c + n[i] * Math.sqrt(1 - c * c));
  normalize(out);
  return out;
}

describe("HnswIndex", () => {
  const params = { m: 8, efConstruction: 64, efSearch: 64, initialCapacity: 4 };

  it("grows past its capacity, finds the nearest, forgets deleted labels and reuses their slots", () => {
    const idx = new HnswIndex(DIM, params);
    const vs = Array.from({ length: 50 }, () => unit());
    for (const [i, v] of vs.entries()) idx.add(i + 1, v);
    expect(idx.size).toBe(50);
    expect(idx.capacity).toBeGreaterThanOrEqual(50);
    const r = idx.search(vs[10], 3);
    expect(r[0].label).toBe(11);
    expect(r[0].similarity).toBeCloseTo(1, 5);
    expect(idx.remove(11)).toBe(true);
    expect(idx.remove(11)).toBe(false);
    expect(idx.search(vs[10], 3).map((x) => x.label)).not.toContain(11);
    const cap = idx.capacity;
    idx.add(100, unit()); // reuses the deleted slot
    expect(idx.capacity).toBe(cap);
    expect(idx.size).toBe(50);
    expect(idx.search(unit(), 500)).toHaveLength(50);
  });

  it("saves and loads a snapshot only with the matching snapshot id", () => {
    const dir = tempDir();
    const idx = new HnswIndex(DIM, params);
    const v = unit();
    idx.add(7, v);
    idx.add(8, unit());
    idx.remove(8);
    idx.save(join(dir, "g.hnsw"), "snap-1");
    expect(HnswIndex.load(join(dir, "g.hnsw"), DIM, params, "snap-2")).toBeUndefined();
    const back = HnswIndex.load(join(dir, "g.hnsw"), DIM, params, "snap-1")!;
    expect(back.size).toBe(1);
    expect(back.has(8)).toBe(false);
    expect(back.search(v, 1)[0].label).toBe(7);
  });
});

describe("representatives", () => {
  const policy = { max: 3, nearDuplicate: 0.92, minQuality: 0.35, diversityWeight: 0.5 };
  const base = unit();
  const rep = (id: number, vector: Float32Array, quality: number, source: Rep["source"] = "sighting"): Rep => ({
    id,
    vector,
    quality,
    source,
  });

  it("keeps diverse good faces up to the bound, replaces near duplicates only with better shots", () => {
    expect(chooseRepresentative([], { quality: 0.2, vector: base }, policy)).toEqual({
      add: false,
      reason: "low quality",
    });
    const a = rep(1, base, 0.6);
    expect(chooseRepresentative([a], { quality: 0.62, vector: near(base, 0.97) }, policy)).toMatchObject({
      add: false,
    });
    expect(chooseRepresentative([a], { quality: 0.9, vector: near(base, 0.97) }, policy)).toEqual({
      add: true,
      replace: 1,
    });
    expect(chooseRepresentative([a], { quality: 0.6, vector: near(base, 0.6) }, policy)).toEqual({ add: true });
    // Enrolled photos are never replaced.
    expect(
      chooseRepresentative([rep(1, base, 0.5, "enrol")], { quality: 0.99, vector: near(base, 0.99) }, policy),
    ).toMatchObject({ add: false });
  });

  it("when full, drops the most redundant, lowest-quality learned face", () => {
    const far1 = near(base, 0.5);
    const far2 = near(base, 0.5);
    const dupish = near(base, 0.85);
    const reps = [rep(1, base, 0.7), rep(2, far1, 0.7), rep(3, dupish, 0.4)];
    const d = chooseRepresentative(reps, { quality: 0.8, vector: far2 }, policy);
    expect(d).toEqual({ add: true, replace: 3 });
    // The fast path agrees, and reads vectors only when the set is full.
    let reads = 0;
    const fast = chooseRepresentativeFast(
      reps,
      { id: 1, similarity: dot(base, far2) },
      { quality: 0.8, vector: far2 },
      policy,
      () => {
        reads++;
        return reps;
      },
    );
    expect(fast).toEqual(d);
    expect(reads).toBe(1);
    const roomy = chooseRepresentativeFast(
      reps.slice(0, 2),
      { id: 1, similarity: 0.5 },
      { quality: 0.8, vector: far2 },
      policy,
      () => {
        reads++;
        return reps;
      },
    );
    expect(roomy).toEqual({ add: true });
    expect(reads).toBe(1);
  });
});

describe("matcher", () => {
  it("keeps each person's best face, sorted, and decides match / new / unidentified", () => {
    const owner: Record<number, string> = { 1: "a", 2: "a", 3: "b", 4: "c" };
    const c = candidatesFrom(
      [
        { label: 1, similarity: 0.5 },
        { label: 2, similarity: 0.7 },
        { label: 3, similarity: 0.6 },
        { label: 9, similarity: 0.99 }, // a face no longer owned (deleted meanwhile)
      ],
      (l) => owner[l],
    );
    expect(c).toEqual([
      { personId: "a", similarity: 0.7, faceId: 2 },
      { personId: "b", similarity: 0.6, faceId: 3 },
    ]);
    const opts = { threshold: 0.65, minQualityNewPerson: 0.3 };
    expect(decide(c[0], 0.5, opts)).toMatchObject({ kind: "match" });
    expect(decide(c[1], 0.5, opts)).toEqual({ kind: "new" });
    expect(decide(undefined, 0.1, opts)).toEqual({ kind: "unidentified" });
  });
});

describe("Gallery", () => {
  it("reconciles a stale snapshot with the store: adds missing faces, drops deleted ones", async () => {
    const dir = tempDir();
    const store = new SqliteStore(join(dir, "db.sqlite"));
    await store.init();
    const opts = {
      dim: 512,
      mode: "global" as const,
      hnsw: { m: 8, efConstruction: 32, efSearch: 32, initialCapacity: 8 },
      model: "m",
      snapshotDir: join(dir, "index"),
    };
    const p = person();
    await store.persons.insert(p);
    const f1 = face(p.id);
    const f2 = face(p.id);
    await store.persons.insertFace(f1);
    await store.persons.insertFace(f2);
    const g = new Gallery(opts);
    expect(await g.load(store)).toEqual({ fromSnapshot: 0, added: 2, removed: 0 });
    g.save();
    expect(existsSync(join(dir, "index/manifest.json"))).toBe(true);
    // While "down": one face deleted, one added.
    await store.persons.deleteFaces([f1.id]);
    const f3 = face(p.id);
    await store.persons.insertFace(f3);
    const g2 = new Gallery(opts);
    expect(await g2.load(store)).toEqual({ fromSnapshot: 1, added: 1, removed: 1 });
    expect(g2.facesOf(p.id).sort()).toEqual([f2.id, f3.id].sort());
    expect(g2.search(f3.embedding, 5).map((n) => n.label)).toContain(f3.id);
    expect(g2.search(f1.embedding, 5).map((n) => n.label)).not.toContain(f1.id);
    // Enrolled and listed persons have their own graph, apart from the crowd of automatic persons.
    g2.upsertPerson({ id: "auto-1", kind: "auto", list: null, cameraId: "c1" });
    g2.addFace({ id: 999_001, personId: "auto-1", quality: 0.5, source: "sighting", cameraId: "c1" }, f1.embedding);
    expect(g2.scopes().map((s) => [s.scope, s.size])).toEqual([
      ["known", 2],
      ["auto", 1],
    ]);
    g2.upsertPerson({ id: "auto-1", kind: "auto", list: "foe", cameraId: "c1" }); // listed: moves to "known"
    expect(g2.scopes().map((s) => [s.scope, s.size])).toEqual([
      ["known", 3],
      ["auto", 0],
    ]);
    // Another matching mode never loads this snapshot.
    const g3 = new Gallery({ ...opts, mode: "camera" });
    expect((await g3.load(store)).fromSnapshot).toBe(0);
    await store.close();
  });
});
