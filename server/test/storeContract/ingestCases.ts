/** Contract cases: persons and faces, sightings, the ingest unit of work, merges, retention, alerts. */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { Person, Sighting } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/types.ts";
import { alert, allPages, batch, DAY, face, person, sighting, T0 } from "./records.ts";

/** `ctx.store` is the store under test, set before the first case runs. */
export function ingestCases(ctx: { store: Store }): void {
  it("inserts, reads, updates and lists persons with filters and cursor pages", async () => {
    const { store } = ctx;
    const made: Person[] = [];
    for (let i = 0; i < 7; i++) {
      const p = person({
        name: i % 2 ? `Alice ${i}` : `Bob ${i}`,
        kind: i < 3 ? "auto" : "enrolled",
        list: i === 4 ? "foe" : i === 5 ? "friend" : null,
        autoNumber: i < 3 ? i + 1 : null,
        createdAt: T0 + i * 1000,
        sightingCount: 10 - i,
      });
      made.push(p);
      await store.persons.insert(p);
    }
    expect(await store.persons.get(made[2].id)).toEqual(made[2]);
    expect(await store.persons.get("missing")).toBeUndefined();
    expect(await store.persons.maxAutoNumber()).toBe(3);

    const pages = await allPages((c) => store.persons.list({}, c, 3));
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((p) => p.id)).toEqual([...made].reverse().map((p) => p.id));

    expect((await store.persons.list({ kind: "auto" }, undefined, 10)).items.map((p) => p.id)).toEqual(
      [made[2], made[1], made[0]].map((p) => p.id),
    );
    expect((await store.persons.list({ list: "foe" }, undefined, 10)).items.map((p) => p.id)).toEqual([made[4].id]);
    expect((await store.persons.list({ list: "none" }, undefined, 10)).items).toHaveLength(5);
    expect((await store.persons.list({ q: "alice" }, undefined, 10)).items).toHaveLength(3);
    const bySightings = await allPages((c) => store.persons.list({ sort: "sightings" }, c, 2));
    expect(bySightings.flat().map((p) => p.sightingCount)).toEqual([10, 9, 8, 7, 6, 5, 4]);

    // Never-seen persons (lastSeenAt null) come last and every page is reachable.
    await store.commitBatch(
      batch({
        personSeen: [
          { id: made[1].id, at: T0 + 50 },
          { id: made[5].id, at: T0 + 60 },
        ],
      }),
    );
    const byLastSeen = (await allPages((c) => store.persons.list({ sort: "lastSeen" }, c, 2))).flat();
    expect(byLastSeen.map((p) => p.id).slice(0, 2)).toEqual([made[5].id, made[1].id]);
    expect(new Set(byLastSeen.map((p) => p.id))).toEqual(new Set(made.map((p) => p.id)));
    expect(byLastSeen).toHaveLength(7);

    const u = await store.persons.update(made[0].id, { name: "Carol", list: "friend", meta: { a: 1 } }, T0 + 5);
    expect(u).toMatchObject({ name: "Carol", list: "friend", meta: { a: 1 }, updatedAt: T0 + 5, kind: "auto" });
    expect(await store.persons.update("missing", { name: "x" }, T0)).toBeUndefined();
    const brief = await store.persons.brief();
    expect(brief.find((b) => b.id === made[0].id)).toEqual({
      id: made[0].id,
      kind: "auto",
      list: "friend",
      cameraId: null,
    });
    for (const p of made) await store.persons.delete(p.id);
    expect(await store.persons.count()).toBe(0);
  });

  it("rejects a malformed cursor", async () => {
    const { store } = ctx;
    await expect(store.persons.list({}, "not-a-cursor", 5)).rejects.toThrow(/cursor/);
  });

  it("commits an ingest batch and reports its event ids as known; a replay changes nothing", async () => {
    const { store } = ctx;
    const p = person({ kind: "auto", autoNumber: 7, cameraId: "cam1" });
    const s = sighting(p.id);
    const f = face(p.id, { sightingId: s.id });
    const a = alert(s);
    const b = batch({
      newPersons: [p],
      newFaces: [f],
      newSightings: [s],
      personSeen: [{ id: p.id, at: s.lastSeenAt }],
      alerts: [a],
      deliveries: [],
      cameraEvents: [{ cameraId: "cam1", agentId: "agent1", at: s.capturedAt, events: 1 }],
      eventIds: [{ eventId: s.eventId, sightingId: s.id, receivedAt: T0 }],
    });
    await store.commitBatch(b);
    await store.commitBatch(b); // replay after a failed acknowledgement
    expect(await store.sightings.knownEventIds([s.eventId, randomUUID()])).toEqual(new Set([s.eventId]));
    expect(await store.sightings.get(s.id)).toEqual(s);
    expect(await store.persons.get(p.id)).toMatchObject({ lastSeenAt: T0, sightingCount: 1 });
    expect((await store.sightings.list({ personId: p.id }, undefined, 10)).items).toHaveLength(1);
    expect((await store.alerts.list({}, undefined, 10)).items.filter((x) => x.id === a.id)).toHaveLength(1);
    expect(await store.persons.listFaces(p.id)).toEqual([
      {
        id: f.id,
        personId: p.id,
        source: "sighting",
        cameraId: "cam1",
        quality: 0.8,
        sightingId: s.id,
        createdAt: T0,
      },
    ]);
    const emb = await store.persons.faceEmbeddings([f.id]);
    expect(Array.from(emb.get(f.id)!)).toEqual(Array.from(f.embedding));
    expect(await store.persons.maxFaceId()).toBeGreaterThanOrEqual(f.id);
    const cam = await store.cameras.get("agent1", "cam1");
    expect(cam).toMatchObject({ agentId: "agent1", lastEventAt: T0, sensitive: false });
    expect(cam!.eventCount).toBeGreaterThanOrEqual(1);

    // a later shot of the same track updates the sighting
    const found = await store.sightings.findTrack("agent1", "cam1", s.trackId, T0 - 1000);
    expect(found?.id).toBe(s.id);
    expect(await store.sightings.findTrack("agent1", "cam1", s.trackId, T0 + 1)).toBeUndefined();
    await store.commitBatch(
      batch({
        sightingUpdates: [{ id: s.id, set: { lastSeenAt: T0 + 500, quality: 0.9, shots: 2, box: [5, 5, 50, 50] } }],
        deletedFaceIds: [f.id],
      }),
    );
    expect(await store.sightings.get(s.id)).toMatchObject({
      lastSeenAt: T0 + 500,
      quality: 0.9,
      shots: 2,
      box: [5, 5, 50, 50],
    });
    expect(await store.persons.listFaces(p.id)).toEqual([]);
    await store.persons.delete(p.id);
  });

  it("filters sightings by person, cameras, time, list and kind, newest first with cursor pages", async () => {
    const { store } = ctx;
    const foe = person({ list: "foe", kind: "enrolled" });
    const auto = person({ kind: "auto", autoNumber: 1 });
    await store.persons.insert(foe);
    await store.persons.insert(auto);
    const ss: Sighting[] = [];
    for (let i = 0; i < 9; i++) {
      ss.push(
        sighting(i % 3 === 0 ? foe.id : i % 3 === 1 ? auto.id : null, {
          cameraId: i % 2 ? "camA" : "camB",
          capturedAt: T0 + i * 60_000,
          lastSeenAt: T0 + i * 60_000,
        }),
      );
    }
    // two sightings at the same instant: the id breaks the tie
    ss.push(sighting(auto.id, { cameraId: "camA", capturedAt: T0 + 8 * 60_000, lastSeenAt: T0 + 8 * 60_000 }));
    await store.commitBatch(batch({ newSightings: ss }));
    const all = (await allPages((c) => store.sightings.list({}, c, 4))).flat();
    expect(all.map((s) => s.id)).toEqual(
      [...ss].sort((a, b) => b.capturedAt - a.capturedAt || (a.id < b.id ? 1 : -1)).map((s) => s.id),
    );
    const camA = await store.sightings.list({ cameras: [{ cameraId: "camA" }] }, undefined, 50);
    expect(camA.items.every((s) => s.cameraId === "camA")).toBe(true);
    expect(camA.items).toHaveLength(5);
    expect(
      (
        await store.sightings.list(
          { cameras: [{ cameraId: "camA" }, { agentId: "agent1", cameraId: "camB" }] },
          undefined,
          50,
        )
      ).items,
    ).toHaveLength(10);
    expect(
      (await store.sightings.list({ cameras: [{ agentId: "elsewhere", cameraId: "camA" }] }, undefined, 50)).items,
    ).toHaveLength(0);
    const range = await store.sightings.list({ from: T0 + 2 * 60_000, to: T0 + 5 * 60_000 }, undefined, 50);
    expect(range.items.map((s) => s.capturedAt)).toEqual([T0 + 4 * 60_000, T0 + 3 * 60_000, T0 + 2 * 60_000]);
    expect((await store.sightings.list({ list: "foe" }, undefined, 50)).items.every((s) => s.personId === foe.id)).toBe(
      true,
    );
    expect((await store.sightings.list({ list: "foe" }, undefined, 50)).items).toHaveLength(3);
    const none = await store.sightings.list({ list: "none" }, undefined, 50);
    expect(none.items.every((s) => s.personId !== foe.id)).toBe(true);
    expect(none.items).toHaveLength(7);
    expect((await store.sightings.list({ kind: "auto" }, undefined, 50)).items).toHaveLength(4);
    expect((await store.sightings.list({ personId: foe.id }, undefined, 50)).items).toHaveLength(3);

    // list changes reach the sighting filters
    await store.persons.update(auto.id, { list: "friend" }, T0);
    expect((await store.sightings.list({ list: "friend" }, undefined, 50)).items).toHaveLength(4);
    await store.persons.delete(foe.id);
    await store.persons.delete(auto.id);
    expect((await store.sightings.list({}, undefined, 50)).items).toHaveLength(3);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });

  it("counts distinct days per camera for the regulars rule", async () => {
    const { store } = ctx;
    const p = person();
    await store.persons.insert(p);
    const days = [20260101, 20260102, 20260102, 20260104, 20260105, 20260106];
    await store.commitBatch(
      batch({
        newSightings: [
          ...days.map((day) => sighting(p.id, { day, cameraId: "door" })),
          sighting(p.id, { day: 20260103, cameraId: "hall" }),
        ],
      }),
    );
    expect(await store.sightings.distinctDays(p.id, "agent1", "elsewhere", 20260102)).toEqual([]);
    expect(await store.sightings.distinctDays(p.id, "agent1", "door", 20260102)).toEqual([
      20260102, 20260104, 20260105, 20260106,
    ]);
    expect(await store.sightings.regularCameras(p.id, 20260101, 5)).toEqual(["agent1/door"]);
    expect(await store.sightings.regularCameras(p.id, 20260102, 5)).toEqual([]);
    await store.persons.delete(p.id);
  });

  it("merges two persons: sightings, faces and alerts move, counters follow", async () => {
    const { store } = ctx;
    const a = person({ name: "A" });
    const b = person({ name: "B", kind: "auto", autoNumber: 3 });
    await store.persons.insert(a);
    await store.persons.insert(b);
    const sa = sighting(a.id, { lastSeenAt: T0 });
    const sb1 = sighting(b.id, { lastSeenAt: T0 + 1000, capturedAt: T0 + 1000 });
    const sb2 = sighting(b.id, { lastSeenAt: T0 + 2000, capturedAt: T0 + 2000 });
    const fb = face(b.id);
    await store.commitBatch(
      batch({
        newSightings: [sa, sb1, sb2],
        newFaces: [fb],
        alerts: [alert(sb1)],
        personSeen: [
          { id: a.id, at: T0 },
          { id: b.id, at: T0 + 2000 },
        ],
      }),
    );
    await store.persons.merge(a.id, b.id, T0 + 5000);
    expect(await store.persons.get(b.id)).toBeUndefined();
    expect(await store.persons.get(a.id)).toMatchObject({ sightingCount: 3, lastSeenAt: T0 + 2000 });
    expect((await store.sightings.list({ personId: a.id }, undefined, 10)).items).toHaveLength(3);
    expect((await store.persons.listFaces(a.id)).map((f) => f.id)).toEqual([fb.id]);
    expect((await store.alerts.list({ personId: a.id }, undefined, 10)).items).toHaveLength(1);
    const del = await store.persons.delete(a.id);
    expect(new Set(del!.sightingIds)).toEqual(new Set([sa.id, sb1.id, sb2.id]));
    expect(del!.faceIds).toEqual([fb.id]);
    expect(await store.sightings.get(sa.id)).toBeUndefined();
    expect((await store.alerts.list({ personId: a.id }, undefined, 10)).items).toHaveLength(0);
    expect(await store.persons.delete(a.id)).toBeUndefined();
  });

  it("retention deletes old sightings and their alerts, keeps listed persons, finds empty automatic persons", async () => {
    const { store } = ctx;
    const listed = person({ list: "foe" });
    const auto = person({ kind: "auto", autoNumber: 9 });
    await store.persons.insert(listed);
    await store.persons.insert(auto);
    const old1 = sighting(listed.id, { lastSeenAt: T0 - 40 * DAY, capturedAt: T0 - 40 * DAY });
    const old2 = sighting(auto.id, { lastSeenAt: T0 - 40 * DAY, capturedAt: T0 - 40 * DAY });
    const fresh = sighting(null, { lastSeenAt: T0, capturedAt: T0 });
    const a2 = alert(old2, { type: "unknown_at_sensitive_camera" });
    await store.commitBatch(
      batch({
        newSightings: [old1, old2, fresh],
        alerts: [a2],
        personSeen: [{ id: auto.id, at: old2.lastSeenAt }],
        eventIds: [{ eventId: old2.eventId, sightingId: old2.id, receivedAt: T0 - 40 * DAY }],
      }),
    );
    const deleted = await store.sightings.deleteBefore(T0 - 30 * DAY, true, 100);
    expect(deleted).toEqual([old2.id]);
    expect(await store.sightings.get(old1.id)).toBeDefined();
    expect(await store.sightings.get(fresh.id)).toBeDefined();
    expect(await store.alerts.get(a2.id)).toBeUndefined();
    expect(await store.persons.get(auto.id)).toMatchObject({ sightingCount: 0 });
    expect(await store.persons.emptyAuto(10)).toEqual([auto.id]);
    expect(await store.sightings.deleteEventIdsBefore(T0 - 30 * DAY)).toBe(1);
    expect(await store.sightings.knownEventIds([old2.eventId])).toEqual(new Set());
    expect(await store.sightings.deleteBefore(T0 - 30 * DAY, false, 100)).toEqual([old1.id]);
    await store.persons.delete(listed.id);
    await store.persons.delete(auto.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });

  it("stores, pages and acknowledges alerts", async () => {
    const { store } = ctx;
    const s = sighting(null);
    const alerts = [0, 1, 2, 3, 4].map((i) => alert(s, { createdAt: T0 + i }));
    await store.commitBatch(batch({ newSightings: [s], alerts }));
    const pages = await allPages((c) => store.alerts.list({}, c, 2));
    expect(pages.flat().map((a) => a.id)).toEqual([...alerts].reverse().map((a) => a.id));
    const acked = await store.alerts.ack(alerts[1].id, "tok1", T0 + 99);
    expect(acked).toMatchObject({ ackedAt: T0 + 99, ackedBy: "tok1" });
    // a second ack keeps the first
    expect(await store.alerts.ack(alerts[1].id, "tok2", T0 + 100)).toMatchObject({ ackedBy: "tok1" });
    expect((await store.alerts.list({ acked: false }, undefined, 10)).items).toHaveLength(4);
    expect((await store.alerts.list({ acked: true }, undefined, 10)).items.map((a) => a.id)).toEqual([alerts[1].id]);
    expect(await store.alerts.ack("missing", "x", T0)).toBeUndefined();
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
    expect((await store.alerts.list({}, undefined, 10)).items).toHaveLength(0);
  });

  it("keeps faces apart from their embeddings, ascending ids, and deletes them by id", async () => {
    const { store } = ctx;
    const p = person();
    await store.persons.insert(p);
    const f1 = face(p.id, { source: "enrol", cameraId: null });
    const f2 = face(p.id, { quality: 0.5 });
    await store.persons.insertFace(f2);
    await store.persons.insertFace(f1);
    await store.persons.insertFace(f1); // idempotent by id
    const { embedding: _e, ...meta1 } = f1;
    expect(await store.persons.getFace(f1.id)).toEqual(meta1);
    expect(await store.persons.getFace(-1)).toBeUndefined();
    expect((await store.persons.listFaces(p.id)).map((f) => f.id)).toEqual([f1.id, f2.id]);
    const all = (await store.persons.allFaces()).map((f) => f.id);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(all).toEqual(expect.arrayContaining([f1.id, f2.id]));
    const emb = await store.persons.faceEmbeddings([f2.id, -1]);
    expect([...emb.keys()]).toEqual([f2.id]);
    expect(Array.from(emb.get(f2.id)!)).toEqual(Array.from(f2.embedding));
    expect(await store.persons.maxFaceId()).toBeGreaterThanOrEqual(f2.id);
    await store.persons.deleteFaces([f1.id]);
    expect((await store.persons.listFaces(p.id)).map((f) => f.id)).toEqual([f2.id]);
    expect(await store.persons.delete(p.id)).toEqual({ faceIds: [f2.id], sightingIds: [] });
  });

  it("counts persons and sightings; only unlisted automatic persons count as empty", async () => {
    const { store } = ctx;
    const persons0 = await store.persons.count();
    const sightings0 = await store.sightings.count();
    const auto = person({ kind: "auto", autoNumber: 41 });
    const listedAuto = person({ kind: "auto", autoNumber: 42, list: "friend" });
    const enrolled = person();
    for (const p of [auto, listedAuto, enrolled]) await store.persons.insert(p);
    await store.commitBatch(batch({ newSightings: [sighting(enrolled.id), sighting(null)] }));
    expect(await store.persons.count()).toBe(persons0 + 3);
    expect(await store.sightings.count()).toBe(sightings0 + 2);
    expect(await store.persons.emptyAuto(100)).toContain(auto.id);
    expect(await store.persons.emptyAuto(100)).not.toContain(listedAuto.id);
    expect(await store.persons.emptyAuto(100)).not.toContain(enrolled.id);
    expect(await store.persons.maxAutoNumber()).toBeGreaterThanOrEqual(42);
    for (const p of [auto, listedAuto, enrolled]) await store.persons.delete(p.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
    expect(await store.sightings.count()).toBe(0);
  });

  it("filters alerts by type, person and camera", async () => {
    const { store } = ctx;
    const p = person({ list: "foe" });
    await store.persons.insert(p);
    const s1 = sighting(p.id, { cameraId: "camX" });
    const s2 = sighting(null, { cameraId: "camY" });
    const a1 = alert(s1, { createdAt: T0 + 1 });
    const a2 = alert(s2, { type: "unknown_at_sensitive_camera", createdAt: T0 + 2 });
    await store.commitBatch(batch({ newSightings: [s1, s2], alerts: [a1, a2] }));
    const ids = async (f: Parameters<Store["alerts"]["list"]>[0]) =>
      (await store.alerts.list(f, undefined, 10)).items.map((a) => a.id);
    expect(await ids({})).toEqual([a2.id, a1.id]);
    expect(await ids({ type: "foe" })).toEqual([a1.id]);
    expect(await ids({ type: "unknown_at_sensitive_camera" })).toEqual([a2.id]);
    expect(await ids({ personId: p.id })).toEqual([a1.id]);
    expect(await ids({ camera: { cameraId: "camY" } })).toEqual([a2.id]);
    expect(await ids({ camera: { agentId: "agent1", cameraId: "camY" } })).toEqual([a2.id]);
    expect(await ids({ camera: { agentId: "other", cameraId: "camY" } })).toEqual([]);
    expect(await store.alerts.get(a1.id)).toEqual(a1);
    await store.persons.delete(p.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
    expect(await ids({})).toEqual([]);
  });

  it("keeps a sighting's clockSkewed flag, set when stored or by a later shot", async () => {
    const { store } = ctx;
    const skewed = sighting(null, { clockSkewed: true });
    const later = sighting(null);
    await store.commitBatch(batch({ newSightings: [skewed, later] }));
    expect(await store.sightings.get(skewed.id)).toEqual(skewed);
    expect(await store.sightings.get(later.id)).toMatchObject({ clockSkewed: false });
    await store.commitBatch(batch({ sightingUpdates: [{ id: later.id, set: { clockSkewed: true, shots: 2 } }] }));
    expect(await store.sightings.get(later.id)).toMatchObject({ clockSkewed: true, shots: 2 });
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });
}
