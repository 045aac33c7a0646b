/**
 * End to end on embedded defaults: a real MQTT client publishes face events (shared schema, real
 * embeddings of real photos) to the embedded broker; the server identifies, creates persons, stores
 * sightings, raises a foe alert on MQTT, SSE and a signed webhook; the API returns it all.
 */

import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { topics } from "@argus/shared";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySignature } from "../src/notify/webhooks.ts";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  apiClient,
  bbt,
  faceEvent,
  HAVE_DATA,
  imageForm,
  type Json,
  NO_DATA_MESSAGE,
  openStream,
  publishEvent,
  type RealFace,
  type RunningServer,
  realFaces,
  tempDir,
  waitFor,
} from "./helpers.ts";

if (!HAVE_DATA) console.log(`e2e: ${NO_DATA_MESSAGE}`);

describe.skipIf(!HAVE_DATA)("server end to end (embedded broker, SQLite)", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let faces: Record<string, RealFace>;
  let creds: { id: string; mqtt: { url: string; username: string; password: string } };
  let hook: Server;
  const hookBodies: Array<{ body: string; sig: string }> = [];
  let sse: Array<{ event: string; data: Json }> = [];
  let stream: Awaited<ReturnType<typeof openStream>>;
  let webhookSecret = "";

  beforeAll(async () => {
    const names = ["penny1", "penny2", "penny3", "sheldon1", "sheldon2", "sheldon3", "amy1", "raj1"];
    const list = await realFaces(names.map(bbt));
    faces = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        alerts: { webhookAllowHosts: ["127.0.0.1"] }, // the test's webhook receiver is local
        log: { level: "error" },
      },
    });
    api = apiClient(server, server.adminToken);
    hook = createServer((req: IncomingMessage, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hookBodies.push({ body: b, sig: String(req.headers["x-argus-signature"]) });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    const port = (hook.address() as { port: number }).port;
    const w = await api("POST", "/api/v1/webhooks", { url: `http://127.0.0.1:${port}/hook`, events: ["foe"] });
    expect(w.status).toBe(201);
    webhookSecret = w.body.secret;

    // The console's live stream.
    stream = await openStream(server, { authorization: `Bearer ${server.adminToken}` });
    expect(stream.contentType).toMatch(/text\/event-stream/);
    sse = stream.events;
  });

  afterAll(async () => {
    stream?.close();
    await server?.stop();
    hook?.close();
  });

  it("registers an agent and gives it MQTT credentials; bad credentials are refused", async () => {
    const r = await api("POST", "/api/v1/agents", { id: "gate-agent" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: "gate-agent", mqtt: { username: "gate-agent", url: server.mqttUrl } });
    expect(r.body.mqtt.password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    creds = r.body;
    expect((await api("POST", "/api/v1/agents", { id: "gate-agent" })).status).toBe(409);
    expect((await api("POST", "/api/v1/agents", { id: "bad/id" })).body.error).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    const bad = mqtt.connect(server.mqttUrl, { username: "gate-agent", password: "wrong", reconnectPeriod: 0 });
    const err = await new Promise<Error>((res) => bad.once("error", res));
    expect(err.message).toMatch(/Bad username or password|Not authorized/i);
    bad.end(true);

    // A start script run again: ensureAgent issues a new password; the old one stops working.
    const first = await server.ensureAgent("spare-agent");
    const second = await server.ensureAgent("spare-agent");
    expect(second.mqtt.password).not.toBe(first.mqtt.password);
    const old = mqtt.connect(server.mqttUrl, {
      username: "spare-agent",
      password: first.mqtt.password!,
      reconnectPeriod: 0,
    });
    await new Promise((res) => old.once("error", res));
    old.end(true);
    (await agentClient(server.mqttUrl, "spare-agent", second.mqtt.password!)).end(true);
    expect((await api("DELETE", "/api/v1/agents/spare-agent")).status).toBe(204);
    expect((await api("GET", "/api/v1/agents")).body.items.map((a: Json) => a.id)).toEqual(["gate-agent"]);
  });

  it("enrols a person from a photo and puts them on the foe list", async () => {
    const p = await api("POST", "/api/v1/persons", { name: "Penny", list: "foe" });
    expect(p.status).toBe(201);
    const enrol = await api("POST", `/api/v1/persons/${p.body.id}/faces`, imageForm({ image: bbt("penny1") }));
    expect(enrol.status).toBe(201);
    expect(enrol.body.face).toMatchObject({ personId: p.body.id, source: "enrol" });
    const img = await fetch(`${server.url}${enrol.body.face.imageUrl}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(img.headers.get("content-type")).toBe("image/jpeg");
  });

  it("ingests events: identifies the foe, founds and links unknown persons, alerts", async () => {
    const c = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password);
    const t0 = Date.now() - 60_000;
    const seq = ["penny2", "sheldon1", "sheldon2", "amy1", "sheldon3", "penny3"];
    for (const [i, n] of seq.entries()) {
      await publishEvent(
        c,
        faceEvent(faces[n], { agentId: "gate-agent", cameraId: "gate", capturedAt: new Date(t0 + i * 1000) }),
      );
    }
    // Acknowledged means stored: everything is visible right away.
    const list = await api("GET", "/api/v1/sightings?limit=50");
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(6);
    const byTime = [...list.body.items].reverse();
    expect(byTime.map((s: Json) => s.capturedAt)).toEqual(seq.map((_, i) => new Date(t0 + i * 1000).toISOString()));
    const [penny2, sh1, sh2, amy1, sh3, penny3] = byTime;
    expect(penny2.person).toMatchObject({ name: "Penny", list: "foe" });
    expect(penny2.verdict).toBe("foe");
    expect(penny2.grade).toMatch(/^(likely|strong)$/);
    expect(penny3.person.name).toBe("Penny");
    // Cautious creation (events without the agent's track evidence): Sheldon's first pass waited as a
    // candidate; his second, another track, recurred with it and founded his person with both.
    expect(sh2.person.kind).toBe("auto");
    expect(sh2.person.name).toMatch(/^Unknown #\d+$/);
    expect(sh1.personId).toBe(sh2.personId);
    expect(sh1).toMatchObject({ unlinkedReason: null, grade: expect.any(String) });
    expect(sh1.similarity).toBeGreaterThan(0.4);
    expect(sh3.personId).toBe(sh1.personId);
    // Amy was seen once: a candidate, linked to nobody yet, found among the unidentified.
    expect(amy1).toMatchObject({ personId: null, unlinkedReason: "candidate", grade: null });
    const unidentified = await api("GET", "/api/v1/sightings?kind=unidentified&cameraId=gate-agent/gate");
    expect(unidentified.body.items.map((s: Json) => s.id)).toEqual([amy1.id]);

    const autos = await api("GET", "/api/v1/persons?kind=auto");
    expect(autos.body.items.map((p: Json) => p.id)).toEqual([sh1.personId]);
    const sheldon = await api("GET", `/api/v1/persons/${sh1.personId}`);
    expect(sheldon.body.sightingCount).toBe(3);
    expect(sheldon.body.faces.length).toBeGreaterThanOrEqual(1);

    const crop = await fetch(`${server.url}${sh1.faceUrl}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(crop.status).toBe(200);
    expect(Buffer.from(await crop.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    // Foe alerts: stored (one per pass, the second within the cooldown is suppressed), SSE, webhook.
    const alerts = await api("GET", "/api/v1/alerts");
    expect(alerts.body.items).toHaveLength(1);
    expect(alerts.body.items[0]).toMatchObject({
      type: "foe",
      personId: penny2.personId,
      sightingId: penny2.id,
      ackedAt: null,
    });
    await waitFor(async () => sse.some((e) => e.event === "alert"), "SSE alert");
    // Six new sightings, and Sheldon's first one again when his person was founded.
    await waitFor(async () => sse.filter((e) => e.event === "sighting").length >= 7, "SSE sightings");
    const sightingEvents = sse.filter((e) => e.event === "sighting");
    expect(sightingEvents.filter((e) => e.data.isNew)).toHaveLength(6);
    expect(sightingEvents.filter((e) => !e.data.isNew).map((e) => [e.data.id, e.data.personId])).toEqual([
      [sh1.id, sh1.personId],
    ]);
    expect(sse.find((e) => e.event === "alert")!.data).toMatchObject({ type: "foe", person: { name: "Penny" } });
    await waitFor(async () => hookBodies.length > 0, "webhook delivery");
    expect(verifySignature(webhookSecret, hookBodies[0].body, hookBodies[0].sig)).toBe(true);
    expect(JSON.parse(hookBodies[0].body).alert).toMatchObject({ type: "foe", person: { name: "Penny" } });

    const ack = await api("POST", `/api/v1/alerts/${alerts.body.items[0].id}/ack`);
    expect(ack.body.ackedBy).toBe("token:initial admin");
    expect((await api("GET", "/api/v1/alerts?acked=false")).body.items).toHaveLength(0);
    c.end();
  });

  it("lets agents subscribe only under their own topics", async () => {
    const sub = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password, "watcher");
    const denied = await new Promise<number | undefined>((res) =>
      sub.subscribe(topics().alerts(), { qos: 1 }, (e) =>
        res((e as Error & { packet?: { granted: number[] } })?.packet?.granted[0]),
      ),
    );
    expect(denied).toBe(128);
    const own = await new Promise<Error | null>((res) =>
      sub.subscribe(`${topics().agentRoot("gate-agent")}config`, { qos: 1 }, res),
    );
    expect(own).toBeNull();
    sub.end();
  });

  it("drops duplicate event ids and updates a track's sighting with a later shot", async () => {
    const c = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password);
    const before = (await api("GET", "/api/v1/sightings?limit=200")).body.items.length;
    const e = faceEvent(faces.raj1, { agentId: "gate-agent", cameraId: "hall", trackId: "track-raj" });
    await publishEvent(c, e);
    await publishEvent(c, e); // redelivery
    const e2 = faceEvent(faces.raj1, { agentId: "gate-agent", cameraId: "hall", trackId: "track-raj", seq: 1 });
    e2.quality = { ...e2.quality, score: Math.min(1, e.quality.score + 0.1) };
    await publishEvent(c, e2); // a better shot of the same track
    const after = (await api("GET", "/api/v1/sightings?limit=200")).body.items;
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ trackId: "track-raj", shots: 2, cameraId: "hall" });
    c.end();
  });

  it("keeps malformed payloads as dead letters without crashing, and refuses other agents' topics", async () => {
    const c = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password);
    const t = topics().faces("gate-agent", "gate");
    await new Promise<void>((r) => c.publish(t, "{not json", { qos: 1 }, () => r()));
    await new Promise<void>((r) =>
      c.publish(t, JSON.stringify({ schema: "argus.face-event", version: 1 }), { qos: 1 }, () => r()),
    );
    const spoof = faceEvent(faces.amy1, { agentId: "other-agent", cameraId: "gate" });
    await new Promise<void>((r) => c.publish(t, JSON.stringify(spoof), { qos: 1 }, () => r()));
    const dl = await api("GET", "/api/v1/dead-letters");
    expect(dl.body.total).toBe(3);
    expect(dl.body.items.map((d: Json) => d.error.split(":")[0]).sort()).toEqual([
      "INVALID_EVENT",
      "INVALID_EVENT",
      "TOPIC_MISMATCH",
    ]);
    expect(dl.body.items.find((d: Json) => d.error.startsWith("INVALID_EVENT: not JSON")).payloadPreview).toBe(
      "{not json",
    );
    c.end();

    // Publishing under another agent's id closes the connection and stores nothing.
    const before = (await api("GET", "/api/v1/sightings?limit=200")).body.items.length;
    const c2 = mqtt.connect(creds.mqtt.url, {
      username: creds.mqtt.username,
      password: creds.mqtt.password,
      clientId: `argus-agent-${creds.mqtt.username}:spoof`,
      reconnectPeriod: 0,
    });
    await new Promise((r) => c2.once("connect", r));
    const closed = new Promise((r) => c2.once("close", r));
    c2.publish(topics().faces("other-agent", "gate"), JSON.stringify(spoof), { qos: 1 });
    await closed;
    expect((await api("GET", "/api/v1/sightings?limit=200")).body.items.length).toBe(before);
    c2.end(true);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("keeps the agents' and cameras' last status (retained MQTT status topics)", async () => {
    const c = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password, "status-client");
    const at = new Date().toISOString();
    const pub = (t: string, m: unknown) =>
      new Promise<void>((r) =>
        c.publish(t, typeof m === "string" ? m : JSON.stringify(m), { qos: 1, retain: true }, () => r()),
      );
    await pub(topics().agentStatus("gate-agent"), { agentId: "gate-agent", state: "online", at, version: "test" });
    await pub(topics().cameraStatus("gate-agent", "gate"), {
      agentId: "gate-agent",
      cameraId: "gate",
      state: "streaming",
      at,
      fps: 12,
    });
    await pub(topics().cameraStatus("gate-agent", "gate"), "not json");
    const r = await api("GET", "/api/v1/cameras");
    expect(r.body.cameras.find((x: Json) => x.id === "gate")).toMatchObject({
      agentId: "gate-agent",
      status: { state: "streaming", fps: 12 },
      eventCount: expect.any(Number),
    });
    expect(r.body.agents.find((x: Json) => x.id === "gate-agent")).toMatchObject({
      status: { state: "online" },
      online: true,
    });
    expect((await api("GET", "/api/v1/dead-letters")).body.items[0].error).toMatch(/^INVALID_STATUS/);
    await waitFor(
      async () => sse.some((e) => e.event === "camera" && e.data.status?.state === "streaming"),
      "SSE camera status",
    );
    c.end();
  });

  it("searches by photo, identifies and verifies", async () => {
    const search = await api("POST", "/api/v1/search", imageForm({ image: bbt("sheldon1") }));
    expect(search.status).toBe(200);
    expect(search.body.faces).toHaveLength(1);
    const best = search.body.faces[0].candidates[0];
    expect(best.person.kind).toBe("auto");
    expect(best.similarity).toBeGreaterThan(0.9);
    expect(best.sightings.length).toBe(3);

    const raw = await api("POST", "/api/v1/identify", readFileSync(bbt("penny3")), { "content-type": "image/png" });
    expect(raw.body.faces[0].candidates[0]).toMatchObject({ person: { name: "Penny" }, match: true });

    const same = await api("POST", "/api/v1/verify", imageForm({ image1: bbt("amy1"), image2: bbt("amy1") }));
    expect(same.body.match).toBe(true);
    const diff = await api("POST", "/api/v1/verify", imageForm({ image1: bbt("amy1"), image2: bbt("sheldon1") }));
    expect(diff.body.match).toBe(false);
  });
});
