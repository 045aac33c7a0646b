/**
 * Index snapshots without stopping the world: a graph being written is frozen while changes go on
 * (searchable at once, applied after), the gallery counts changes since its last snapshot, and a
 * face that leaves a graph and comes back keeps a usable label.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Gallery, type LoadProgress } from "../src/identify/gallery.ts";
import { HnswIndex } from "../src/identify/hnswIndex.ts";
import { normalize } from "../src/identify/vector.ts";
import { SqliteStore } from "../src/store/sqlite/index.ts";
import { tempDir } from "./helpers.ts";
import { face, person } from "./storeContract/records.ts";

const DIM = 32;
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
function unit(dim = DIM): Float32Array {
  const v = new Float32Array(dim).map(() => rnd());
  normalize(v);
  return v;
}
const params = { m: 8, efConstruction: 64, efSearch: 64, initialCapacity: 8 };
const labelsOf = (i: HnswIndex, v: Float32Array, k = 1000) => i.search(v, k).map((n) => n.label);

describe("HnswIndex snapshots", () => {
  it("saveAsync: changes during the write are searchable at once, applied after, and not in the file", async () => {
    const dir = tempDir();
    const idx = new HnswIndex(DIM, params);
    const vs = new Map<number, Float32Array>();
    for (let l = 1; l <= 200; l++) {
      vs.set(l, unit());
      idx.add(l, vs.get(l)!);
    }
    const writing = idx.saveAsync(join(dir, "g.hnsw"), "s1");
    // Meanwhile (the graph is frozen): 20 added, 10 removed, one removed and added back, one added and removed.
    for (let l = 1001; l <= 1020; l++) {
      vs.set(l, unit());
      idx.add(l, vs.get(l)!);
    }
    for (let l = 1; l <= 10; l++) idx.remove(l);
    idx.remove(50);
    idx.add(50, vs.get(50)!);
    idx.add(2000, unit());
    idx.remove(2000);
    const during = (l: number) => idx.search(vs.get(l)!, 1)[0];
    expect(during(1005)).toMatchObject({ label: 1005 });
    expect(during(1005).similarity).toBeCloseTo(1, 5);
    expect(during(50).label).toBe(50);
    expect(labelsOf(idx, vs.get(3)!)).not.toContain(3);
    expect(idx.size).toBe(200 + 20 - 10);
    expect(idx.vector(1005)).toEqual(vs.get(1005));
    const r = await writing;
    expect(r.applied).toBe(20 + 10); // 50 never left the graph; 2000 never reached it
    // After: the graph itself has them.
    expect(during(1005).label).toBe(1005);
    expect(labelsOf(idx, vs.get(3)!)).not.toContain(3);
    expect(idx.search(unit(), 1000)).toHaveLength(210);
    // The file is the state when the write began.
    const back = HnswIndex.load(join(dir, "g.hnsw"), DIM, params, "s1")!;
    expect(back.size).toBe(200);
    expect(back.has(1005)).toBe(false);
    expect(back.has(3)).toBe(true);
    expect(back.search(vs.get(3)!, 1)[0].label).toBe(3);
  });

  it("after the write, the graph catches up a slice at a time; changes meanwhile go straight in", async () => {
    const dir = tempDir();
    const idx = new HnswIndex(DIM, params);
    const v0 = unit();
    idx.add(1, v0);
    const writing = idx.saveAsync(join(dir, "g.hnsw"), "s1");
    const vs = new Map<number, Float32Array>();
    for (let l = 100; l < 3100; l++) {
      vs.set(l, unit());
      idx.add(l, vs.get(l)!);
    }
    expect(idx.pendingChanges).toBe(3000);
    // Wait (turn by turn) until the write is done and the catch-up has begun, but not ended.
    let turns = 0;
    while (!(idx.pendingChanges > 0 && idx.pendingChanges < 3000) && turns++ < 100_000)
      await new Promise((r) => setImmediate(r));
    expect(idx.pendingChanges).toBeGreaterThan(0);
    const sample = [...vs.keys()].filter((l) => l % 30 === 0);
    for (const l of sample) expect(idx.search(vs.get(l)!, 1)[0].label).toBe(l); // in the graph or not yet
    idx.remove(3099); // most likely still pending
    idx.remove(100); // most likely in the graph already
    idx.remove(1); // in the graph before the write
    const v = unit();
    idx.add(5000, v); // straight into the graph
    await writing;
    expect(idx.pendingChanges).toBe(0);
    expect(idx.size).toBe(3000 - 2 + 1);
    expect(idx.search(v, 1)[0].label).toBe(5000);
    const all = new Set(idx.search(unit(), 4000).map((n) => n.label));
    for (const gone of [1, 100, 3099]) expect(all.has(gone)).toBe(false);
    expect(idx.remove(5000)).toBe(true);
    expect(idx.remove(101)).toBe(true);
  });

  it("a label removed and added back (a face leaving a graph and returning) can be removed again", () => {
    const idx = new HnswIndex(DIM, { ...params, initialCapacity: 4 });
    const vs = [unit(), unit(), unit(), unit()];
    for (const [i, v] of vs.entries()) idx.add(i + 1, v); // full: 4 of 4
    idx.remove(1);
    idx.remove(2);
    idx.add(1, vs[0]); // back: its own slot, revived
    idx.add(5, unit()); // full: takes the other deleted slot (label 2's)
    expect(idx.search(vs[0], 1)[0].label).toBe(1);
    expect(idx.vector(1)).toBeDefined();
    expect(idx.remove(1)).toBe(true); // threw "Label not found" when re-adding gave label 1 a second slot
    expect(labelsOf(idx, vs[0])).not.toContain(1);
    expect(idx.size).toBe(3);
  });
});

describe("Gallery snapshots", () => {
  const opts = (dir: string) => ({
    dim: DIM,
    mode: "global" as const,
    hnsw: params,
    model: "m",
    snapshotDir: join(dir, "index"),
  });

  it("counts changes since the snapshot, reports its load, and writes while it changes", async () => {
    const dir = tempDir();
    const store = new SqliteStore(join(dir, "db.sqlite"));
    await store.init();
    const p = person();
    await store.persons.insert(p);
    const faces = Array.from({ length: 30 }, () => face(p.id, { embedding: unit() }));
    for (const f of faces) await store.persons.insertFace(f);

    const g = new Gallery(opts(dir));
    expect(g.ready).toBe(false);
    expect(g.loading?.phase).toBe("pending");
    const seen: LoadProgress[] = [];
    await g.load(store, { onProgress: (x) => void seen.push(x) });
    expect(g.ready).toBe(true);
    expect(g.loading).toBeUndefined();
    expect(seen.map((x) => x.phase)).toEqual(["snapshot", "database", "catch-up"]);
    expect(seen[2]).toMatchObject({ done: 0, total: 30 });
    expect(g.lastLoad).toMatchObject({ fromSnapshot: 0, added: 30, removed: 0 });
    expect(g.changesSinceSnapshot).toBe(30);

    const writing = g.snapshot();
    const extra = face(p.id, { embedding: unit() });
    g.addFace(extra, extra.embedding); // during the write
    expect(g.search(extra.embedding, 1).map((n) => n.label)).toEqual([extra.id]);
    const st = await writing;
    expect(st).toMatchObject({ faces: 30, applied: 1 });
    expect(g.changesSinceSnapshot).toBe(1); // the face added during the write is not in it
    expect(g.dirty).toBe(true);

    // A restart: the snapshot has 30, the store 31 (the kill came before the next snapshot).
    await store.persons.insertFace(extra);
    const g2 = new Gallery(opts(dir));
    await g2.load(store);
    expect(g2.lastLoad).toMatchObject({ fromSnapshot: 30, added: 1, removed: 0 });
    expect([...g2.indexedFaces().keys()].sort()).toEqual([...faces, extra].map((f) => f.id).sort());
    await store.close();
  });
});
