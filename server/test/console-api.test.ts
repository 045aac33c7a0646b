/**
 * The server APIs the console needs: camera snapshots over MQTT (404, then the JPEG with its ETag,
 * throttling, refusals, clearing, a restart), the CSV of every camera's sightings (filters, the
 * viewer's time zone, the 100,000-row bound), persons' `firstSeenAt` (lists, detail, merges), and,
 * with a real agent on a real video, the face event's `contextBox` round trip, the agent's snapshots
 * and the camera names of its config files.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { checkJpeg, createLogger, decodeImage, encodeJpeg, type FaceEvent, type RgbImage, topics } from "@argus/shared";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent } from "../../agent/src/index.ts";
import { contextRegion } from "../../agent/src/publish/event.ts";
import { CSV_MAX_ROWS } from "../src/api/routes/export.ts";
import { startServer } from "../src/server.ts";
import { emptyBatch } from "../src/store/types.ts";
import {
  agentClient,
  apiClient,
  DATA_DIR,
  HAVE_DATA,
  type Json,
  NO_DATA_MESSAGE,
  openStream,
  type RunningServer,
  tempDir,
  waitFor,
} from "./helpers.ts";
import { person, sighting } from "./storeContract/records.ts";

const config = (dataDir: string) => ({
  dataDir,
  http: { port: 0, host: "127.0.0.1" },
  mqtt: { port: 0, host: "127.0.0.1" },
  retention: { days: 0 },
  log: { level: "error" as const },
});

function picture(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + (i >> 7)) % 256;
  return { data, width, height };
}

const publish = (c: MqttClient, topic: string, payload: Buffer | string, retain = true) =>
  new Promise<void>((res, rej) => c.publish(topic, payload, { qos: 1, retain }, (e) => (e ? rej(e) : res())));

describe("camera snapshots over MQTT", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let agent: MqttClient;
  let dataDir: string;
  const t = topics();
  const path = "/api/v1/cameras/snap-agent/door/snapshot";

  beforeAll(async () => {
    dataDir = tempDir("argus-snap-");
    server = await startServer({ config: config(dataDir) });
    api = apiClient(server, server.adminToken);
    const creds = await server.registerAgent("snap-agent");
    agent = await agentClient(creds.mqtt.url, "snap-agent", creds.mqtt.password!);
  });
  afterAll(async () => {
    await agent?.endAsync();
    await server?.stop();
  });

  const camera = async () =>
    (await api("GET", "/api/v1/cameras")).body.cameras.find((c: Json) => c.key === "snap-agent/door");

  it("answers 404 until a snapshot arrives, then the JPEG with an ETag; 304 while unchanged", async () => {
    const none = await api("GET", path);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("NOT_FOUND");
    const stream = await openStream(server, { authorization: `Bearer ${server.adminToken}` });
    const jpeg = await encodeJpeg(picture(320, 180, 7), 70);
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), jpeg);
    const cam = await waitFor(async () => (await camera())?.snapshotAt && camera(), "the snapshot stored");
    expect(cam.snapshotUrl).toMatch(/^\/api\/v1\/cameras\/snap-agent\/door\/snapshot\?v=\w+$/);
    // open consoles hear of it: a camera event carrying the new snapshot's time
    await waitFor(
      async () => stream.events.find((e) => e.event === "camera" && e.data.snapshotAt === cam.snapshotAt),
      "the camera event",
    );
    stream.close();

    const res = await fetch(`${server.url}${cam.snapshotUrl}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);
    const again = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.adminToken}`, "if-none-match": etag },
    });
    expect(again.status).toBe(304);

    // viewers read it; nobody else does
    const viewer = (await api("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body.token;
    expect((await apiClient(server, viewer)("GET", path)).status).toBe(200);
    expect((await apiClient(server)("GET", path)).status).toBe(401);
    expect((await api("GET", "/api/v1/cameras/snap-agent/..%2Fx/snapshot")).status).toBe(400);
  });

  it("keeps at most one a second per camera; refuses what is not a small JPEG; an empty message clears it", async () => {
    const before = await camera();
    const next = await encodeJpeg(picture(320, 180, 11), 70);
    await new Promise((r) => setTimeout(r, 1100));
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), next);
    const moved = await waitFor(async () => {
      const c = await camera();
      return c.snapshotAt !== before.snapshotAt && c;
    }, "the next snapshot");
    // at once again: too soon, dropped (not an error)
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), await encodeJpeg(picture(320, 180, 13), 70));
    // not a JPEG, a truncated one, one too large: dead letters, the last good one stays
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), Buffer.from("not a picture"));
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), next.subarray(0, next.length - 100));
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), Buffer.alloc(300 * 1024, 0xff));
    const dead = await waitFor(async () => {
      const items = (await api("GET", "/api/v1/dead-letters")).body.items as Json[];
      const mine = items.filter((d) => d.topic.endsWith("/door/snapshot"));
      return mine.length >= 3 && mine;
    }, "three dead letters");
    expect(dead.map((d: Json) => d.error.split(":")[0]).sort()).toEqual([
      "INVALID_SNAPSHOT",
      "INVALID_SNAPSHOT",
      "PAYLOAD_TOO_LARGE",
    ]);
    expect((await camera()).snapshotAt).toBe(moved.snapshotAt);
    const got = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(Buffer.from(await got.arrayBuffer()).equals(next)).toBe(true);

    // another agent cannot publish under this agent's topics (the broker's ACL)
    const other = await server.registerAgent("other-agent");
    const intruder = await agentClient(other.mqtt.url, "other-agent", other.mqtt.password!);
    intruder.publish(t.cameraSnapshot("snap-agent", "door"), await encodeJpeg(picture(32, 32, 3), 70), { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    await intruder.endAsync(true);
    expect((await camera()).snapshotAt).toBe(moved.snapshotAt);

    // a cleared retained message forgets it
    await publish(agent, t.cameraSnapshot("snap-agent", "door"), Buffer.alloc(0));
    await waitFor(async () => (await camera()).snapshotAt === null, "the snapshot cleared");
    expect((await api("GET", path)).status).toBe(404);
    expect((await camera()).snapshotUrl).toBeNull();
  });

  it("keeps the latest snapshot across a restart (under the data directory)", async () => {
    const jpeg = await encodeJpeg(picture(320, 240, 5), 70);
    await new Promise((r) => setTimeout(r, 1100));
    await publish(agent, t.cameraSnapshot("snap-agent", "hall"), jpeg, false);
    await waitFor(async () => (await api("GET", "/api/v1/cameras/snap-agent/hall/snapshot")).status === 200, "stored");
    await agent.endAsync();
    await server.stop();
    server = await startServer({ config: config(dataDir) });
    api = apiClient(server, server.adminToken);
    const res = await fetch(`${server.url}/api/v1/cameras/snap-agent/hall/snapshot`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);
    expect(readFileSync(join(dataDir, "snapshots", "snap-agent", "hall.jpg")).equals(jpeg)).toBe(true);
  });
});

describe("sightings CSV and persons' firstSeenAt", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  const T = Date.UTC(2026, 5, 1, 22, 30); // 1 June 2026 22:30 UTC = 2 June 00:30 in Paris
  const foe = person({ name: '=HYPERLINK("x"), "Bob"', list: "foe", kind: "enrolled" });
  const auto = person({ name: "Unknown #7", kind: "auto", autoNumber: 7 });
  const never = person({ name: "Nobody yet", kind: "enrolled" });
  /** A sighting of one shot (last seen when captured). */
  const at = (personId: string | null, over: Parameters<typeof sighting>[1] & { capturedAt: number }) =>
    sighting(personId, { lastSeenAt: over.capturedAt, ...over });
  const s = {
    door: sighting(foe.id, {
      agentId: "site-a",
      cameraId: "door",
      capturedAt: T,
      lastSeenAt: T + 5000,
      similarity: 0.61234,
    }),
    hall: at(auto.id, { agentId: "site-a", cameraId: "hall", capturedAt: T - 3_600_000 }),
    otherSite: at(auto.id, { agentId: "site-b", cameraId: "door", capturedAt: T - 60_000 }),
    nobody: at(null, { agentId: "site-a", cameraId: "door", capturedAt: T - 120_000 }),
    oldFoe: at(foe.id, { agentId: "site-a", cameraId: "door", capturedAt: T - 86_400_000 }),
    oldAuto: at(auto.id, { agentId: "site-a", cameraId: "hall", capturedAt: T - 2 * 86_400_000 }),
  };

  beforeAll(async () => {
    server = await startServer({ config: config(tempDir()) });
    api = apiClient(server, server.adminToken);
    const st = server.services.store;
    for (const p of [foe, auto, never]) await st.persons.insert(p);
    await st.commitBatch({ ...emptyBatch(), newSightings: Object.values(s) });
    await st.cameras.update("site-a", "door", { name: "Front door" });
    await st.cameras.setStatus("site-a", "hall", { state: "streaming", name: "Hall (from the agent)" }, T);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** GET /sightings.csv on a fresh connection (a kept-alive one may have timed out during a long insert). */
  const csv = async (query: string, o: { headersOnly?: boolean } = {}) => {
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(
        `${server.url}/api/v1/sightings.csv?${query}`,
        { agent: false, headers: { authorization: `Bearer ${server.adminToken}` } },
        resolve,
      ).on("error", reject),
    );
    const headers = { get: (name: string) => (res.headers[name] as string | undefined) ?? null };
    if (o.headersOnly) {
      res.destroy();
      return { res: { status: res.statusCode, headers }, rows: [] };
    }
    let text = "";
    res.setEncoding("utf8");
    for await (const chunk of res) text += chunk;
    return { res: { status: res.statusCode, headers }, rows: text.trimEnd().split("\r\n") };
  };

  it("exports every camera's sightings, filtered, with camera names, person kinds and local times", async () => {
    const { res, rows } = await csv(`cameraId=site-a/door&from=${T - 7_200_000}&tz=Europe/Paris`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="sightings-site-a_door.csv"');
    expect(res.headers.get("x-argus-truncated")).toBeNull();
    expect(rows[0]).toBe(
      "sighting_id,captured_at_utc,captured_at_local,last_seen_at_utc,camera_id,camera_name,agent_id,person_id,person_name,person_kind,list,similarity,grade,quality,shots,verdict,unlinked_reason",
    );
    // newest first: the foe at the door, then the face nobody was linked to; not site-b's door
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual([s.door.id, s.nobody.id]);
    expect(rows[1]).toBe(
      [
        s.door.id,
        "2026-06-01T22:30:00.000Z",
        "2026-06-02 00:30:00",
        "2026-06-01T22:30:05.000Z",
        "door",
        "Front door",
        "site-a",
        foe.id,
        `"'=HYPERLINK(""x""), ""Bob"""`,
        "enrolled",
        "foe",
        "0.6123",
        "", // grade
        "0.600",
        "1",
        "none",
        "", // unlinked reason
      ].join(","),
    );
    expect(rows[2]).toBe(
      `${s.nobody.id},2026-06-01T22:28:00.000Z,2026-06-02 00:28:00,2026-06-01T22:28:00.000Z,door,Front door,site-a,,,,,0.7000,,0.600,1,none,`,
    );
  });

  it("filters by person kind, list, bare camera id and time range; UTC by default", async () => {
    const ids = async (q: string) => (await csv(q)).rows.slice(1).map((r) => r.split(",")[0]);
    expect(await ids("kind=auto")).toEqual([s.otherSite.id, s.hall.id, s.oldAuto.id]);
    expect(await ids("list=none")).toEqual([s.otherSite.id, s.nobody.id, s.hall.id, s.oldAuto.id]);
    expect(await ids("list=foe")).toEqual([s.door.id, s.oldFoe.id]);
    // a bare camera id: that camera at every agent
    expect(await ids(`cameraId=door&to=${T}`)).toEqual([s.otherSite.id, s.nobody.id, s.oldFoe.id]);
    // the camera's name from its agent's config when no operator named it; UTC local times by default
    const hall = (await csv("cameraId=site-a/hall")).rows[1].split(",");
    expect(hall.slice(2, 6)).toEqual([
      "2026-06-01 21:30:00",
      "2026-06-01T21:30:00.000Z",
      "hall",
      "Hall (from the agent)",
    ]);
    expect(hall[9]).toBe("auto");
    // errors name the field; viewers only
    const bad = await api("GET", "/api/v1/sightings.csv?tz=Mars/Olympus");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe("tz");
    expect((await apiClient(server)("GET", "/api/v1/sightings.csv")).status).toBe(401);
  });

  it(`sends at most ${CSV_MAX_ROWS.toLocaleString("en")} rows, the newest, and says so in a header`, async () => {
    const n = CSV_MAX_ROWS + 2;
    const bulk = Array.from({ length: n }, (_, i) =>
      at(null, { agentId: "bulk", cameraId: "cam", capturedAt: T - i * 1000, trackId: `t${i}` }),
    );
    await server.services.store.commitBatch({ ...emptyBatch(), newSightings: bulk });
    const { res, rows } = await csv("cameraId=bulk/cam");
    expect(res.headers.get("x-argus-truncated")).toMatch(/only the newest 100000 sightings/);
    expect(rows).toHaveLength(CSV_MAX_ROWS + 1);
    expect(rows[1].startsWith(bulk[0].id)).toBe(true);
    expect(rows.at(-1)!.startsWith(bulk[CSV_MAX_ROWS - 1].id)).toBe(true);
    // exactly at the bound: complete, no header (the rows are those above, not read again)
    const exact = await csv(`cameraId=bulk/cam&to=${T - 1500}`, { headersOnly: true });
    expect(exact.res.status).toBe(200);
    expect(exact.res.headers.get("x-argus-truncated")).toBeNull();
  }, 120_000);

  it("gives persons firstSeenAt: their earliest sighting, in lists and the detail, and after a merge", async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    expect((await api("GET", `/api/v1/persons/${foe.id}`)).body.firstSeenAt).toBe(iso(s.oldFoe.capturedAt));
    expect((await api("GET", `/api/v1/persons/${never.id}`)).body.firstSeenAt).toBeNull();
    const list = (await api("GET", "/api/v1/persons?limit=10")).body.items as Json[];
    expect(Object.fromEntries(list.map((p) => [p.id, p.firstSeenAt]))).toEqual({
      [foe.id]: iso(s.oldFoe.capturedAt),
      [auto.id]: iso(s.oldAuto.capturedAt),
      [never.id]: null,
    });
    // merging the automatic person in: the earlier of both
    const merged = await api("POST", `/api/v1/persons/${foe.id}/merge`, { from: auto.id });
    expect(merged.status).toBe(200);
    expect(merged.body.firstSeenAt).toBe(iso(s.oldAuto.capturedAt));
    expect((await api("GET", `/api/v1/persons/${foe.id}`)).body.firstSeenAt).toBe(iso(s.oldAuto.capturedAt));
    const renamed = await api("PATCH", `/api/v1/persons/${never.id}`, { name: "Still nobody" });
    expect(renamed.body).toMatchObject({ name: "Still nobody", firstSeenAt: null });
  });
});

if (!HAVE_DATA) console.log(`console-api (real agent): ${NO_DATA_MESSAGE}`);

describe.skipIf(!HAVE_DATA)("a real agent: contextBox, snapshots and camera names end to end", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let events: FaceEvent[] = [];

  beforeAll(async () => {
    server = await startServer({ config: config(tempDir()) });
    api = apiClient(server, server.adminToken);
    const creds = await server.registerAgent("desk-agent");
    const dir = tempDir("argus-agentcfg-");
    writeFileSync(
      join(dir, "agent.yaml"),
      JSON.stringify({
        id: "desk-agent",
        broker: { url: creds.mqtt.url, username: "desk-agent", password: creds.mqtt.password },
        ops: { port: null, statusIntervalMs: 1000 },
      }),
    );
    mkdirSync(join(dir, "cameras"));
    writeFileSync(
      join(dir, "cameras", "desk.yaml"),
      JSON.stringify({
        id: "desk",
        name: "Interview desk",
        source: join(DATA_DIR, "video/talking-head-1.mp4"),
        fps: 5,
        minQuality: 0.2,
        bestShot: { mode: "realtime", minIntervalMs: 1000, improvement: 0.02, contextFactor: 2.5 },
        snapshot: { everySeconds: 1 },
      }),
    );
    const out = join(dir, "events.jsonl");
    const agent = await startAgent({
      configDir: dir,
      output: out,
      once: true,
      workers: 1,
      processMetrics: false,
      logger: createLogger("agent", "error"),
    });
    const result = await agent.finished;
    expect(result.exitCode).toBe(0);
    events = readFileSync(out, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    await waitFor(async () => (await api("GET", "/api/v1/admin/stats")).body.sightings > 0, "sightings stored");
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("stores the agent's contextBox with each sighting and returns it: the region its context crop shows", async () => {
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e.contextBox).toEqual(contextRegion(e.box, e.frame, 2.5).map((v) => expect.closeTo(v, 0)));
    }
    const sightings = (await api("GET", "/api/v1/sightings?limit=100")).body.items as Json[];
    expect(sightings.length).toBeGreaterThan(0);
    for (const s of sightings) {
      // the stored crop is the best shot's: its event is the one with the sighting's box
      const e = events.find((x) => x.trackId === s.trackId && x.box.every((v, i) => v === s.box[i]))!;
      expect(e, s.id).toBeTruthy();
      expect(s.contextBox).toEqual(e.contextBox);
      // and the stored image has that region's shape
      const img = await fetch(`${server.url}${s.contextUrl}`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      const { width, height } = await decodeImage(Buffer.from(await img.arrayBuffer()));
      const [x1, y1, x2, y2] = s.contextBox;
      expect(Math.abs(((x2 - x1) / (y2 - y1)) * height - width)).toBeLessThanOrEqual(1.5);
      expect(x1 <= s.box[0] + 1 && y1 <= s.box[1] + 1 && x2 >= s.box[2] - 1 && y2 >= s.box[3] - 1).toBe(true);
    }
  });

  it("shows the camera's name from its config file, and the agent's snapshot of it", async () => {
    const cam = (await api("GET", "/api/v1/cameras")).body.cameras.find((c: Json) => c.key === "desk-agent/desk");
    expect(cam).toMatchObject({ configName: "Interview desk", name: "Interview desk" });
    expect(cam.status).toMatchObject({ name: "Interview desk" });
    expect(cam.snapshotAt).not.toBeNull();
    const res = await fetch(`${server.url}${cam.snapshotUrl}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    const jpeg = checkJpeg(Buffer.from(await res.arrayBuffer()), { maxSide: 4096 });
    expect(jpeg).toMatchObject({ ok: true, width: 320, height: 320 }); // the 700x700 video at 320 px
    // an operator's name wins; clearing it falls back to the config's
    expect((await api("PATCH", "/api/v1/cameras/desk-agent/desk", { name: "Desk 1" })).body.name).toBe("Desk 1");
    const back = await api("PATCH", "/api/v1/cameras/desk-agent/desk", { name: null });
    expect(back.body).toMatchObject({ name: "Interview desk", configName: "Interview desk" });
  });
});
