/**
 * Identity corrections with an audit trail, search over all history, duplicates and visits, on a real
 * server with a real store and real faces (events enter through the ingestor, as in api.test.ts):
 * moving sightings (history, counts, the index, "not X"), split, delete with crops, audit entries with
 * before/after and the audit API's filters and paging, history search with filters and paging,
 * clustering proposals (accept = merge, reject then re-run), job status transitions, visits and paging.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trackKeyOf } from "../src/identify/exclusions.ts";
import { identify } from "../src/identify/identification.ts";
import { startServer } from "../src/server.ts";
import {
  apiClient,
  bbt,
  HAVE_DATA,
  imageForm,
  type Json,
  NO_DATA_MESSAGE,
  type RealFace,
  type RunningServer,
  realFaces,
  submitFace,
  tempDir,
  waitFor,
} from "./helpers.ts";

if (!HAVE_DATA) console.log(`identities: ${NO_DATA_MESSAGE}`);

const MIN = 60_000;

/** Strong tracks found their persons at once (cautious creation is tested in identity-rules). */
async function send(
  server: RunningServer,
  face: RealFace,
  o: { agentId?: string; cameraId: string; at: number; trackId: string },
  outcome: "stored" | "updated" = "stored",
) {
  expect(await submitFace(server, face, { ...o, agentId: o.agentId ?? "site" })).toBe(outcome);
}

/** The stored sighting of a track. */
async function sightingOf(server: RunningServer, trackId: string) {
  const s = await server.services.store.sightings.findTrack("site", trackId.split(":")[0], trackId, 0);
  if (!s) throw new Error(`no sighting of track ${trackId}`);
  return s;
}

async function historySettled(server: RunningServer) {
  await waitFor(async () => server.services.history.ready, "the history index");
  await server.services.history.settled();
}

describe.skipIf(!HAVE_DATA)("identity corrections, audit, history search, visits", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  let f: Record<string, RealFace>;
  const t0 = Date.now() - 3 * 3_600_000;

  beforeAll(async () => {
    const names = ["leonard1", "leonard2", "penny1", "penny2", "sheldon1", "howard1"];
    const list = await realFaces(names.map(bbt));
    f = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        clustering: { intervalHours: 0 },
        log: { level: "error" },
      },
    });
    admin = apiClient(server, server.adminToken);
    // Leonard: 3 sightings at camA (one visit), then camB, then camA again an hour later.
    await send(server, f.leonard1, { cameraId: "camA", at: t0, trackId: "camA:l1" });
    await send(server, f.leonard1, { cameraId: "camA", at: t0 + 1 * MIN, trackId: "camA:l2" });
    await send(server, f.leonard2, { cameraId: "camA", at: t0 + 2 * MIN, trackId: "camA:l3" });
    await send(server, f.leonard1, { cameraId: "camB", at: t0 + 3 * MIN, trackId: "camB:l4" });
    await send(server, f.leonard2, { cameraId: "camA", at: t0 + 60 * MIN, trackId: "camA:l5" });
    // Penny twice, Sheldon once.
    await send(server, f.penny1, { cameraId: "camA", at: t0 + 5 * MIN, trackId: "camA:p1" });
    await send(server, f.penny2, { cameraId: "camB", at: t0 + 6 * MIN, trackId: "camB:p2" });
    await send(server, f.sheldon1, { cameraId: "camB", at: t0 + 7 * MIN, trackId: "camB:s1" });
    await historySettled(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("groups a person's sightings into visits (per camera, within the gap), paged by keyset", async () => {
    const leonard = (await sightingOf(server, "camA:l1")).personId!;
    expect((await sightingOf(server, "camA:l5")).personId).toBe(leonard);
    const all = await admin("GET", `/api/v1/persons/${leonard}/visits`);
    expect(all.status).toBe(200);
    // Newest first: camA (l5), camB (l4), camA (l1-l3: 3 sightings, one entry).
    expect(all.body.items.map((v: Json) => [v.camera, v.count])).toEqual([
      ["site/camA", 1],
      ["site/camB", 1],
      ["site/camA", 3],
    ]);
    const visit = all.body.items[2];
    expect(visit.firstSeenAt).toBe(new Date(t0).toISOString());
    expect(visit.lastSeenAt).toBe(new Date(t0 + 2 * MIN).toISOString());
    expect(visit.sightings).toHaveLength(3);
    expect(visit.sightings.map((x: Json) => x.id)).toContain(visit.best.id);
    // A gap shorter than the 1 minute between the shots splits the visit.
    const tight = await admin("GET", `/api/v1/persons/${leonard}/visits?gapSeconds=30`);
    expect(tight.body.items.map((v: Json) => v.count)).toEqual([1, 1, 1, 1, 1]);
    // Pages of one visit each, in the same order, then the end.
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const r: Json = await admin(
        "GET",
        `/api/v1/persons/${leonard}/visits?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen.map((v) => [v.camera, v.count])).toEqual(all.body.items.map((v: Json) => [v.camera, v.count]));
    // Camera filter.
    const b = await admin("GET", `/api/v1/persons/${leonard}/visits?cameraId=site/camB`);
    expect(b.body.items.map((v: Json) => v.camera)).toEqual(["site/camB"]);
    expect((await admin("GET", "/api/v1/persons/nobody/visits")).status).toBe(404);
  });

  it("searches all history by photo, unidentified sightings included, filtered by camera and time, paged", async () => {
    const r = await admin("POST", "/api/v1/search/sightings", imageForm({ image: bbt("leonard3") }));
    expect(r.status).toBe(200);
    expect(r.body.index.ready).toBe(true);
    expect(r.body.index.sightings).toBe(8);
    expect(r.body.face.quality).toBeGreaterThan(0);
    const tracks = r.body.items.map((x: Json) => x.sighting.trackId);
    expect(tracks.slice(0, 5).sort()).toEqual(["camA:l1", "camA:l2", "camA:l3", "camA:l5", "camB:l4"]);
    for (const x of r.body.items) {
      expect(x.similarity).toBeGreaterThanOrEqual(r.body.minSimilarity);
      expect(x.sighting.faceUrl).toMatch(/^\/api\/v1\/sightings\/[0-9a-f-]{36}\/face$/);
      expect(x.sighting.person?.name).toMatch(/^Unknown #/);
    }
    const sims = r.body.items.map((x: Json) => x.similarity);
    expect([...sims].sort((a, b) => b - a)).toEqual(sims);
    // Camera filter (a key or a bare camera id).
    const b = await admin("POST", "/api/v1/search/sightings?cameraId=site/camB", imageForm({ image: bbt("leonard3") }));
    expect(b.body.items.map((x: Json) => x.sighting.trackId)[0]).toBe("camB:l4");
    expect(b.body.items.every((x: Json) => x.sighting.cameraId === "camB")).toBe(true);
    // Time range: [t0 + 30 min, t0 + 2 h) holds only l5.
    const from = new Date(t0 + 30 * MIN).toISOString();
    const to = new Date(t0 + 120 * MIN).toISOString();
    const t = await admin(
      "POST",
      `/api/v1/search/sightings?from=${from}&to=${to}`,
      imageForm({ image: bbt("leonard3") }),
    );
    expect(t.body.items.map((x: Json) => x.sighting.trackId)).toEqual(["camA:l5"]);
    // Paging: two at a time, the same order as one page, no repeats.
    const paged: Json[] = [];
    let cursor: string | null = null;
    do {
      const p: Json = await admin(
        "POST",
        `/api/v1/search/sightings?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        imageForm({ image: bbt("leonard3") }),
      );
      paged.push(...p.body.items);
      cursor = p.body.nextCursor;
    } while (cursor);
    expect(paged.map((x) => x.sighting.id)).toEqual(r.body.items.map((x: Json) => x.sighting.id));
    expect(
      (await admin("POST", "/api/v1/search/sightings?cursor=zz", imageForm({ image: bbt("leonard3") }))).status,
    ).toBe(400);
  });

  it("moves a sighting to another person: both histories and counts follow, and its learned face leaves the old person", async () => {
    const s = await sightingOf(server, "camB:l4");
    const leonard = s.personId!;
    const penny = (await sightingOf(server, "camA:p1")).personId!;
    const before = (await admin("GET", `/api/v1/persons/${leonard}`)).body;
    const pennyBefore = (await admin("GET", `/api/v1/persons/${penny}`)).body;
    const r = await admin("POST", "/api/v1/sightings/move", {
      sightingIds: [s.id],
      to: { kind: "person", personId: penny },
    });
    expect(r.status).toBe(200);
    expect(r.body.person.id).toBe(penny);
    expect(r.body.sightings[0]).toMatchObject({ id: s.id, personId: penny, similarity: null, grade: null });
    const leonardSightings = (await admin("GET", `/api/v1/persons/${leonard}/sightings`)).body.items;
    const pennySightings = (await admin("GET", `/api/v1/persons/${penny}/sightings`)).body.items;
    expect(leonardSightings.map((x: Json) => x.id)).not.toContain(s.id);
    expect(pennySightings.map((x: Json) => x.id)).toContain(s.id);
    expect((await admin("GET", `/api/v1/persons/${leonard}`)).body.sightingCount).toBe(before.sightingCount - 1);
    expect((await admin("GET", `/api/v1/persons/${penny}`)).body.sightingCount).toBe(pennyBefore.sightingCount + 1);
    // No face of the old person comes from the moved sighting any more.
    const faces = (await admin("GET", `/api/v1/persons/${leonard}/faces`)).body.items;
    expect(faces.map((x: Json) => x.sightingId)).not.toContain(s.id);
    // "Not Leonard" is remembered for the track.
    expect([...(await server.services.exclusions.excludedFor(trackKeyOf(s)))]).toEqual([leonard]);
    // Audited with the state before and after.
    const a = await admin("GET", `/api/v1/audit?action=sighting.move&targetId=${s.id}`);
    expect(a.body.items).toHaveLength(1);
    expect(a.body.items[0]).toMatchObject({
      action: "sighting.move",
      targetType: "sighting",
      actor: { kind: "token", name: "initial admin" },
      before: { personId: leonard },
      after: { personId: penny },
    });
  });

  it("'not this person': a moved-away face no longer identifies the old person; a later event of the track is not linked to them", async () => {
    const s = await sightingOf(server, "camB:s1");
    const sheldon = s.personId!;
    const id1 = await admin("POST", "/api/v1/identify", imageForm({ image: bbt("sheldon1") }));
    expect(id1.body.faces[0].candidates.map((c: Json) => c.person.id)).toContain(sheldon);
    const r = await admin("POST", "/api/v1/sightings/move", { sightingIds: [s.id], to: { kind: "none" } });
    expect(r.status).toBe(200);
    expect(r.body.person).toBeNull();
    expect(r.body.removedFaces.length).toBeGreaterThan(0);
    const after = (await admin("GET", `/api/v1/sightings/${s.id}`)).body;
    expect(after).toMatchObject({ personId: null, unlinkedReason: "unlinked" });
    // Sheldon's only face came from that sighting: the index no longer finds Sheldon.
    const id2 = await admin("POST", "/api/v1/identify", imageForm({ image: bbt("sheldon1") }));
    expect(id2.body.faces[0].candidates.map((c: Json) => c.person.id)).not.toContain(sheldon);
    expect((await admin("GET", `/api/v1/persons/${sheldon}`)).body.sightingCount).toBe(0);
    // The identification rules, given the track's exclusions (what the planner passes), neither keep
    // the track's link to Sheldon nor match Sheldon, even when a face of Sheldon is in the gallery.
    const sv = server.services;
    await admin("POST", `/api/v1/persons/${sheldon}/faces`, imageForm({ image: bbt("sheldon1") }));
    const excluded = await sv.exclusions.excludedFor(trackKeyOf(s));
    expect([...excluded]).toEqual([sheldon]);
    const face = { vector: f.sheldon1.embedding, quality: 0.9, cameraId: "site/camB" };
    const policy = sv.config.identify;
    expect(identify({ ...face, trackPersonId: null }, sv.gallery, [], policy)).toMatchObject({
      kind: "match",
      personId: sheldon,
    });
    expect(identify({ ...face, trackPersonId: sheldon }, sv.gallery, [], policy)).toMatchObject({ kind: "track" });
    const later = identify({ ...face, trackPersonId: sheldon, excluded }, sv.gallery, [], policy);
    expect(later.kind).not.toBe("track");
    expect("personId" in later ? later.personId : null).not.toBe(sheldon);
    const fresh = identify({ ...face, trackPersonId: null, excluded }, sv.gallery, [], policy);
    expect("personId" in fresh ? fresh.personId : null).not.toBe(sheldon);
    // Through ingestion: a later event of the same track, with Sheldon's face, is not linked to Sheldon.
    await send(server, f.sheldon1, { cameraId: "camB", trackId: "camB:s1", at: s.lastSeenAt + 1_000 }, "updated");
    const later2 = await sv.store.sightings.findTrack("site", "camB", "camB:s1", s.lastSeenAt + 1_000);
    expect(later2).toBeDefined();
    expect(later2!.personId).not.toBe(sheldon);
    expect((await admin("GET", `/api/v1/persons/${sheldon}`)).body.sightingCount).toBe(0);
  });

  it("moves sightings to a new person, and splits a person; both audited", async () => {
    const l2 = await sightingOf(server, "camA:l2");
    const leonard = l2.personId!;
    const r = await admin("POST", "/api/v1/sightings/move", { sightingIds: [l2.id], to: { kind: "new" } });
    expect(r.status).toBe(200);
    expect(r.body.person).toMatchObject({ kind: "auto", sightingCount: 1 });
    expect(r.body.person.name).toMatch(/^Unknown #\d+$/);
    expect(r.body.learnedFaces).toHaveLength(1);
    // The new person is matchable at once (it learned the moved face).
    expect((await admin("GET", `/api/v1/persons/${r.body.person.id}/faces`)).body.items).toHaveLength(1);
    // Split: two of Leonard's sightings become "Leonard B".
    const l3 = await sightingOf(server, "camA:l3");
    const l5 = await sightingOf(server, "camA:l5");
    const countBefore = (await admin("GET", `/api/v1/persons/${leonard}`)).body.sightingCount;
    const sp = await admin("POST", `/api/v1/persons/${leonard}/split`, {
      sightingIds: [l3.id, l5.id],
      name: "Leonard B",
    });
    expect(sp.status).toBe(201);
    expect(sp.body.person).toMatchObject({ name: "Leonard B", kind: "enrolled", sightingCount: 2 });
    expect(sp.body.from[0]).toMatchObject({ id: leonard, sightingCount: countBefore - 2 });
    const split = (await admin("GET", `/api/v1/audit?action=person.split&targetId=${leonard}`)).body.items;
    expect(split).toHaveLength(1);
    expect(split[0].before.sightingIds.sort()).toEqual([l3.id, l5.id].sort());
    expect(split[0].after.into).toMatchObject({ name: "Leonard B", sightingCount: 2 });
    // A sighting not of that person cannot be split off it.
    const p1 = await sightingOf(server, "camA:p1");
    const bad = await admin("POST", `/api/v1/persons/${leonard}/split`, { sightingIds: [p1.id] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe("sightingIds");
    expect((await admin("POST", "/api/v1/sightings/move", { sightingIds: [], to: { kind: "none" } })).status).toBe(400);
  });

  it("deletes a person with their crops and history entries; audited", async () => {
    const p2 = await sightingOf(server, "camB:p2");
    const penny = p2.personId!;
    const sightings = (await admin("GET", `/api/v1/persons/${penny}/sightings`)).body.items as Json[];
    expect(sightings.length).toBeGreaterThan(0);
    for (const x of sightings) expect(await server.services.crops.get("sightings", x.id)).toBeTruthy();
    const faces = (await admin("GET", `/api/v1/persons/${penny}/faces`)).body.items as Json[];
    expect((await admin("DELETE", `/api/v1/persons/${penny}`)).status).toBe(204);
    for (const x of sightings) {
      expect(await server.services.crops.get("sightings", x.id)).toBeUndefined();
      expect(server.services.history.labelOf(x.id)).toBeUndefined();
      expect((await admin("GET", `/api/v1/sightings/${x.id}`)).status).toBe(404);
    }
    for (const x of faces) expect(await server.services.crops.get("faces", x.id)).toBeUndefined();
    const a = (await admin("GET", `/api/v1/audit?action=person.delete&targetId=${penny}`)).body.items;
    expect(a).toHaveLength(1);
    expect(a[0].before).toMatchObject({ id: penny, sightings: sightings.length });
    expect(a[0].after).toBeNull();
  });

  it("audits every operator action with before and after; the audit API filters and pages", async () => {
    const p = (await admin("POST", "/api/v1/persons", { name: "Howard" })).body;
    await admin("PATCH", `/api/v1/persons/${p.id}`, { name: "Howard W" });
    await admin("PATCH", `/api/v1/persons/${p.id}`, { list: "friend" });
    const enrolled = (await admin("POST", `/api/v1/persons/${p.id}/faces`, imageForm({ image: bbt("howard1") }))).body;
    await admin("DELETE", `/api/v1/persons/${p.id}/faces/${enrolled.face.id}`);
    const other = (await admin("POST", "/api/v1/persons", { name: "Howard twin" })).body;
    await admin("POST", `/api/v1/persons/${p.id}/merge`, { from: other.id });
    const u = (await admin("POST", "/api/v1/users", { name: "carol", role: "viewer", password: "a long password" }))
      .body;
    await admin("PATCH", `/api/v1/users/${u.id}`, { role: "operator" });
    await admin("DELETE", `/api/v1/users/${u.id}`);
    const t = (await admin("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body;
    await admin("DELETE", `/api/v1/tokens/${t.id}`);
    await admin("PATCH", "/api/v1/cameras/site/camA", { name: "Lobby", sensitive: true });

    const byAction = async (action: string) =>
      (await admin("GET", `/api/v1/audit?action=${action}`)).body.items as Json[];
    expect((await byAction("person.create")).find((e) => e.targetId === p.id)?.after).toMatchObject({ name: "Howard" });
    expect((await byAction("person.rename"))[0]).toMatchObject({
      before: { name: "Howard" },
      after: { name: "Howard W" },
    });
    expect((await byAction("person.list"))[0]).toMatchObject({ before: { list: null }, after: { list: "friend" } });
    expect((await byAction("face.enrol"))[0]).toMatchObject({
      targetId: p.id,
      after: { face: { id: enrolled.face.id } },
    });
    expect((await byAction("face.delete"))[0]).toMatchObject({ before: { id: enrolled.face.id }, after: null });
    expect((await byAction("person.merge"))[0]).toMatchObject({
      targetId: p.id,
      before: { into: { id: p.id }, from: { id: other.id } },
    });
    expect((await byAction("user.create"))[0]).toMatchObject({ after: { name: "carol", role: "viewer" } });
    expect((await byAction("user.update"))[0]).toMatchObject({
      before: { role: "viewer" },
      after: { role: "operator" },
    });
    expect((await byAction("user.delete"))[0]).toMatchObject({ before: { name: "carol" }, after: null });
    expect((await byAction("token.create"))[0]).toMatchObject({ after: { name: "wall", role: "viewer" } });
    expect((await byAction("token.revoke"))[0].after.revokedAt).toBeTruthy();
    expect((await byAction("camera.update"))[0]).toMatchObject({
      targetId: "site/camA",
      after: { name: "Lobby", sensitive: true },
    });
    // No secret ever reaches the log.
    const everything = JSON.stringify((await admin("GET", "/api/v1/audit?limit=500")).body);
    expect(everything).not.toMatch(/a long password|scrypt|argus_[A-Za-z0-9]{20}/);

    // Filters: target, actor, time range; paging newest first without repeats.
    const forHoward = (await admin("GET", `/api/v1/audit?targetType=person&targetId=${p.id}`)).body.items as Json[];
    expect(forHoward.map((e) => e.action)).toEqual([
      "person.merge",
      "face.delete",
      "face.enrol",
      "person.list",
      "person.rename",
      "person.create",
    ]);
    expect((await admin("GET", "/api/v1/audit?actor=nobody")).body.items).toEqual([]);
    expect((await admin("GET", "/api/v1/audit?actor=initial%20admin&limit=1")).body.items).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await admin("GET", `/api/v1/audit?from=${future}`)).body.items).toEqual([]);
    const all = (await admin("GET", "/api/v1/audit?limit=500")).body.items as Json[];
    const paged: Json[] = [];
    let cursor: string | null = null;
    do {
      const r: Json = await admin("GET", `/api/v1/audit?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      paged.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
    // Admins only.
    const op = (await admin("POST", "/api/v1/tokens", { role: "operator", name: "op" })).body;
    expect((await apiClient(server, op.token)("GET", "/api/v1/audit")).status).toBe(403);
  });
});

describe.skipIf(!HAVE_DATA)("duplicates: clustering jobs and proposals", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  let f: Record<string, RealFace>;

  beforeAll(async () => {
    const names = ["leonard1", "leonard2", "penny1", "penny2", "raj1"];
    const list = await realFaces(names.map(bbt));
    f = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        // Automatic persons are matched only at the cameras that saw them: the same face at two
        // cameras founds two persons (duplicates to find).
        identify: { matching: "camera" },
        clustering: { intervalHours: 0 },
        log: { level: "error" },
      },
    });
    admin = apiClient(server, server.adminToken);
    const t0 = Date.now() - 3_600_000;
    await send(server, f.leonard1, { cameraId: "camA", at: t0, trackId: "camA:l1" });
    await send(server, f.leonard2, { cameraId: "camB", at: t0 + MIN, trackId: "camB:l2" });
    await send(server, f.penny1, { cameraId: "camA", at: t0 + 2 * MIN, trackId: "camA:p1" });
    await send(server, f.penny2, { cameraId: "camB", at: t0 + 3 * MIN, trackId: "camB:p2" });
    await send(server, f.raj1, { cameraId: "camA", at: t0 + 4 * MIN, trackId: "camA:r1" });
    await historySettled(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const runCluster = async () => {
    const started = await admin("POST", "/api/v1/jobs/cluster");
    expect(started.status).toBe(201);
    expect(["queued", "running", "done"]).toContain(started.body.status);
    const done = await waitFor(async () => {
      const j = (await admin("GET", `/api/v1/jobs/${started.body.id}`)).body;
      return j.status === "done" || j.status === "failed" ? j : undefined;
    }, "the clustering job");
    return done;
  };

  it("proposes the duplicates; accepting one merges the persons", async () => {
    const leonardA = (await sightingOf(server, "camA:l1")).personId!;
    const leonardB = (await sightingOf(server, "camB:l2")).personId!;
    expect(leonardA).not.toBe(leonardB);
    const job = await runCluster();
    expect(job).toMatchObject({ status: "done", progress: 1, kind: "cluster", error: null });
    expect(job.result.proposed).toBeGreaterThanOrEqual(2);
    expect(job.startedAt).toBeTruthy();
    expect(job.finishedAt).toBeTruthy();
    const open = (await admin("GET", "/api/v1/proposals?kind=merge_persons")).body.items as Json[];
    const pair = (x: string, y: string) => open.find((p) => [p.a.id, p.b.id].sort().join() === [x, y].sort().join());
    const leonard = pair(leonardA, leonardB);
    expect(leonard).toBeTruthy();
    expect(leonard.score).toBeGreaterThanOrEqual(server.config.clustering.personThreshold);
    expect(leonard.a.person.faceUrl).toMatch(/^\/api\/v1\/faces\/\d+\/image$/);
    const r = await admin("POST", `/api/v1/proposals/${leonard.id}/accept`);
    expect(r.status).toBe(200);
    expect(r.body.proposal.status).toBe("accepted");
    expect([leonardA, leonardB]).toContain(r.body.person.id);
    expect(r.body.person.sightingCount).toBe(2);
    const gone = r.body.person.id === leonardA ? leonardB : leonardA;
    expect((await admin("GET", `/api/v1/persons/${gone}`)).status).toBe(404);
    expect((await admin("POST", `/api/v1/proposals/${leonard.id}/accept`)).status).toBe(409);
    const audit = (await admin("GET", `/api/v1/audit?action=proposal.accept&targetId=${leonard.id}`)).body.items;
    expect(audit[0]).toMatchObject({ before: { status: "open" }, after: { status: "accepted" } });
  });

  it("a rejected pair is never proposed again", async () => {
    const pennyA = (await sightingOf(server, "camA:p1")).personId!;
    const pennyB = (await sightingOf(server, "camB:p2")).personId!;
    const open = (await admin("GET", "/api/v1/proposals")).body.items as Json[];
    const penny = open.find((p) => [p.a.id, p.b.id].sort().join() === [pennyA, pennyB].sort().join());
    expect(penny).toBeTruthy();
    const r = await admin("POST", `/api/v1/proposals/${penny.id}/reject`);
    expect(r.body.proposal).toMatchObject({ status: "rejected", decidedBy: "token:initial admin" });
    await runCluster();
    const again = (await admin("GET", "/api/v1/proposals?limit=200")).body.items as Json[];
    expect(again.filter((p) => [p.a.id, p.b.id].sort().join() === [pennyA, pennyB].sort().join())).toEqual([]);
    const rejected = (await admin("GET", "/api/v1/proposals?status=rejected")).body.items as Json[];
    expect(rejected.map((p) => p.id)).toEqual([penny.id]);
  });

  it("jobs go queued -> running -> done, or failed with the error; listed newest first", async () => {
    const jobs = server.services.jobs;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    jobs.register("slow", async (ctx) => {
      await ctx.progress(0.5, "half way");
      await gate;
      return { ok: true };
    });
    jobs.register("boom", async () => {
      throw new Error("it broke");
    });
    const slow = await jobs.start("slow", "test");
    expect(slow.status).toBe("queued");
    expect((await jobs.start("slow", "test")).id).toBe(slow.id); // one at a time per kind
    const running = await waitFor(async () => {
      const j = (await admin("GET", `/api/v1/jobs/${slow.id}`)).body;
      return j.status === "running" && j.progress === 0.5 ? j : undefined;
    }, "the job running");
    expect(running.message).toBe("half way");
    const boom = await jobs.start("boom", "test");
    expect((await admin("GET", `/api/v1/jobs/${boom.id}`)).body.status).toBe("queued");
    release();
    await jobs.idle();
    expect((await admin("GET", `/api/v1/jobs/${slow.id}`)).body).toMatchObject({
      status: "done",
      result: { ok: true },
    });
    expect((await admin("GET", `/api/v1/jobs/${boom.id}`)).body).toMatchObject({ status: "failed", error: "it broke" });
    const list = (await admin("GET", "/api/v1/jobs")).body.items as Json[];
    expect(list[0].id).toBe(boom.id);
    expect((await admin("GET", "/api/v1/jobs/nope")).status).toBe(404);
  });
});

describe.skipIf(!HAVE_DATA)("history index across a restart", () => {
  it("is snapshotted at stop and read back at start; without a snapshot it is rebuilt from the store", async () => {
    const [amy, raj] = await realFaces([bbt("amy1"), bbt("raj1")]);
    const dataDir = tempDir();
    const config = {
      dataDir,
      http: { port: 0, host: "127.0.0.1" },
      mqtt: { port: 0, host: "127.0.0.1" },
      clustering: { intervalHours: 0 },
      log: { level: "error" },
    };
    let server = await startServer({ config });
    const t0 = Date.now() - 3_600_000;
    await send(server, amy, { cameraId: "camA", at: t0, trackId: "camA:a1" });
    await send(server, amy, { cameraId: "camB", at: t0 + MIN, trackId: "camB:a2" });
    await historySettled(server);
    expect(server.services.history.size).toBe(2);
    await server.stop();
    expect(existsSync(join(dataDir, "history", "manifest.json"))).toBe(true);
    server = await startServer({ config });
    await historySettled(server);
    expect(server.services.history.size).toBe(2);
    await send(server, raj, { cameraId: "camA", at: t0 + 2 * MIN, trackId: "camA:r1" });
    await historySettled(server);
    expect(server.services.history.size).toBe(3);
    // Without a snapshot (as after a crash before the first one), the start indexes everything from the store.
    await server.stop();
    rmSync(join(dataDir, "history", "manifest.json"));
    server = await startServer({ config });
    try {
      await historySettled(server);
      expect(server.services.history.size).toBe(3);
      const r = await apiClient(server, server.adminToken)(
        "POST",
        "/api/v1/search/sightings",
        imageForm({ image: bbt("amy2") }),
      );
      expect(
        r.body.items
          .slice(0, 2)
          .map((x: Json) => x.sighting.trackId)
          .sort(),
      ).toEqual(["camA:a1", "camB:a2"]);
    } finally {
      await server.stop();
    }
  });
});
