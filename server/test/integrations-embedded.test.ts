/**
 * Integration accounts on the embedded broker, with a real subscriber (mqtt.js): an account made
 * through the API reads alerts and sightings (crop URLs, never the crops) and the server's retained
 * availability; it cannot read agents' face topics (SUBACK 128) nor publish (dropped: nobody receives
 * it, nothing is retained or ingested); its client id is its own; a new password or its deletion
 * closes its connections. Real faces from ../shared/data, published by an agent with issued credentials.
 */
import { AlertSchema, IntegrationCredentialsSchema, StreamEventSchemas } from "@argus/shared/api/index";
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

if (!HAVE_DATA) console.log(`integrations-embedded: ${NO_DATA_MESSAGE}`);

const T = {
  alerts: "argus/v1/alerts",
  sightings: "argus/v1/sightings",
  status: "argus/v1/server/status",
};

/** The value of a counter in the Prometheus text, 0 when absent. */
async function refused(server: RunningServer, reason: string): Promise<number> {
  const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
  const m = new RegExp(`^argus_mqtt_refused_total\\{reason="${reason}"\\} (\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

describe.skipIf(!HAVE_DATA)("integration accounts on the embedded broker", () => {
  let server: RunningServer;
  let call: ReturnType<typeof apiClient>;
  let faces: Record<string, RealFace>;
  let wall: Json;
  let agentPassword: string;
  const open: Subscriber[] = [];
  const connect = async (username: string, password: string, clientId: string) => {
    const s = await Subscriber.connect(server.mqttUrl, { username, password, clientId });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "error" },
      },
    });
    call = apiClient(server, server.adminToken);
    const names = ["penny1", "penny2", "sheldon1"];
    faces = Object.fromEntries((await realFaces(names.map(bbt))).map((f, i) => [names[i], f]));
    const penny = (await call("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    expect((await call("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny3") }))).status).toBe(
      201,
    );
    agentPassword = (await call("POST", "/api/v1/agents", { id: "site" })).body.mqtt.password;
  });

  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    await server?.stop();
  });

  it("an account made through the API reads alerts and sightings (crop URLs only), not agents' faces", async () => {
    const r = await call("POST", "/api/v1/integrations", { name: "wall", description: "hall display" });
    expect(r.status).toBe(201);
    expect(IntegrationCredentialsSchema.safeParse(r.body).success).toBe(true);
    wall = r.body;
    expect(wall.mqtt).toMatchObject({ username: "wall", clientId: "argus-integration-wall", url: server.mqttUrl });
    expect(wall.mqtt.password).toMatch(/^[\w-]{32}$/);
    expect(wall.integration.scopes).toEqual(["alerts", "sightings", "status", "homeassistant"]);
    expect(wall.integration.topics).toEqual(
      expect.arrayContaining([T.alerts, T.sightings, T.status, "argus/v1/agents/+/status", "homeassistant/#"]),
    );

    const sub = await connect("wall", wall.mqtt.password, "argus-integration-wall");
    expect(await sub.subscribe(T.alerts, T.sightings, T.status, "argus/v1/agents/+/cameras/+/status")).toEqual([
      1, 1, 1, 1,
    ]);
    const online = await sub.next((m) => m.topic === T.status, "the retained availability");
    expect(online).toMatchObject({ payload: "online", retain: true });
    // Agents' face topics (and anything wider than the account's topics) are refused.
    expect(
      await sub.subscribe(
        "argus/v1/agents/+/cameras/+/faces",
        "argus/v1/agents/site/cameras/gate/faces",
        "argus/v1/agents/site/#",
        "argus/v1/agents/+/+",
        "argus/v1/#",
        "#",
        "$SYS/#",
      ),
    ).toEqual([128, 128, 128, 128, 128, 128, 128]);
    expect(sub.client.connected).toBe(true);

    const agent = await agentClient(server.mqttUrl, "site", agentPassword);
    await publishEvent(agent, faceEvent(faces.penny2, { agentId: "site", cameraId: "gate" }));
    await publishEvent(agent, faceEvent(faces.sheldon1, { agentId: "site", cameraId: "gate" }));
    await agent.endAsync();

    const alert = JSON.parse((await sub.next((m) => m.topic === T.alerts, "the foe alert")).payload);
    expect(AlertSchema.safeParse(alert).success).toBe(true);
    expect(alert).toMatchObject({ type: "foe", agentId: "site", cameraId: "gate", person: { name: "Penny" } });
    await waitFor(async () => sub.on(T.sightings).length >= 2, "both sightings");
    for (const m of sub.on(T.sightings)) {
      const v = StreamEventSchemas.sighting.safeParse(JSON.parse(m.payload));
      expect(v.success, v.success ? "" : JSON.stringify(v.error.issues.slice(0, 3))).toBe(true);
      const s = JSON.parse(m.payload);
      expect(s.faceUrl).toBe(`/api/v1/sightings/${s.id}/face`);
      expect(s.isNew).toBe(true);
      // URLs only: no crop, no embedding (a face event is ~20 kB; a sighting a few hundred bytes).
      expect(m.payload.length).toBeLessThan(2000);
      expect(m.payload).not.toMatch(/faceJpeg|contextJpeg|embedding|\/9j\//);
    }
    expect(sub.messages.some((m) => m.topic.endsWith("/faces"))).toBe(false);

    const listed = (await call("GET", "/api/v1/integrations")).body.items;
    expect(listed).toEqual([
      expect.objectContaining({
        name: "wall",
        description: "hall display",
        online: true,
        lastConnectedAt: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/password/i);
  });

  it("an account publishes nothing: its messages are dropped, not delivered, retained nor ingested", async () => {
    const monitor = (await call("POST", "/api/v1/integrations", { name: "monitor", scopes: ["alerts"] })).body;
    expect(monitor.integration.topics).toEqual([T.alerts]);
    const watcher = await connect("monitor", monitor.mqtt.password, "argus-integration-monitor");
    expect(await watcher.subscribe(T.alerts, T.sightings, T.status)).toEqual([1, 128, 128]);

    const sightingsBefore = (await call("GET", "/api/v1/admin/stats")).body.sightings;
    const droppedBefore = await refused(server, "read_only");
    const sub = await connect("wall", wall.mqtt.password, "argus-integration-wall:publisher");
    await sub.client.publishAsync(T.alerts, "fake alert", { qos: 1 });
    await sub.client.publishAsync("homeassistant/sensor/x/y/config", "fake config", { qos: 1, retain: true });
    await sub.client.publishAsync(T.status, "offline", { qos: 1, retain: true });
    const e = faceEvent(faces.penny1, { agentId: "site", cameraId: "gate" });
    await sub.client.publishAsync("argus/v1/agents/site/cameras/gate/faces", JSON.stringify(e), { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));

    expect(await refused(server, "read_only")).toBe(droppedBefore + 4);
    expect(watcher.messages.filter((m) => m.topic === T.alerts)).toEqual([]);
    expect((await call("GET", "/api/v1/admin/stats")).body.sightings).toBe(sightingsBefore);
    expect(sub.client.connected).toBe(true); // dropped like Mosquitto does, without a disconnect
    // Nothing was retained: a fresh subscriber finds only the server's own availability.
    const fresh = await connect("wall", wall.mqtt.password, "argus-integration-wall:fresh");
    await fresh.subscribe("homeassistant/#", T.status);
    await fresh.next((m) => m.topic === T.status, "the retained availability");
    await new Promise((r) => setTimeout(r, 300));
    expect(fresh.messages.map((m) => [m.topic, m.payload])).toEqual([[T.status, "online"]]);
  });

  it("a client id belongs to one account: others are refused (CONNACK 2); agents and accounts share one namespace", async () => {
    const refusedWith = async (username: string, password: string, clientId: string) =>
      Subscriber.connect(server.mqttUrl, { username, password, clientId }).then(
        (s) => {
          open.push(s);
          return 0;
        },
        (e: { code?: number }) => e.code,
      );
    const before = await refused(server, "client_id");
    expect(await refusedWith("wall", wall.mqtt.password, "home-assistant-1234")).toBe(2);
    expect(await refusedWith("wall", wall.mqtt.password, "argus-agent-site")).toBe(2);
    expect(await refusedWith("wall", wall.mqtt.password, "argus-integration-monitor")).toBe(2);
    expect(await refusedWith("site", agentPassword, "argus-integration-wall")).toBe(2);
    expect(await refusedWith("wall", "not the password", "argus-integration-wall")).toBe(4);
    expect(await refused(server, "client_id")).toBe(before + 4);
    expect(await refusedWith("wall", wall.mqtt.password, "argus-integration-wall:second")).toBe(0);

    expect((await call("POST", "/api/v1/integrations", { name: "site" })).status).toBe(409);
    expect((await call("POST", "/api/v1/agents", { id: "wall" })).status).toBe(409);
    expect((await call("POST", "/api/v1/integrations", { name: "wall" })).status).toBe(409);
    expect((await call("POST", "/api/v1/integrations", { name: "a/b" })).status).toBe(400);
    expect((await call("POST", "/api/v1/integrations", { name: "x", scopes: ["faces"] })).status).toBe(400);
    // Admins only.
    const viewer = (await call("POST", "/api/v1/tokens", { role: "operator", name: "op" })).body.token;
    expect((await apiClient(server, viewer)("GET", "/api/v1/integrations")).status).toBe(403);
  });

  it("a new password closes the account's connections and the old one stops working; deletion too", async () => {
    const sub = await connect("wall", wall.mqtt.password, "argus-integration-wall");
    const rotated = await call("POST", "/api/v1/integrations/wall/credentials");
    expect(rotated.status).toBe(200);
    expect(rotated.body.mqtt.password).not.toBe(wall.mqtt.password);
    await waitFor(async () => sub.closed > 0, "the connection closed");
    await expect(
      Subscriber.connect(server.mqttUrl, {
        username: "wall",
        password: wall.mqtt.password,
        clientId: "argus-integration-wall",
      }),
    ).rejects.toMatchObject({ code: 4 });
    const again = await connect("wall", rotated.body.mqtt.password, "argus-integration-wall");
    expect(await again.subscribe(T.alerts)).toEqual([1]);

    expect((await call("DELETE", "/api/v1/integrations/wall")).status).toBe(204);
    await waitFor(async () => again.closed > 0, "the connection closed");
    await expect(
      Subscriber.connect(server.mqttUrl, {
        username: "wall",
        password: rotated.body.mqtt.password,
        clientId: "argus-integration-wall",
      }),
    ).rejects.toMatchObject({ code: 4 });
    expect((await call("DELETE", "/api/v1/integrations/wall")).status).toBe(404);
    expect((await call("POST", "/api/v1/integrations/wall/credentials")).status).toBe(404);
    expect((await call("GET", "/api/v1/integrations")).body.items.map((i: Json) => i.name)).toEqual(["monitor"]);
  });

  it("the server's availability: retained 'online' for a late subscriber, 'offline' when it stops", async () => {
    const acct = (await call("POST", "/api/v1/integrations", { name: "status-board", scopes: ["status"] })).body;
    const sub = await connect("status-board", acct.mqtt.password, "argus-integration-status-board");
    await sub.subscribe(T.status);
    expect(await sub.next((m) => m.topic === T.status, "online")).toMatchObject({ payload: "online", retain: true });
    await server.stop();
    const off = await sub.next((m) => m.topic === T.status && m.payload === "offline", "offline at stop");
    expect(off.payload).toBe("offline");
  });
});
