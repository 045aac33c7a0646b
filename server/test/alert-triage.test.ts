/**
 * Alert triage through the real server: a camera muted by an operator still stores its alerts
 * (muted: true) but delivers them neither to a real webhook receiver nor to a real MQTT subscriber of
 * the alerts topic; a foe is still announced unless the mute includes foes; a mute ends at its time
 * and can be ended early; many alerts are acknowledged at once with a note, kept on each alert and in
 * the audit log; the settings page's API redacts secrets and is for admins only.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { topics } from "@argus/shared";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  publishEvent,
  type RealFace,
  type RunningServer,
  realFaces,
  tempDir,
  waitFor,
} from "./helpers.ts";
import { Subscriber } from "./subscriber.ts";

if (!HAVE_DATA) console.log(`alert-triage: ${NO_DATA_MESSAGE}`);

describe.skipIf(!HAVE_DATA)("alert triage: mutes, bulk acknowledgement with a note, settings", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let faces: Record<string, RealFace>;
  let agent: MqttClient;
  let sub: Subscriber;
  let hook: Server;
  let hookId = "";
  const hookBodies: Json[] = [];
  const T = topics();
  let tracks = 0;

  /** Publishes one face at a camera (a new track each time) and returns the alert it raised. */
  const raise = async (face: string, cameraId: string): Promise<Json> => {
    const e = faceEvent(faces[face], { agentId: "site", cameraId, trackId: `track-${++tracks}` });
    await publishEvent(agent, e); // acknowledged = committed
    const sighting = (await api("GET", `/api/v1/sightings?cameraId=site/${cameraId}&limit=200`)).body.items.find(
      (s: Json) => s.trackId === e.trackId,
    );
    expect(sighting).toBeDefined();
    const alerts = (await api("GET", `/api/v1/alerts?cameraId=site/${cameraId}&limit=200`)).body.items;
    const a = alerts.find((x: Json) => x.sightingId === sighting.id);
    expect(a).toBeDefined();
    return a;
  };
  const delivered = (alertId: string) => hookBodies.some((b) => b.alert?.id === alertId);
  const published = (alertId: string) => sub.on(T.alerts()).some((m) => JSON.parse(m.payload).id === alertId);

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1", password: "mqtt-secret-never-shown" },
        alerts: { webhookAllowHosts: ["127.0.0.1"], cooldownSeconds: 0 },
        log: { level: "error" },
      },
    });
    api = apiClient(server, server.adminToken);
    const names = [
      "penny1",
      "penny2",
      "penny3",
      "amy1",
      "raj1",
      "howard1",
      "stuart1",
      "bernadette1",
      "leonard1",
      "leonard2",
      "sheldon2",
    ];
    faces = Object.fromEntries((await realFaces(names.map(bbt))).map((f, i) => [names[i], f]));
    const penny = (await api("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    expect((await api("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }))).status).toBe(
      201,
    );
    for (const cam of ["door", "yard"])
      expect((await api("PATCH", `/api/v1/cameras/site/${cam}`, { sensitive: true })).status).toBe(200);

    hook = createServer((req: IncomingMessage, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hookBodies.push(JSON.parse(b));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    const w = await api("POST", "/api/v1/webhooks", {
      url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`,
    });
    expect(w.status).toBe(201);
    hookId = w.body.id;

    const monitor = (await api("POST", "/api/v1/integrations", { name: "monitor", scopes: ["alerts"] })).body;
    sub = await Subscriber.connect(server.mqttUrl, {
      username: monitor.mqtt.username,
      password: monitor.mqtt.password,
      clientId: monitor.mqtt.clientId,
    });
    expect(await sub.subscribe(T.alerts())).toEqual([1]);
    const creds = (await api("POST", "/api/v1/agents", { id: "site" })).body;
    agent = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password);
  });

  afterAll(async () => {
    agent?.end(true);
    await sub?.close().catch(() => {});
    await server?.stop();
    hook?.close();
  });

  it("a muted camera's alert is stored muted and reaches neither the webhook nor MQTT; other cameras' do", async () => {
    const created = await api("POST", "/api/v1/mutes", { camera: "site/door", minutes: 30, reason: "lens cleaning" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      target: "camera",
      camera: "site/door",
      personId: null,
      includeFoe: false,
      reason: "lens cleaning",
      createdBy: "token:initial admin",
      active: true,
    });
    expect(Date.parse(created.body.until) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect((await api("GET", "/api/v1/mutes")).body.items.map((m: Json) => m.id)).toEqual([created.body.id]);

    const muted = await raise("amy1", "door");
    expect(muted).toMatchObject({ type: "unknown_at_sensitive_camera", muted: true, mutedBy: created.body.id });
    // The next alert, at an unmuted camera, is announced; the muted one before it never is.
    const loud = await raise("raj1", "yard");
    expect(loud).toMatchObject({ muted: false, mutedBy: null });
    await waitFor(async () => delivered(loud.id) && published(loud.id), "the unmuted alert on the webhook and MQTT");
    expect(delivered(muted.id)).toBe(false);
    expect(published(muted.id)).toBe(false);
    const deliveries = (await api("GET", `/api/v1/webhooks/${hookId}/deliveries?limit=100`)).body.items;
    expect(deliveries.map((d: Json) => d.alertId)).not.toContain(muted.id);
    // Listed, and filterable.
    expect((await api("GET", "/api/v1/alerts?muted=true")).body.items.map((a: Json) => a.id)).toEqual([muted.id]);
    expect((await api("GET", "/api/v1/alerts?muted=false")).body.items.map((a: Json) => a.id)).toContain(loud.id);

    // A foe at the muted camera is still announced: the mute does not include foes.
    const foe = await raise("penny2", "door");
    expect(foe).toMatchObject({ type: "foe", muted: false });
    await waitFor(async () => delivered(foe.id) && published(foe.id), "the foe alert despite the camera mute");

    // Ended early: alerts there are announced again at once.
    expect((await api("DELETE", `/api/v1/mutes/${created.body.id}`)).status).toBe(204);
    expect((await api("DELETE", `/api/v1/mutes/${created.body.id}`)).status).toBe(404);
    expect((await api("GET", "/api/v1/mutes")).body.items).toEqual([]);
    const again = await raise("howard1", "door");
    expect(again.muted).toBe(false);
    await waitFor(async () => delivered(again.id) && published(again.id), "an alert after the mute was removed");

    const audit = (await api("GET", `/api/v1/audit?targetType=mute&targetId=${created.body.id}`)).body.items;
    expect(audit.map((e: Json) => e.action)).toEqual(["mute.delete", "mute.create"]);
    expect(audit[1]).toMatchObject({ actor: { name: "initial admin" }, after: { targetId: "site/door" } });
  });

  it("a maintenance mute (foes included) silences a foe; a mute ends at its time", async () => {
    const until = new Date(Date.now() + 3_000).toISOString();
    const m = await api("POST", "/api/v1/mutes", { camera: "site/yard", until, includeFoe: true });
    expect(m.status).toBe(201);
    const foe = await raise("penny3", "yard");
    expect(foe).toMatchObject({ type: "foe", muted: true, mutedBy: m.body.id });
    // Wait for the end (a condition on the clock, not a fixed pause), then the same camera alerts again.
    await waitFor(async () => Date.now() > Date.parse(until), "the mute's end", 10_000);
    expect((await api("GET", "/api/v1/mutes")).body.items).toEqual([]);
    const after = await raise("stuart1", "yard");
    expect(after).toMatchObject({ muted: false, mutedBy: null });
    await waitFor(async () => delivered(after.id) && published(after.id), "an alert after the mute ended");
    expect(delivered(foe.id) || published(foe.id)).toBe(false);
  });

  it("refuses bad mutes", async () => {
    const bad = async (body: Json) => (await api("POST", "/api/v1/mutes", body)).status;
    expect(await bad({ camera: "site/door" })).toBe(400); // no duration
    expect(await bad({ camera: "site/door", personId: "x", minutes: 5 })).toBe(400); // both targets
    expect(await bad({ camera: "door", minutes: 5 })).toBe(400); // not a camera key
    expect(await bad({ camera: "site/door", minutes: 60 * 24 * 31 })).toBe(400); // beyond 30 days
    expect(await bad({ camera: "site/door", until: new Date(Date.now() - 1000).toISOString() })).toBe(400);
    expect(await bad({ personId: "nobody", minutes: 5 })).toBe(404);
    const viewer = (await api("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body.token;
    expect((await apiClient(server, viewer)("POST", "/api/v1/mutes", { camera: "site/door", minutes: 5 })).status).toBe(
      403,
    );
  });

  it("a person mute follows the person to every camera", async () => {
    // Bernadette twice on two tracks: cautious creation founds her person on the recurrence.
    const first = await raise("bernadette1", "door");
    const personId = first.personId ?? (await raise("bernadette1", "door")).personId;
    expect(personId).toBeTruthy();
    const m = await api("POST", "/api/v1/mutes", { personId, minutes: 5 });
    expect(m.status).toBe(201);
    expect(m.body).toMatchObject({ target: "person", personId, camera: null });
    const yard = await raise("bernadette1", "yard");
    expect(yard).toMatchObject({ personId, muted: true, mutedBy: m.body.id });
    expect((await api("DELETE", `/api/v1/mutes/${m.body.id}`)).status).toBe(204);
  });

  it("a person mute follows the person into a merge", async () => {
    // Two enrolled foes; the muted one is merged into the other: the mute now names the survivor.
    const enrol = async (name: string, face: string) => {
      const p = (await api("POST", "/api/v1/persons", { name, list: "foe" })).body;
      const f = await api("POST", `/api/v1/persons/${p.id}/faces`, imageForm({ image: bbt(face) }));
      expect(f.status).toBe(201);
      return p.id as string;
    };
    const into = await enrol("Leonard", "leonard1");
    const from = await enrol("Sheldon", "sheldon1");
    const m = await api("POST", "/api/v1/mutes", { personId: from, minutes: 5, includeFoe: true });
    expect(m.status).toBe(201);
    expect((await api("POST", `/api/v1/persons/${into}/merge`, { from })).status).toBe(200);
    const listed = (await api("GET", "/api/v1/mutes")).body.items.find((x: Json) => x.id === m.body.id);
    expect(listed).toMatchObject({ target: "person", personId: into });
    // Both faces are the survivor's now, and both its alerts are muted by the moved mute.
    for (const face of ["sheldon2", "leonard2"])
      expect(await raise(face, "yard")).toMatchObject({ personId: into, muted: true, mutedBy: m.body.id });
    expect((await api("DELETE", `/api/v1/mutes/${m.body.id}`)).status).toBe(204);
  });

  it("acknowledges many alerts at once with a note, on each alert, the stream's events and the audit log", async () => {
    const open = (await api("GET", "/api/v1/alerts?acked=false&limit=100")).body.items;
    expect(open.length).toBeGreaterThanOrEqual(5);
    const first = open[0];
    expect((await api("POST", `/api/v1/alerts/${first.id}/ack`)).body.ackNote).toBeNull();
    const ids = open.slice(0, 4).map((a: Json) => a.id);
    const note = "  Amy and Raj: cleaners on the night shift  ";
    const r = await api("POST", "/api/v1/alerts/bulk-ack", { ids: [...ids, "no-such-alert", ids[1]], note });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ acknowledged: 3, alreadyAcknowledged: 1, notFound: ["no-such-alert"] });
    const all = (await api("GET", "/api/v1/alerts?limit=200")).body.items as Json[];
    for (const id of ids.slice(1))
      expect(all.find((a) => a.id === id)).toMatchObject({
        ackedBy: "token:initial admin",
        ackedAt: r.body.ackedAt,
        ackNote: "Amy and Raj: cleaners on the night shift",
      });
    // The first acknowledgement wins: no note added to it.
    expect(all.find((a) => a.id === first.id)).toMatchObject({ ackNote: null });
    const audit = (await api("GET", "/api/v1/audit?action=alert.ack&limit=50")).body.items as Json[];
    for (const id of ids.slice(1)) {
      const e = audit.find((x) => x.targetId === id);
      expect(e).toMatchObject({
        actor: { name: "initial admin" },
        before: { ackedAt: null },
        after: { ackNote: "Amy and Raj: cleaners on the night shift" },
      });
    }
    // Bounded: a note too long, too many ids, no ids; viewers may not.
    expect((await api("POST", "/api/v1/alerts/bulk-ack", { ids, note: "x".repeat(501) })).status).toBe(400);
    expect((await api("POST", "/api/v1/alerts/bulk-ack", { ids: [] })).status).toBe(400);
    const many = Array.from({ length: 501 }, (_, i) => `a${i}`);
    expect((await api("POST", "/api/v1/alerts/bulk-ack", { ids: many })).status).toBe(400);
  });

  it("shows the settings to admins only, with every secret redacted", async () => {
    const r = await api("GET", "/api/v1/admin/settings");
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain("mqtt-secret-never-shown");
    expect(r.body.settings.mqtt.password).toBe("[redacted]");
    expect(r.body.redacted).toContain("mqtt.password");
    expect(r.body.settings.alerts).toMatchObject({ cooldownSeconds: 0 });
    expect(r.body.storeKind).toBe("sqlite");
    const operator = (await api("POST", "/api/v1/tokens", { role: "operator", name: "desk" })).body.token;
    expect((await apiClient(server, operator)("GET", "/api/v1/admin/settings")).status).toBe(403);
  });
});
