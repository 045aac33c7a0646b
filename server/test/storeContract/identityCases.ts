/** Contract cases of the identity work's records: sighting embeddings, the audit log, exclusions, proposals, jobs. */
import { expect, it } from "vitest";
import type { Proposal } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/types.ts";
import { alert, allPages, batch, face, person, sighting, T0 } from "./records.ts";

const unit = (seed: number) => {
  const v = new Float32Array(512).map((_, i) => Math.sin(seed * 7.1 + i * 0.37));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

export function identityCases(ctx: { store: Store }): void {
  it("keeps each sighting's embedding and history-index label; pages them for the index in label order", async () => {
    const { store } = ctx;
    const base = await store.sightings.maxIndexId();
    const p = person();
    const s1 = sighting(p.id, { indexId: base + 1, grade: "likely" });
    const s2 = sighting(null, { indexId: base + 2, unlinkedReason: "candidate" });
    const s3 = sighting(null); // never indexed
    await store.commitBatch(
      batch({
        newPersons: [p],
        newSightings: [s1, s2, s3],
        sightingEmbeddings: [
          { id: s1.id, indexId: base + 1, embedding: unit(1) },
          { id: s2.id, indexId: base + 2, embedding: unit(2) },
        ],
      }),
    );
    expect(await store.sightings.get(s1.id)).toMatchObject({
      grade: "likely",
      unlinkedReason: null,
      indexId: base + 1,
    });
    expect(await store.sightings.get(s2.id)).toMatchObject({ grade: null, unlinkedReason: "candidate" });
    expect(await store.sightings.maxIndexId()).toBe(base + 2);
    const emb = await store.sightings.embeddings([s1.id, s2.id, s3.id]);
    expect([...emb.keys()].sort()).toEqual([s1.id, s2.id].sort());
    expect(Array.from(emb.get(s2.id)!)).toEqual(Array.from(unit(2)));
    const listed = await store.sightings.indexed(base, 10);
    expect(listed.map((x) => [x.id, x.indexId, x.personId])).toEqual([
      [s1.id, base + 1, p.id],
      [s2.id, base + 2, null],
    ]);
    expect(await store.sightings.indexed(base + 1, 10)).toHaveLength(1);
    // A better shot replaces the embedding under the same label.
    await store.commitBatch(batch({ sightingEmbeddings: [{ id: s1.id, indexId: base + 1, embedding: unit(3) }] }));
    expect(Array.from((await store.sightings.embeddings([s1.id])).get(s1.id)!)).toEqual(Array.from(unit(3)));
  });

  it("reassigns sightings: person, counts, last-seen, alerts follow; learned faces leave the old person", async () => {
    const { store } = ctx;
    const x = person({ list: null });
    const y = person({ list: "foe" });
    const s1 = sighting(x.id, { lastSeenAt: T0 + 10, similarity: 0.8, grade: "strong" });
    const s2 = sighting(x.id, { lastSeenAt: T0 + 20 });
    const f1 = face(x.id, { source: "sighting", sightingId: s1.id });
    const f2 = face(x.id, { source: "sighting", sightingId: s2.id });
    const a1 = alert(s1, { personId: x.id });
    await store.commitBatch(
      batch({
        newPersons: [x, y],
        newSightings: [s1, s2],
        newFaces: [f1, f2],
        alerts: [a1],
        personSeen: [{ id: x.id, at: T0 + 20 }],
      }),
    );
    const r = await store.sightings.reassign([s2.id, "no-such-sighting"], y.id, T0 + 100, "unlinked");
    expect(r.before.map((s) => [s.id, s.personId])).toEqual([[s2.id, x.id]]);
    expect(r.deletedFaceIds).toEqual([f2.id]);
    expect(await store.sightings.get(s2.id)).toMatchObject({
      personId: y.id,
      similarity: null,
      grade: null,
      verdict: "foe",
      unlinkedReason: null,
    });
    expect(await store.persons.get(x.id)).toMatchObject({ sightingCount: 1, lastSeenAt: T0 + 10 });
    expect(await store.persons.get(y.id)).toMatchObject({ sightingCount: 1, lastSeenAt: T0 + 20 });
    expect((await store.persons.listFaces(x.id)).map((f) => f.id)).toEqual([f1.id]);
    // To no one: the reason is kept, the alert follows.
    const r2 = await store.sightings.reassign([s1.id], null, T0 + 200, "unlinked");
    expect(r2.deletedFaceIds).toEqual([f1.id]);
    expect(await store.sightings.get(s1.id)).toMatchObject({
      personId: null,
      unlinkedReason: "unlinked",
      verdict: "none",
    });
    expect(await store.alerts.get(a1.id)).toMatchObject({ personId: null });
    expect(await store.persons.get(x.id)).toMatchObject({ sightingCount: 0, lastSeenAt: null });
    expect((await store.sightings.list({ personId: y.id, list: "foe" }, undefined, 10)).items.map((s) => s.id)).toEqual(
      [s2.id],
    );
    await store.persons.delete(x.id);
    await store.persons.delete(y.id);
    await store.sightings.deleteBefore(T0 + 1_000_000, false, 100);
  });

  it("appends audit entries with increasing ids, newest first, filtered and paged", async () => {
    const { store } = ctx;
    const admin = { kind: "session" as const, id: "u1", name: "alice" };
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        await store.audit.append({
          at: T0 + i,
          actor: i % 2 ? { kind: "token", id: "t1", name: "script" } : admin,
          action: i < 3 ? "person.rename" : "sighting.move",
          targetType: i < 3 ? "person" : "sighting",
          targetId: `x${i % 2}`,
          before: { name: `old${i}` },
          after: { name: `new${i}` },
        }),
      );
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    const all = (await allPages((c) => store.audit.list({ from: T0 }, c, 2))).flat();
    expect(all.map((e) => e.id)).toEqual([...ids].reverse());
    expect(all[0]).toMatchObject({ action: "sighting.move", before: { name: "old4" }, after: { name: "new4" } });
    expect((await store.audit.list({ action: "person.rename", from: T0 }, undefined, 10)).items).toHaveLength(3);
    expect((await store.audit.list({ actor: "script", from: T0 }, undefined, 10)).items.map((e) => e.id)).toEqual([
      ids[3],
      ids[1],
    ]);
    expect((await store.audit.list({ targetType: "person", targetId: "x0" }, undefined, 10)).items).toHaveLength(2);
    expect(await store.audit.deleteBefore(T0 + 2)).toBeGreaterThanOrEqual(2);
    expect((await store.audit.list({ from: T0 }, undefined, 10)).items).toHaveLength(3);
  });

  it("remembers 'not X' per track, and moves or drops it with the person", async () => {
    const { store } = ctx;
    const e = { trackKey: "ag/cam/t1", personId: "pX", sightingId: "s1", createdAt: T0, createdBy: "session:alice" };
    await store.exclusions.add(e);
    await store.exclusions.add(e); // idempotent
    await store.exclusions.add({ ...e, personId: "pY" });
    expect((await store.exclusions.personsFor("ag/cam/t1")).sort()).toEqual(["pX", "pY"]);
    expect(await store.exclusions.listForPerson("pX")).toEqual([e]);
    await store.exclusions.movePerson("pX", "pZ");
    expect((await store.exclusions.personsFor("ag/cam/t1")).sort()).toEqual(["pY", "pZ"]);
    await store.exclusions.movePerson("pY", null);
    expect(await store.exclusions.personsFor("ag/cam/t1")).toEqual(["pZ"]);
  });

  it("offers a proposal once per pair, lists by score, and a decided pair is never offered again", async () => {
    const { store } = ctx;
    const prop = (id: string, a: string, b: string, score: number): Proposal => ({
      id,
      kind: "merge_persons",
      a,
      b,
      score,
      status: "open",
      createdAt: T0,
      decidedAt: null,
      decidedBy: null,
      jobId: "j1",
    });
    expect(await store.proposals.offer([prop("p1", "A", "B", 0.61), prop("p2", "A", "C", 0.72)])).toBe(2);
    expect(await store.proposals.offer([prop("p3", "A", "B", 0.9)])).toBe(0);
    const open = (await allPages((c) => store.proposals.list({ status: "open" }, c, 1))).flat();
    expect(open.map((p) => [p.id, p.score])).toEqual([
      ["p2", 0.72],
      ["p1", 0.61],
    ]);
    expect(await store.proposals.decide("p1", "rejected", "session:alice", T0 + 5)).toMatchObject({
      status: "rejected",
      decidedBy: "session:alice",
      decidedAt: T0 + 5,
    });
    // Deciding again does nothing; the rejected pair stays rejected when offered again.
    expect((await store.proposals.decide("p1", "accepted", "x", T0 + 9))?.status).toBe("rejected");
    expect(await store.proposals.offer([prop("p4", "A", "B", 0.95)])).toBe(0);
    expect((await store.proposals.get("p1"))?.status).toBe("rejected");
    expect(await store.proposals.dropOpenNaming("C")).toBe(1);
    expect(await store.proposals.get("p2")).toBeUndefined();
  });

  it("keeps jobs with their status and progress, newest first", async () => {
    const { store } = ctx;
    const job = {
      id: "job-1",
      kind: "cluster",
      status: "queued" as const,
      progress: 0,
      message: null,
      result: null,
      error: null,
      createdAt: T0,
      startedAt: null,
      finishedAt: null,
      createdBy: "session:alice",
    };
    await store.jobs.insert(job);
    await store.jobs.insert({ ...job, id: "job-2", createdAt: T0 + 1 });
    expect(await store.jobs.update("job-1", { status: "running", progress: 0.5, startedAt: T0 + 2 })).toMatchObject({
      status: "running",
      progress: 0.5,
    });
    await store.jobs.update("job-1", { status: "done", progress: 1, result: { proposals: 3 }, finishedAt: T0 + 3 });
    expect(await store.jobs.get("job-1")).toMatchObject({ status: "done", result: { proposals: 3 } });
    expect((await store.jobs.list(10)).map((j) => j.id).slice(0, 2)).toEqual(["job-2", "job-1"]);
    expect(await store.jobs.get("nope")).toBeUndefined();
  });
}
