/**
 * The history index on its own (synthetic unit vectors): add, a better shot replacing a vector under
 * the same label (also while a snapshot is being written), removal by sighting id, camera / time /
 * unlinked filters (both the over-fetch and the in-graph paths), and a snapshot read back.
 */
import { describe, expect, it } from "vitest";
import { HistoryIndex } from "../src/identify/history.ts";
import { tempDir } from "./helpers.ts";

const DIM = 64;
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};
const unit = () => {
  const v = Float32Array.from({ length: DIM }, rand);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const make = (dir = tempDir("argus-history-")) =>
  new HistoryIndex({
    dim: DIM,
    hnsw: { m: 16, efConstruction: 64, efSearch: 64, initialCapacity: 16 },
    model: "test",
    snapshotDir: dir,
  });
const T = Date.UTC(2026, 0, 1);
const entry = (
  i: number,
  o: Partial<{ camera: string; at: number; personId: string | null; quality: number }> = {},
) => ({
  id: id(i),
  indexId: i,
  agentId: "site",
  cameraId: o.camera ?? `cam${i % 3}`,
  capturedAt: o.at ?? T + i * 1000,
  personId: o.personId === undefined ? "p" : o.personId,
  quality: o.quality ?? 0.5,
});
const emptyStore = (max: number) => ({ sightings: { maxIndexId: async () => max, indexed: async () => [] } }) as never;

describe("history index", () => {
  it("finds sightings, replaces a better shot's vector under its label, removes by sighting id", async () => {
    const h = make();
    const vs = Array.from({ length: 200 }, unit);
    for (const [i, v] of vs.entries()) h.add(entry(i + 1), v);
    expect(h.size).toBe(200);
    const [top] = h.search(vs[41], { k: 1 });
    expect(top).toMatchObject({ indexId: 42, sightingId: id(42), camera: "site/cam0" });
    expect(top.similarity).toBeCloseTo(1, 5);
    // A better shot of sighting 42 looks like sighting 7's face now.
    h.replace(entry(42, { quality: 0.9 }), vs[6]);
    const hits = h.search(vs[6], { k: 2 }).map((x) => x.indexId);
    expect(hits.sort((a, b) => a - b)).toEqual([7, 42]);
    expect(h.search(vs[41], { k: 1 })[0].indexId).not.toBe(42);
    // Removal by sighting id.
    expect(h.removeSightings([id(7), id(999)])).toBe(1);
    expect(h.labelOf(id(7))).toBeUndefined();
    expect(h.search(vs[6], { k: 1 })[0].indexId).toBe(42);
  });

  it("filters by camera, time and linked, over-fetching when many pass and in the graph when few do", () => {
    const h = make();
    const vs = Array.from({ length: 600 }, unit);
    for (const [i, v] of vs.entries()) h.add(entry(i + 1, { personId: i % 5 ? "p" : null }), v);
    const q = vs[0];
    const cam1 = h.search(q, { k: 20, cameras: [{ cameraId: "cam1" }] });
    expect(cam1).toHaveLength(20);
    expect(cam1.every((x) => x.camera === "site/cam1")).toBe(true);
    expect(h.search(q, { k: 5, cameras: [{ agentId: "other", cameraId: "cam1" }] })).toEqual([]);
    // A narrow time range: few pass (the in-graph filter).
    const narrow = h.search(q, { k: 20, from: T + 100_000, to: T + 105_000 });
    expect(narrow.map((x) => x.indexId).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104]);
    const unlinked = h.search(q, { k: 50, unlinked: true });
    expect(unlinked.length).toBe(50);
    expect(unlinked.every((x) => !x.linked && (x.indexId - 1) % 5 === 0)).toBe(true);
    h.setLinked(id(1), true);
    expect(h.search(q, { k: 200, unlinked: true }).map((x) => x.indexId)).not.toContain(1);
  });

  it("writes a snapshot (changes during the write included after it) and reads it back", async () => {
    const dir = tempDir("argus-history-");
    const h = make(dir);
    const vs = Array.from({ length: 300 }, unit);
    for (const [i, v] of vs.entries()) h.add(entry(i + 1), v);
    const writing = h.snapshot();
    // Changes while the graph is frozen: a new sighting, a replaced vector, a removal.
    const extra = unit();
    h.add(entry(301), extra);
    h.replace(entry(5, { quality: 0.99 }), vs[9]);
    h.removeSightings([id(6)]);
    expect(h.search(extra, { k: 1 })[0].indexId).toBe(301);
    expect(
      h
        .search(vs[9], { k: 2 })
        .map((x) => x.indexId)
        .sort((a, b) => a - b),
    ).toEqual([5, 10]);
    expect(h.search(vs[5], { k: 1 })[0].indexId).not.toBe(6);
    const st = await writing;
    expect(st.sightings).toBe(300);
    // After the write the graph has caught up.
    expect(h.search(extra, { k: 1 })[0].indexId).toBe(301);
    expect(
      h
        .search(vs[9], { k: 2 })
        .map((x) => x.indexId)
        .sort((a, b) => a - b),
    ).toEqual([5, 10]);
    expect(h.labelOf(id(6))).toBeUndefined();
    // Read back: what the snapshot held, with its metadata.
    const back = make(dir);
    const r = await back.load(emptyStore(300));
    expect(r.fromSnapshot).toBe(300);
    expect(back.ready).toBe(true);
    const [hit] = back.search(vs[99], { k: 1, cameras: [{ cameraId: "cam1" }] });
    expect(hit).toMatchObject({ indexId: 100, sightingId: id(100), camera: "site/cam1", capturedAt: T + 100_000 });
    expect(back.labelOf(id(100))).toBe(100);
  });
});
