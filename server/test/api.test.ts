/**
 * The REST API's contract: auth and roles, precise errors naming the field, limits, pagination,
 * person operations reaching the index (merge, delete, snapshot, rebuild), per-camera matching,
 * regulars, alerts at sensitive cameras, webhook failures, retention.
 * Events enter through the ingestor (the core both MQTT transports feed); e2e.test.ts covers MQTT.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { encodeJpeg, rgbImage } from "@argus/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRetention } from "../src/retention/retention.ts";
import { startServer } from "../src/server.ts";
import {
  apiClient,
  bbt,
  DATA_DIR,
  freePort,
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

if (!HAVE_DATA) console.log(`api: ${NO_DATA_MESSAGE}`);

const DAY = 86_400_000;

/** Long tracks that passed the agent's face check: each founds its person at once. */
const send = (
  server: RunningServer,
  face: RealFace,
  o: { agentId?: string; cameraId: string; at?: number; trackId?: string },
) => submitFace(server, face, { ...o, agentId: o.agentId ?? "ag" });

describe.skipIf(!HAVE_DATA)("REST API", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  let faces: Record<string, RealFace>;
  let dataDir: string;
  const config = () => ({
    dataDir,
    http: { port: 0, host: "127.0.0.1", maxUploadBytes: 400_000 },
    mqtt: { port: 0, host: "127.0.0.1" },
    alerts: { webhookMaxAttempts: 2, webhookBackoffMs: 10, webhookAllowHosts: ["127.0.0.1"] },
    log: { level: "error" },
  });

  beforeAll(async () => {
    const names = ["howard1", "howard2", "leonard1", "leonard2", "bernadette1", "stuart1", "stuart2", "raj2"];
    const list = await realFaces(names.map(bbt));
    faces = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    dataDir = tempDir();
    server = await startServer({ config: config() });
    admin = apiClient(server, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves health, metrics, OpenAPI and docs without a token; everything else needs one", async () => {
    const anon = apiClient(server);
    expect((await anon("GET", "/health")).body).toMatchObject({ status: "ok", store: { kind: "sqlite" } });
    expect((await anon("GET", "/metrics")).body).toMatch(/argus_events_received_total/);
    const doc = (await anon("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/persons/{id}/merge");
    expect((await anon("GET", "/docs")).body).toMatch(/<title>Argus API<\/title>/);
    const r = await anon("GET", "/api/v1/persons");
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("UNAUTHORIZED");
    expect((await apiClient(server, "argus_nope")("GET", "/api/v1/persons")).status).toBe(401);
    expect((await admin("GET", "/api/v1/nothing-here")).body.error.code).toBe("NOT_FOUND");
  });

  it("enforces roles and revokes tokens", async () => {
    const t = await admin("POST", "/api/v1/tokens", { role: "viewer", name: "wall" });
    expect(t.status).toBe(201);
    expect(t.body.token).toMatch(/^argus_/);
    const viewer = apiClient(server, t.body.token);
    expect((await viewer("GET", "/api/v1/persons")).status).toBe(200);
    const denied = await viewer("POST", "/api/v1/persons", { name: "X" });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    expect((await viewer("POST", "/api/v1/tokens", { role: "admin", name: "escalate" })).status).toBe(403);
    expect((await viewer("GET", "/api/v1/me")).body).toMatchObject({ role: "viewer", name: "wall" });
    const listed = (await admin("GET", "/api/v1/tokens")).body.items;
    expect(JSON.stringify(listed)).not.toMatch(/hash|argus_/);
    expect((await admin("DELETE", `/api/v1/tokens/${t.body.id}`)).status).toBe(204);
    expect((await viewer("GET", "/api/v1/persons")).status).toBe(401);
  });

  it("names the bad field in 400s", async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/api/v1/persons", { name: "" }, "name"],
      ["POST", "/api/v1/persons", { name: "A", list: "enemy" }, "list"],
      ["POST", "/api/v1/persons", { name: "A", extra: 1 }, "body"],
      ["GET", "/api/v1/sightings?from=yesterday", undefined, "from"],
      ["GET", "/api/v1/sightings?limit=0", undefined, "limit"],
      ["GET", "/api/v1/sightings?cursor=zzz", undefined, "cursor"],
      ["GET", "/api/v1/persons?kind=robot", undefined, "kind"],
      ["POST", "/api/v1/webhooks", { url: "ftp://x" }, "url"],
      ["POST", "/api/v1/agents", { id: "a b" }, "id"],
    ];
    for (const [m, path, body, field] of cases) {
      const r = await admin(m, path, body);
      expect(r.status, `${m} ${path}`).toBe(400);
      expect(r.body.error.code).toBe("INVALID_ARGUMENT");
      if (field !== "body") expect(r.body.error.message.startsWith(`${field}:`), r.body.error.message).toBe(true);
    }
    const bad = await admin("POST", "/api/v1/persons", Buffer.from("{oops"), { "content-type": "application/json" });
    expect(bad.body.error.code).toBe("INVALID_JSON");
    expect((await admin("GET", "/api/v1/persons/00000000-0000-0000-0000-000000000000")).status).toBe(404);
  });

  it("rejects bad uploads: no face, several faces, corrupt, unsupported, too large", async () => {
    const p = (await admin("POST", "/api/v1/persons", { name: "Upload Test" })).body;
    const blank = await encodeJpeg(rgbImage(new Uint8Array(200 * 200 * 3).fill(128), 200, 200));
    const r1 = await admin("POST", `/api/v1/persons/${p.id}/faces`, blank, { "content-type": "image/jpeg" });
    expect(r1.status).toBe(422);
    expect(r1.body.error.code).toBe("NO_FACE");
    const group = join(DATA_DIR, "groups/bbt1.jpg");
    if (existsSync(group)) {
      const r2 = await admin("POST", `/api/v1/persons/${p.id}/faces`, imageForm({ image: group }));
      expect(r2.status).toBe(422);
      expect(r2.body.error.code).toBe("MULTIPLE_FACES");
    }
    const png = readFileSync(bbt("howard1"));
    const r3 = await admin("POST", `/api/v1/persons/${p.id}/faces`, png.subarray(0, png.length / 2), {
      "content-type": "image/png",
    });
    expect(r3.status).toBe(400);
    expect(r3.body.error.code).toBe("IMAGE_CORRUPT");
    const r4 = await admin("POST", `/api/v1/persons/${p.id}/faces`, Buffer.from("GIF89a not really"), {
      "content-type": "image/gif",
    });
    expect(r4.status).toBe(415);
    expect(r4.body.error.code).toBe("IMAGE_UNSUPPORTED");
    const r5 = await admin("POST", `/api/v1/persons/${p.id}/faces`, Buffer.alloc(500_000, 1), {
      "content-type": "image/jpeg",
    });
    expect(r5.status).toBe(413);
    expect(r5.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const r6 = await admin("POST", `/api/v1/persons/${p.id}/faces`, { image: "x" });
    expect(r6.status).toBe(415);
    const r7 = await admin("POST", "/api/v1/verify", imageForm({ image1: bbt("howard1") }));
    expect(r7.body.error.message).toMatch(/^image2:/);
    expect((await admin("GET", "/health")).status).toBe(200);
  });

  it("lists persons with filters and cursor pages", async () => {
    for (const n of ["Page A", "Page B", "Page C", "Page D", "Page E"])
      await admin("POST", "/api/v1/persons", { name: n, list: n === "Page C" ? "friend" : null });
    const seen: string[] = [];
    let cursor = "";
    for (let i = 0; i < 10; i++) {
      const r = await admin("GET", `/api/v1/persons?q=page&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...r.body.items.map((p: Json) => p.name));
      if (!r.body.nextCursor) break;
      cursor = r.body.nextCursor;
    }
    expect(seen).toEqual(["Page E", "Page D", "Page C", "Page B", "Page A"]);
    expect((await admin("GET", "/api/v1/persons?list=friend&q=page")).body.items.map((p: Json) => p.name)).toEqual([
      "Page C",
    ]);
  });

  it("renames, merges and deletes persons; the index follows", async () => {
    await send(server, faces.howard1, { cameraId: "c1" });
    await send(server, faces.leonard1, { cameraId: "c1" });
    const autos = (await admin("GET", "/api/v1/sightings?cameraId=c1")).body.items;
    const [leo, how] = autos;
    expect(how.person.kind).toBe("auto");
    expect(leo.personId).not.toBe(how.personId);

    // Rename: an automatic person becomes enrolled.
    const renamed = await admin("PATCH", `/api/v1/persons/${how.personId}`, { name: "Howard" });
    expect(renamed.body).toMatchObject({ name: "Howard", kind: "enrolled" });

    // Merge leonard's automatic person into Howard (an operator's decision): sightings move, the index follows.
    const merged = await admin("POST", `/api/v1/persons/${how.personId}/merge`, { from: leo.personId });
    expect(merged.status).toBe(200);
    expect(merged.body.sightingCount).toBe(2);
    expect((await admin("GET", `/api/v1/persons/${leo.personId}`)).status).toBe(404);
    const ident = await admin("POST", "/api/v1/identify", imageForm({ image: bbt("leonard1") }));
    expect(ident.body.faces[0].candidates[0].person.id).toBe(how.personId);
    expect((await admin("POST", `/api/v1/persons/${how.personId}/merge`, { from: how.personId })).status).toBe(400);
    expect((await admin("POST", `/api/v1/persons/${how.personId}/merge`, { from: "nope" })).status).toBe(404);

    // Delete: person, sightings, crops and index entries go.
    const crop = `${server.url}${leo.faceUrl}`;
    const auth = { headers: { authorization: `Bearer ${server.adminToken}` } };
    expect((await fetch(crop, auth)).status).toBe(200);
    expect((await admin("DELETE", `/api/v1/persons/${how.personId}`)).status).toBe(204);
    expect((await fetch(crop, auth)).status).toBe(404);
    expect((await admin("GET", `/api/v1/sightings?personId=${how.personId}`)).body.items).toHaveLength(0);
    const after = await admin("POST", "/api/v1/identify", imageForm({ image: bbt("leonard1") }));
    expect(after.body.faces[0].candidates.map((c: Json) => c.person.id)).not.toContain(how.personId);
  });

  it("counts regulars and alerts on unknown persons at sensitive cameras", async () => {
    expect((await admin("PATCH", "/api/v1/cameras/ag/vault", { sensitive: true })).body).toMatchObject({
      agentId: "ag",
      id: "vault",
      key: "ag/vault",
      sensitive: true,
    });
    const now = Date.now();
    // Stuart passes the vault camera on 5 distinct days: from the fifth day on he is a regular there.
    for (let d = 4; d >= 0; d--)
      await send(server, faces.stuart1, { cameraId: "vault", at: now - d * DAY, trackId: `s${d}` });
    const st = (await admin("GET", "/api/v1/sightings?cameraId=vault")).body.items;
    expect(st.map((s: Json) => s.verdict)).toEqual(["regular", "none", "none", "none", "none"]);
    const person = await admin("GET", `/api/v1/persons/${st[0].personId}`);
    expect(person.body.regularAt).toEqual(["ag/vault"]);
    const alerts = (await admin("GET", "/api/v1/alerts?type=unknown_at_sensitive_camera")).body.items;
    // One alert per unknown pass outside the cooldown (4 days, not the regular's fifth).
    expect(alerts).toHaveLength(4);
    expect(alerts.every((a: Json) => a.personId === st[0].personId)).toBe(true);
    // An enrolled person is not unknown.
    const b = (await admin("POST", "/api/v1/persons", { name: "Bernadette" })).body;
    await admin("POST", `/api/v1/persons/${b.id}/faces`, imageForm({ image: bbt("bernadette1") }));
    await send(server, faces.bernadette1, { cameraId: "vault" });
    expect((await admin("GET", "/api/v1/alerts?type=unknown_at_sensitive_camera")).body.items).toHaveLength(4);
    // Another site's camera of the same id is another camera: not sensitive, its own counts and status.
    await send(server, faces.stuart1, { agentId: "other-site", cameraId: "vault", trackId: "o1" });
    const vaults = (await admin("GET", "/api/v1/cameras")).body.cameras.filter((c: Json) => c.id === "vault");
    expect(vaults.map((c: Json) => [c.key, c.sensitive])).toEqual([
      ["ag/vault", true],
      ["other-site/vault", false],
    ]);
    expect((await admin("GET", "/api/v1/alerts?type=unknown_at_sensitive_camera")).body.items).toHaveLength(4);
    expect((await admin("GET", "/api/v1/sightings?cameraId=other-site/vault")).body.items).toHaveLength(1);
    expect((await admin("GET", "/api/v1/sightings?cameraId=vault")).body.items).toHaveLength(7);
    const cams = (await admin("GET", "/api/v1/cameras")).body;
    expect(cams.cameras.find((c: Json) => c.id === "vault")).toMatchObject({ sensitive: true, agentId: "ag" });
  });

  it("records failed webhook deliveries after retries", async () => {
    const port = await freePort(); // nothing listens there
    const w = (
      await admin("POST", "/api/v1/webhooks", { url: `http://127.0.0.1:${port}/x`, secret: "0123456789abcdef" })
    ).body;
    const foe = (await admin("POST", "/api/v1/persons", { name: "Raj", list: "foe" })).body;
    await admin("POST", `/api/v1/persons/${foe.id}/faces`, imageForm({ image: bbt("raj2") }));
    await send(server, faces.raj2, { cameraId: "gate" });
    const d = await waitFor(async () => {
      const r = (await admin("GET", `/api/v1/webhooks/${w.id}/deliveries`)).body.items;
      return r.length && r[0].status === "failed" && r;
    }, "a failed delivery");
    expect(d[0]).toMatchObject({ attempts: 2 });
    expect(d[0].lastError).toBeTruthy();
    await admin("DELETE", `/api/v1/webhooks/${w.id}`);

    // A receiving webhook gets it on the next alert.
    const got: string[] = [];
    const hook = createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        got.push(b);
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(port, "127.0.0.1", () => r()));
    await admin("POST", "/api/v1/webhooks", { url: `http://127.0.0.1:${port}/x` });
    await send(server, faces.raj2, { cameraId: "gate2" });
    await waitFor(async () => got.length > 0, "webhook");
    hook.close();
  });

  it("per-camera matching: automatic persons stay at their camera; listed persons are matched everywhere", async () => {
    const s2 = await startServer({ config: { ...config(), dataDir: tempDir(), identify: { matching: "camera" } } });
    try {
      const api = apiClient(s2, s2.adminToken);
      await send(s2, faces.howard1, { cameraId: "east" });
      await send(s2, faces.howard1, { cameraId: "west" });
      await send(s2, faces.howard1, { cameraId: "east" });
      const s = (await api("GET", "/api/v1/sightings")).body.items;
      const east = s.filter((x: Json) => x.cameraId === "east");
      const west = s.find((x: Json) => x.cameraId === "west");
      expect(east[0].personId).toBe(east[1].personId);
      expect(west.personId).not.toBe(east[0].personId);
      await api("PATCH", `/api/v1/persons/${east[0].personId}`, { list: "foe" });
      await send(s2, faces.howard1, { cameraId: "north" });
      const north = (await api("GET", "/api/v1/sightings?cameraId=north")).body.items[0];
      expect(north.personId).toBe(east[0].personId);
      expect(north.verdict).toBe("foe");
    } finally {
      await s2.stop();
    }
  });

  it("restores the index from its snapshot after a restart, and rebuilds it on request", async () => {
    const before = server.services.gallery.faceCount;
    expect(before).toBeGreaterThan(0);
    await server.stop();
    expect(existsSync(join(dataDir, "index/manifest.json"))).toBe(true);
    server = await startServer({ config: config() });
    admin = apiClient(server, server.adminToken);
    expect(server.services.gallery.faceCount).toBe(before);
    await send(server, faces.stuart2, { cameraId: "vault" });
    const last = (await admin("GET", "/api/v1/sightings?cameraId=vault&limit=1")).body.items[0];
    expect(last.person.kind).toBe("auto"); // still the same automatic Stuart
    const rebuilt = await admin("POST", "/api/v1/admin/rebuild-index");
    expect(rebuilt.body.faces).toBe(server.services.gallery.faceCount);
  });

  it("retention removes old sightings and their crops, keeps listed persons, drops emptied automatic persons", async () => {
    const old = Date.now() - 40 * DAY;
    await send(server, faces.leonard2, { cameraId: "yard", at: old });
    await send(server, faces.raj2, { cameraId: "yard", at: old }); // Raj is on the foe list
    const yard = (await admin("GET", "/api/v1/sightings?cameraId=yard")).body.items;
    expect(yard).toHaveLength(2);
    const leo = yard.find((s: Json) => s.person.kind === "auto");
    const r = await runRetention({
      store: server.services.store,
      crops: server.services.crops,
      persons: server.services.personService,
      regulars: server.services.regulars,
      days: 30,
      keepListed: true,
      dedupDays: 30,
    });
    expect(r.sightings).toBe(1);
    const left = (await admin("GET", "/api/v1/sightings?cameraId=yard")).body.items;
    expect(left.map((s: Json) => s.person.name)).toEqual(["Raj"]);
    expect(
      (await fetch(`${server.url}${leo.faceUrl}`, { headers: { authorization: `Bearer ${server.adminToken}` } }))
        .status,
    ).toBe(404);
    expect((await admin("GET", `/api/v1/persons/${leo.personId}`)).status).toBe(404);
  });
});
