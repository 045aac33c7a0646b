/**
 * The storage contract: one suite that every Store implementation must pass (server/test/store.test.ts
 * runs it against SQLite always and against MongoDB when MONGODB_URL is set).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Alert,
  emptyBatch,
  type FaceWithEmbedding,
  type IngestBatch,
  type Person,
  type Sighting,
  type Store,
} from "./types.ts";

const T0 = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;

export function person(over: Partial<Person> = {}): Person {
  return {
    id: randomUUID(),
    name: "P",
    kind: "enrolled",
    list: null,
    meta: {},
    autoNumber: null,
    cameraId: null,
    createdAt: T0,
    updatedAt: T0,
    lastSeenAt: null,
    sightingCount: 0,
    ...over,
  };
}

let faceSeq = 1000;
export function face(personId: string, over: Partial<FaceWithEmbedding> = {}): FaceWithEmbedding {
  const embedding = new Float32Array(512);
  embedding[faceSeq % 512] = 1;
  return {
    id: ++faceSeq,
    personId,
    source: "sighting",
    cameraId: "cam1",
    quality: 0.8,
    sightingId: null,
    createdAt: T0,
    embedding,
    ...over,
  };
}

export function sighting(personId: string | null, over: Partial<Sighting> = {}): Sighting {
  return {
    id: randomUUID(),
    personId,
    cameraId: "cam1",
    agentId: "agent1",
    trackId: randomUUID(),
    capturedAt: T0,
    lastSeenAt: T0,
    day: 20260110,
    similarity: 0.7,
    quality: 0.6,
    box: [1, 2, 30, 40],
    frame: { width: 640, height: 480 },
    verdict: "none",
    eventId: randomUUID(),
    shots: 1,
    hasContext: false,
    attributes: null,
    createdAt: T0,
    ...over,
  };
}

function batch(over: Partial<IngestBatch>): IngestBatch {
  return { ...emptyBatch(), ...over };
}

function alert(s: Sighting, over: Partial<Alert> = {}): Alert {
  return {
    id: randomUUID(),
    type: "foe",
    personId: s.personId,
    sightingId: s.id,
    cameraId: s.cameraId,
    agentId: s.agentId,
    capturedAt: s.capturedAt,
    similarity: s.similarity,
    createdAt: s.capturedAt,
    ackedAt: null,
    ackedBy: null,
    ...over,
  };
}

async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await fetch(cursor);
    pages.push(p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return pages;
}

/** Registers the contract suite for a store made by `make` (a fresh, empty store each time). */
export function storeContract(name: string, make: () => Promise<Store>, cleanup?: (s: Store) => Promise<void>) {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await make();
      await store.init();
    });
    afterAll(async () => {
      await cleanup?.(store);
      await store.close();
    });

    it("inserts, reads, updates and lists persons with filters and cursor pages", async () => {
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
        await store.insertPerson(p);
      }
      expect(await store.getPerson(made[2].id)).toEqual(made[2]);
      expect(await store.getPerson("missing")).toBeUndefined();
      expect(await store.maxAutoNumber()).toBe(3);

      const pages = await allPages((c) => store.listPersons({}, c, 3));
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((p) => p.id)).toEqual([...made].reverse().map((p) => p.id));

      expect((await store.listPersons({ kind: "auto" }, undefined, 10)).items.map((p) => p.id)).toEqual(
        [made[2], made[1], made[0]].map((p) => p.id),
      );
      expect((await store.listPersons({ list: "foe" }, undefined, 10)).items.map((p) => p.id)).toEqual([made[4].id]);
      expect((await store.listPersons({ list: "none" }, undefined, 10)).items).toHaveLength(5);
      expect((await store.listPersons({ q: "alice" }, undefined, 10)).items).toHaveLength(3);
      const bySightings = await allPages((c) => store.listPersons({ sort: "sightings" }, c, 2));
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
      const byLastSeen = (await allPages((c) => store.listPersons({ sort: "lastSeen" }, c, 2))).flat();
      expect(byLastSeen.map((p) => p.id).slice(0, 2)).toEqual([made[5].id, made[1].id]);
      expect(new Set(byLastSeen.map((p) => p.id))).toEqual(new Set(made.map((p) => p.id)));
      expect(byLastSeen).toHaveLength(7);

      const u = await store.updatePerson(made[0].id, { name: "Carol", list: "friend", meta: { a: 1 } }, T0 + 5);
      expect(u).toMatchObject({ name: "Carol", list: "friend", meta: { a: 1 }, updatedAt: T0 + 5, kind: "auto" });
      expect(await store.updatePerson("missing", { name: "x" }, T0)).toBeUndefined();
      const brief = await store.allPersonsBrief();
      expect(brief.find((b) => b.id === made[0].id)).toEqual({
        id: made[0].id,
        kind: "auto",
        list: "friend",
        cameraId: null,
      });
      for (const p of made) await store.deletePerson(p.id);
      expect(await store.countPersons()).toBe(0);
    });

    it("rejects a malformed cursor", async () => {
      await expect(store.listPersons({}, "not-a-cursor", 5)).rejects.toThrow(/cursor/);
    });

    it("commits an ingest batch and reports its event ids as known; a replay changes nothing", async () => {
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
      expect(await store.knownEventIds([s.eventId, randomUUID()])).toEqual(new Set([s.eventId]));
      expect(await store.getSighting(s.id)).toEqual(s);
      expect(await store.getPerson(p.id)).toMatchObject({ lastSeenAt: T0, sightingCount: 1 });
      expect((await store.listSightings({ personId: p.id }, undefined, 10)).items).toHaveLength(1);
      expect((await store.listAlerts({}, undefined, 10)).items.filter((x) => x.id === a.id)).toHaveLength(1);
      expect(await store.listFaces(p.id)).toEqual([
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
      const emb = await store.faceEmbeddings([f.id]);
      expect(Array.from(emb.get(f.id)!)).toEqual(Array.from(f.embedding));
      expect(await store.maxFaceId()).toBeGreaterThanOrEqual(f.id);
      const cam = await store.getCamera("cam1");
      expect(cam).toMatchObject({ agentId: "agent1", lastEventAt: T0, sensitive: false });
      expect(cam!.eventCount).toBeGreaterThanOrEqual(1);

      // a later shot of the same track updates the sighting
      const found = await store.findTrackSighting("agent1", "cam1", s.trackId, T0 - 1000);
      expect(found?.id).toBe(s.id);
      expect(await store.findTrackSighting("agent1", "cam1", s.trackId, T0 + 1)).toBeUndefined();
      await store.commitBatch(
        batch({
          sightingUpdates: [{ id: s.id, set: { lastSeenAt: T0 + 500, quality: 0.9, shots: 2, box: [5, 5, 50, 50] } }],
          deletedFaceIds: [f.id],
        }),
      );
      expect(await store.getSighting(s.id)).toMatchObject({
        lastSeenAt: T0 + 500,
        quality: 0.9,
        shots: 2,
        box: [5, 5, 50, 50],
      });
      expect(await store.listFaces(p.id)).toEqual([]);
      await store.deletePerson(p.id);
    });

    it("filters sightings by person, cameras, time, list and kind, newest first with cursor pages", async () => {
      const foe = person({ list: "foe", kind: "enrolled" });
      const auto = person({ kind: "auto", autoNumber: 1 });
      await store.insertPerson(foe);
      await store.insertPerson(auto);
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
      const all = (await allPages((c) => store.listSightings({}, c, 4))).flat();
      expect(all.map((s) => s.id)).toEqual(
        [...ss].sort((a, b) => b.capturedAt - a.capturedAt || (a.id < b.id ? 1 : -1)).map((s) => s.id),
      );
      const camA = await store.listSightings({ cameraIds: ["camA"] }, undefined, 50);
      expect(camA.items.every((s) => s.cameraId === "camA")).toBe(true);
      expect(camA.items).toHaveLength(5);
      expect((await store.listSightings({ cameraIds: ["camA", "camB"] }, undefined, 50)).items).toHaveLength(10);
      const range = await store.listSightings({ from: T0 + 2 * 60_000, to: T0 + 5 * 60_000 }, undefined, 50);
      expect(range.items.map((s) => s.capturedAt)).toEqual([T0 + 4 * 60_000, T0 + 3 * 60_000, T0 + 2 * 60_000]);
      expect(
        (await store.listSightings({ list: "foe" }, undefined, 50)).items.every((s) => s.personId === foe.id),
      ).toBe(true);
      expect((await store.listSightings({ list: "foe" }, undefined, 50)).items).toHaveLength(3);
      const none = await store.listSightings({ list: "none" }, undefined, 50);
      expect(none.items.every((s) => s.personId !== foe.id)).toBe(true);
      expect(none.items).toHaveLength(7);
      expect((await store.listSightings({ kind: "auto" }, undefined, 50)).items).toHaveLength(4);
      expect((await store.listSightings({ personId: foe.id }, undefined, 50)).items).toHaveLength(3);

      // list changes reach the sighting filters
      await store.updatePerson(auto.id, { list: "friend" }, T0);
      expect((await store.listSightings({ list: "friend" }, undefined, 50)).items).toHaveLength(4);
      await store.deletePerson(foe.id);
      await store.deletePerson(auto.id);
      expect((await store.listSightings({}, undefined, 50)).items).toHaveLength(3);
      await store.deleteSightingsBefore(Number.MAX_SAFE_INTEGER, false, 1000);
    });

    it("counts distinct days per camera for the regulars rule", async () => {
      const p = person();
      await store.insertPerson(p);
      const days = [20260101, 20260102, 20260102, 20260104, 20260105, 20260106];
      await store.commitBatch(
        batch({
          newSightings: [
            ...days.map((day) => sighting(p.id, { day, cameraId: "door" })),
            sighting(p.id, { day: 20260103, cameraId: "hall" }),
          ],
        }),
      );
      expect(await store.distinctDays(p.id, "door", 20260102)).toEqual([20260102, 20260104, 20260105, 20260106]);
      expect(await store.regularCameras(p.id, 20260101, 5)).toEqual(["door"]);
      expect(await store.regularCameras(p.id, 20260102, 5)).toEqual([]);
      await store.deletePerson(p.id);
    });

    it("merges two persons: sightings, faces and alerts move, counters follow", async () => {
      const a = person({ name: "A" });
      const b = person({ name: "B", kind: "auto", autoNumber: 3 });
      await store.insertPerson(a);
      await store.insertPerson(b);
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
      await store.mergePersons(a.id, b.id, T0 + 5000);
      expect(await store.getPerson(b.id)).toBeUndefined();
      expect(await store.getPerson(a.id)).toMatchObject({ sightingCount: 3, lastSeenAt: T0 + 2000 });
      expect((await store.listSightings({ personId: a.id }, undefined, 10)).items).toHaveLength(3);
      expect((await store.listFaces(a.id)).map((f) => f.id)).toEqual([fb.id]);
      expect((await store.listAlerts({ personId: a.id }, undefined, 10)).items).toHaveLength(1);
      const del = await store.deletePerson(a.id);
      expect(new Set(del!.sightingIds)).toEqual(new Set([sa.id, sb1.id, sb2.id]));
      expect(del!.faceIds).toEqual([fb.id]);
      expect(await store.getSighting(sa.id)).toBeUndefined();
      expect((await store.listAlerts({ personId: a.id }, undefined, 10)).items).toHaveLength(0);
      expect(await store.deletePerson(a.id)).toBeUndefined();
    });

    it("retention deletes old sightings and their alerts, keeps listed persons, finds empty automatic persons", async () => {
      const listed = person({ list: "foe" });
      const auto = person({ kind: "auto", autoNumber: 9 });
      await store.insertPerson(listed);
      await store.insertPerson(auto);
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
      const deleted = await store.deleteSightingsBefore(T0 - 30 * DAY, true, 100);
      expect(deleted).toEqual([old2.id]);
      expect(await store.getSighting(old1.id)).toBeDefined();
      expect(await store.getSighting(fresh.id)).toBeDefined();
      expect(await store.getAlert(a2.id)).toBeUndefined();
      expect(await store.getPerson(auto.id)).toMatchObject({ sightingCount: 0 });
      expect(await store.emptyAutoPersons(10)).toEqual([auto.id]);
      expect(await store.deleteEventIdsBefore(T0 - 30 * DAY)).toBe(1);
      expect(await store.knownEventIds([old2.eventId])).toEqual(new Set());
      expect(await store.deleteSightingsBefore(T0 - 30 * DAY, false, 100)).toEqual([old1.id]);
      await store.deletePerson(listed.id);
      await store.deletePerson(auto.id);
      await store.deleteSightingsBefore(Number.MAX_SAFE_INTEGER, false, 1000);
    });

    it("stores, pages and acknowledges alerts", async () => {
      const s = sighting(null);
      const alerts = [0, 1, 2, 3, 4].map((i) => alert(s, { createdAt: T0 + i }));
      await store.commitBatch(batch({ newSightings: [s], alerts }));
      const pages = await allPages((c) => store.listAlerts({}, c, 2));
      expect(pages.flat().map((a) => a.id)).toEqual([...alerts].reverse().map((a) => a.id));
      const acked = await store.ackAlert(alerts[1].id, "tok1", T0 + 99);
      expect(acked).toMatchObject({ ackedAt: T0 + 99, ackedBy: "tok1" });
      // a second ack keeps the first
      expect(await store.ackAlert(alerts[1].id, "tok2", T0 + 100)).toMatchObject({ ackedBy: "tok1" });
      expect((await store.listAlerts({ acked: false }, undefined, 10)).items).toHaveLength(4);
      expect((await store.listAlerts({ acked: true }, undefined, 10)).items.map((a) => a.id)).toEqual([alerts[1].id]);
      expect(await store.ackAlert("missing", "x", T0)).toBeUndefined();
      await store.deleteSightingsBefore(Number.MAX_SAFE_INTEGER, false, 1000);
      expect((await store.listAlerts({}, undefined, 10)).items).toHaveLength(0);
    });

    it("keeps dead letters with their payload", async () => {
      const payload = Buffer.from([0, 1, 2, 255]);
      await store.addDeadLetter({ id: randomUUID(), receivedAt: T0, topic: "t/1", error: "bad", payload, size: 4 });
      await store.addDeadLetter({
        id: randomUUID(),
        receivedAt: T0 + 1,
        topic: "t/2",
        error: "worse",
        payload,
        size: 4,
      });
      expect(await store.countDeadLetters()).toBe(2);
      const p = await store.listDeadLetters(undefined, 1);
      expect(p.items[0]).toMatchObject({ topic: "t/2", error: "worse", size: 4 });
      expect(Buffer.compare(p.items[0].payload, payload)).toBe(0);
      const p2 = await store.listDeadLetters(p.nextCursor!, 1);
      expect(p2.items[0].topic).toBe("t/1");
    });

    it("manages agents, cameras and their status", async () => {
      expect(
        await store.insertAgent({
          id: "ag1",
          passwordHash: "h1",
          createdAt: T0,
          status: null,
          statusAt: null,
          lastSeenAt: null,
        }),
      ).toBe(true);
      expect(
        await store.insertAgent({
          id: "ag1",
          passwordHash: "h2",
          createdAt: T0,
          status: null,
          statusAt: null,
          lastSeenAt: null,
        }),
      ).toBe(false);
      expect(await store.updateAgentPassword("ag1", "h3")).toBe(true);
      expect(await store.getAgent("ag1")).toMatchObject({ passwordHash: "h3" });
      await store.setAgentStatus("ag1", { state: "online" }, T0);
      expect(await store.getAgent("ag1")).toMatchObject({ status: { state: "online" }, statusAt: T0 });
      await store.setCameraStatus("gate", "ag1", { state: "streaming" }, T0);
      const cam = await store.updateCamera("gate", { sensitive: true, name: "Gate" });
      expect(cam).toMatchObject({
        id: "gate",
        agentId: "ag1",
        sensitive: true,
        name: "Gate",
        status: { state: "streaming" },
      });
      expect((await store.listCameras()).map((c) => c.id)).toContain("gate");
      expect((await store.listAgents()).map((a) => a.id)).toEqual(["ag1"]);
      expect(await store.deleteAgent("ag1")).toBe(true);
      expect(await store.getAgent("ag1")).toBeUndefined();
    });

    it("stores tokens by hash and revokes them", async () => {
      await store.insertToken({
        id: "t1",
        hash: "abc",
        role: "viewer",
        name: "v",
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(await store.findTokenByHash("abc")).toMatchObject({ id: "t1", role: "viewer" });
      expect(await store.findTokenByHash("zzz")).toBeUndefined();
      await store.touchToken("t1", T0 + 1);
      expect(await store.revokeToken("t1", T0 + 2)).toBe(true);
      expect(await store.revokeToken("t1", T0 + 3)).toBe(false);
      expect(await store.findTokenByHash("abc")).toMatchObject({ revokedAt: T0 + 2, lastUsedAt: T0 + 1 });
    });

    it("keeps console users (unique names) and their sessions, which end with the user", async () => {
      const u = {
        id: "u1",
        name: "alice",
        role: "operator" as const,
        passwordHash: "scrypt$x",
        createdAt: T0,
        updatedAt: T0,
        disabledAt: null,
        lastLoginAt: null,
      };
      expect(await store.insertUser(u)).toBe(true);
      expect(await store.insertUser({ ...u, id: "u2" })).toBe(false); // the name is taken
      expect(await store.insertUser({ ...u, id: "u0", name: "aaron", role: "viewer" })).toBe(true);
      expect(await store.getUser("u1")).toEqual(u);
      expect(await store.findUserByName("alice")).toEqual(u);
      expect(await store.findUserByName("nobody")).toBeUndefined();
      expect((await store.listUsers()).map((x) => x.name)).toEqual(["aaron", "alice"]);
      expect(await store.updateUser("u1", { lastLoginAt: T0 + 1 }, T0 + 1)).toMatchObject({
        lastLoginAt: T0 + 1,
        updatedAt: T0,
      });
      expect(
        await store.updateUser("u1", { role: "admin", passwordHash: "scrypt$y", disabledAt: T0 + 2 }, T0 + 2),
      ).toMatchObject({ role: "admin", passwordHash: "scrypt$y", disabledAt: T0 + 2, updatedAt: T0 + 2 });
      expect(await store.updateUser("u1", { disabledAt: null }, T0 + 3)).toMatchObject({ disabledAt: null });
      expect(await store.updateUser("missing", { role: "viewer" }, T0)).toBeUndefined();

      const sess = (id: string, userId: string, over: Partial<{ expiresAt: number; lastSeenAt: number }> = {}) => ({
        id,
        userId,
        createdAt: T0,
        expiresAt: T0 + DAY,
        lastSeenAt: T0,
        ...over,
      });
      await store.insertSession(sess("s1", "u1"));
      await store.insertSession(sess("s2", "u1"));
      await store.insertSession(sess("s3", "u0"));
      await store.insertSession(sess("old", "u0", { expiresAt: T0 + 10 }));
      await store.insertSession(sess("idle", "u0", { lastSeenAt: T0 - DAY }));
      expect(await store.getSession("s1")).toEqual(sess("s1", "u1"));
      await store.touchSession("s1", T0 + 500);
      await store.touchSession("s1", T0 + 100); // never moves back
      expect(await store.getSession("s1")).toMatchObject({ lastSeenAt: T0 + 500 });
      expect(await store.deleteExpiredSessions(T0 + 10, T0 - 1000)).toBe(2);
      expect(await store.getSession("old")).toBeUndefined();
      expect(await store.getSession("idle")).toBeUndefined();
      expect(await store.deleteSession("s2")).toBe(true);
      expect(await store.deleteSession("s2")).toBe(false);
      expect(await store.deleteUserSessions("u1")).toBe(1);
      expect(await store.getSession("s1")).toBeUndefined();
      expect(await store.getSession("s3")).toBeDefined();
      expect(await store.deleteUser("u0")).toBe(true);
      expect(await store.deleteUser("u0")).toBe(false);
      expect(await store.getSession("s3")).toBeUndefined();
      expect(await store.deleteUser("u1")).toBe(true);
      expect(await store.listUsers()).toEqual([]);
    });

    it("keeps webhook deliveries: due ones first, updates, history", async () => {
      await store.insertWebhook({
        id: "w1",
        url: "http://127.0.0.1:9/x",
        secret: "s",
        events: [],
        enabled: true,
        createdAt: T0,
      });
      expect((await store.listWebhooks()).map((w) => w.id)).toEqual(["w1"]);
      const d = (id: string, next: number) => ({
        id,
        webhookId: "w1",
        alertId: "a1",
        status: "pending" as const,
        attempts: 0,
        nextAttemptAt: next,
        lastError: null,
        createdAt: next,
        updatedAt: next,
      });
      await store.commitBatch(batch({ deliveries: [d("d1", T0 + 10), d("d2", T0 + 5), d("d3", T0 + 100)] }));
      expect((await store.dueDeliveries(T0 + 50, 10)).map((x) => x.id)).toEqual(["d2", "d1"]);
      await store.updateDelivery("d2", { status: "failed", attempts: 6, lastError: "HTTP 500", updatedAt: T0 + 60 });
      expect((await store.dueDeliveries(T0 + 50, 10)).map((x) => x.id)).toEqual(["d1"]);
      const hist = await store.listDeliveries("w1", undefined, 10);
      expect(hist.items.find((x) => x.id === "d2")).toMatchObject({
        status: "failed",
        attempts: 6,
        lastError: "HTTP 500",
      });
      expect(await store.deleteWebhook("w1")).toBe(true);
      expect((await store.listDeliveries("w1", undefined, 10)).items).toHaveLength(0);
    });

    it("keeps meta values", async () => {
      expect(await store.getMeta("k")).toBeUndefined();
      await store.setMeta("k", "v1");
      await store.setMeta("k", "v2");
      expect(await store.getMeta("k")).toBe("v2");
    });
  });
}
