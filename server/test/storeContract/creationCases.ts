/**
 * Contract cases of cautious creation: sightings of no person (`kind: "unidentified"`), stored
 * sightings that change person in an ingest batch (a candidate promoted, a track linked) moving
 * between the persons' sighting counts, and the candidate index rebuilt from the store.
 */
import { expect, it } from "vitest";
import { CandidatePool } from "../../src/identify/creation.ts";
import type { Store } from "../../src/store/types.ts";
import { batch, DAY, person, sighting, T0 } from "./records.ts";

const unit = (seed: number) => {
  const v = new Float32Array(512).map((_, i) => Math.sin(seed * 3.3 + i * 0.71));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

export function creationCases(ctx: { store: Store }): void {
  it("lists the sightings of no person as kind 'unidentified'", async () => {
    const { store } = ctx;
    const p = person({ kind: "auto", autoNumber: 7 });
    const at = T0 + 100 * DAY;
    const linked = sighting(p.id, { capturedAt: at, lastSeenAt: at });
    const cand = sighting(null, { capturedAt: at + 1, lastSeenAt: at + 1, unlinkedReason: "candidate" });
    const junk = sighting(null, { capturedAt: at + 2, lastSeenAt: at + 2, unlinkedReason: "not_a_face:landmarks" });
    await store.commitBatch(batch({ newPersons: [p], newSightings: [linked, cand, junk] }));
    const un = await store.sightings.list({ kind: "unidentified", from: at }, undefined, 50);
    expect(un.items.map((s) => s.id)).toEqual([junk.id, cand.id]);
    expect((await store.sightings.list({ kind: "unidentified", personId: p.id }, undefined, 50)).items).toEqual([]);
    expect((await store.sightings.list({ kind: "auto", from: at }, undefined, 50)).items.map((s) => s.id)).toEqual([
      linked.id,
    ]);
    await store.persons.delete(p.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });

  it("a stored sighting that changes person moves between the sighting counts, once", async () => {
    const { store } = ctx;
    const at = T0 + 101 * DAY;
    const a = person({ kind: "auto", autoNumber: 8 });
    const c1 = sighting(null, { capturedAt: at, lastSeenAt: at, unlinkedReason: "candidate" });
    const c2 = sighting(null, { capturedAt: at + 1, lastSeenAt: at + 1, unlinkedReason: "candidate" });
    await store.commitBatch(batch({ newSightings: [c1, c2] }));
    // Promotion: a new person with a new sighting and the two candidates.
    const s3 = sighting(a.id, { capturedAt: at + 2, lastSeenAt: at + 2 });
    const promote = batch({
      newPersons: [a],
      newSightings: [s3],
      sightingUpdates: [c1, c2].map((c) => ({
        id: c.id,
        set: { personId: a.id, unlinkedReason: null, grade: "strong" as const, similarity: 0.8 },
      })),
      personSeen: [{ id: a.id, at: at + 2 }],
    });
    await store.commitBatch(promote);
    expect(await store.persons.get(a.id)).toMatchObject({ sightingCount: 3, lastSeenAt: at + 2 });
    expect(await store.sightings.get(c1.id)).toMatchObject({ personId: a.id, unlinkedReason: null, grade: "strong" });
    // A replay (a partial write redelivered) counts nothing twice.
    await store.commitBatch(promote);
    expect((await store.persons.get(a.id))!.sightingCount).toBe(3);
    // Moved to another person without that person being seen in the batch: both counts follow.
    const b = person({ kind: "auto", autoNumber: 9 });
    await store.persons.insert(b);
    await store.commitBatch(batch({ sightingUpdates: [{ id: c2.id, set: { personId: b.id } }] }));
    expect((await store.persons.get(a.id))!.sightingCount).toBe(2);
    expect((await store.persons.get(b.id))!.sightingCount).toBe(1);
    await store.persons.delete(a.id);
    await store.persons.delete(b.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });

  it("the candidate index is rebuilt from the stored candidate sightings of its window", async () => {
    const { store } = ctx;
    const now = T0 + 102 * DAY;
    const inWindow = sighting(null, {
      capturedAt: now - 3_600_000,
      lastSeenAt: now - 3_600_000,
      unlinkedReason: "candidate",
    });
    const old = sighting(null, { capturedAt: now - 9 * DAY, lastSeenAt: now - 9 * DAY, unlinkedReason: "candidate" });
    const poor = sighting(null, { capturedAt: now - 60_000, lastSeenAt: now - 60_000, unlinkedReason: "low_quality" });
    const base = await store.sightings.maxIndexId();
    await store.commitBatch(
      batch({
        newSightings: [inWindow, old, poor],
        sightingEmbeddings: [inWindow, old, poor].map((s, i) => ({
          id: s.id,
          indexId: base + 1 + i,
          embedding: unit(i),
        })),
      }),
    );
    const pool = new CandidatePool({ dim: 512, mode: "global", windowMs: 7 * DAY, maxCandidates: 1000 });
    expect(await pool.load(store, now)).toBe(1);
    expect([pool.has(inWindow.id), pool.has(old.id), pool.has(poor.id)]).toEqual([true, false, false]);
    const hit = pool.search(unit(0), 5, "agent1/cam1")[0];
    expect(hit.entry).toMatchObject({
      sightingId: inWindow.id,
      trackKey: `agent1|cam1|${inWindow.trackId}`,
      camera: "agent1/cam1",
    });
    expect(hit.similarity).toBeCloseTo(1, 4);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });
}
