/**
 * The external-broker path, on a real Mosquitto run with the ACL the README documents
 * (configs/mosquitto/acl): the server publishes alerts, sightings, Home Assistant discovery and states
 * and its availability there; the test's subscriber reads them with a Mosquitto user of its own
 * (`homeassistant`, read-only), cannot read agents' face events nor publish; the server says "offline"
 * at a clean stop, and the broker says it for the server (its last will) when the process is killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AlertSchema, HaLastPersonStateSchema, StreamEventSchemas } from "@argus/shared/api/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  apiClient,
  bbt,
  faceEvent,
  freePort,
  HAVE_DATA,
  imageForm,
  Mosquitto,
  NO_DATA_MESSAGE,
  publishEvent,
  type RealFace,
  type RunningServer,
  realFaces,
  tempDir,
  waitFor,
} from "./helpers.ts";
import { Subscriber } from "./subscriber.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HAVE_MOSQUITTO = Mosquitto.available();
if (!HAVE_MOSQUITTO) console.log("integrations-mosquitto: SKIPPED (install Debian's mosquitto: see README)");
if (!HAVE_DATA) console.log(`integrations-mosquitto: ${NO_DATA_MESSAGE}`);

const T = {
  alerts: "argus/v1/alerts",
  sightings: "argus/v1/sightings",
  status: "argus/v1/server/status",
  faces: "argus/v1/agents/+/cameras/+/faces",
  lastPerson: "argus/v1/ha/cameras/site/gate/last_person",
  foe: "argus/v1/ha/cameras/site/gate/foe_present",
  foeConfig: "homeassistant/binary_sensor/argus/camera_site__gate_foe_present/config",
};
const USERS = { server: "server-secret", site: "agent-secret", homeassistant: "ha-secret" };

describe.skipIf(!HAVE_MOSQUITTO || !HAVE_DATA)("integrations on an external broker (Mosquitto)", () => {
  const mosq = new Mosquitto();
  let faces: Record<string, RealFace>;
  const open: Subscriber[] = [];
  /** The test's own Mosquitto user, read-only (the documented ACL's `homeassistant` block). */
  const reader = async () => {
    const s = await Subscriber.connect(mosq.url(), {
      username: "homeassistant",
      password: USERS.homeassistant,
      clientId: "ha-test",
    });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    const acl = readFileSync(join(ROOT, "configs/mosquitto/acl"), "utf8");
    await mosq.start(USERS, ["use_username_as_clientid true"], acl);
    const names = ["penny2", "sheldon1"];
    faces = Object.fromEntries((await realFaces(names.map(bbt))).map((f, i) => [names[i], f]));
  });

  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    await mosq.stop();
  });

  it("the server publishes alerts, sightings, discovery and availability there; the reader reads, publishes nothing", async () => {
    const sub = await reader();
    await sub.subscribe(T.alerts, T.sightings, T.status, "homeassistant/#", "argus/v1/ha/#", T.faces);
    let server: RunningServer | undefined = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { url: mosq.url(), username: "server", password: USERS.server },
        integrations: { homeAssistant: { enabled: true, foeWindowSeconds: 2 } },
        log: { level: "error" },
      },
    });
    try {
      const call = apiClient(server, server.adminToken);
      expect(await sub.next((m) => m.topic === T.status && m.payload === "online", "online")).toBeTruthy();
      const penny = (await call("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
      await call("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
      await sub.next((m) => m.topic.endsWith("_last_seen/config"), "Penny's discovery config");
      // Agents have their logins in Mosquitto: registering one only lists it.
      expect((await call("POST", "/api/v1/agents", { id: "site" })).body.mqtt.password).toBeNull();
      const created = (await call("POST", "/api/v1/integrations", { name: "wall" })).body;
      expect(created.mqtt).toMatchObject({ password: null, note: expect.stringMatching(/external broker/) });

      const agent = await agentClient(mosq.url(), "site", USERS.site);
      await publishEvent(agent, faceEvent(faces.penny2, { agentId: "site", cameraId: "gate" }));
      await publishEvent(agent, faceEvent(faces.sheldon1, { agentId: "site", cameraId: "gate" }));
      await agent.endAsync();

      const alert = JSON.parse((await sub.next((m) => m.topic === T.alerts, "the foe alert")).payload);
      expect(AlertSchema.safeParse(alert).success).toBe(true);
      expect(alert).toMatchObject({ type: "foe", person: { name: "Penny" }, cameraId: "gate" });
      await waitFor(async () => sub.on(T.sightings).length >= 2, "two sightings");
      for (const m of sub.on(T.sightings)) {
        expect(StreamEventSchemas.sighting.safeParse(JSON.parse(m.payload)).success).toBe(true);
        expect(m.payload).not.toMatch(/faceJpeg|embedding/);
      }
      const cfg = JSON.parse((await sub.next((m) => m.topic === T.foeConfig, "the foe sensor config")).payload);
      expect(cfg).toMatchObject({ state_topic: T.foe, availability_topic: T.status });
      await sub.next((m) => m.topic === T.foe && m.payload === "ON", "foe present ON");
      await sub.next((m) => m.topic === T.foe && m.payload === "OFF", "foe present OFF", 10_000);
      const last = JSON.parse(sub.last(T.lastPerson)!);
      expect(HaLastPersonStateSchema.safeParse(last).success).toBe(true);
      // The ACL let the reader subscribe to agents' faces, but it is never sent them.
      expect(sub.messages.some((m) => m.topic.endsWith("/faces"))).toBe(false);

      // Read-only: Mosquitto drops its publishes (MQTT 3.1.1); nothing reaches the server or anyone.
      const before = (await call("GET", "/api/v1/admin/stats")).body.sightings;
      const n = sub.messages.length;
      await sub.client.publishAsync(T.alerts, "fake", { qos: 1 });
      const fake = faceEvent(faces.penny2, { agentId: "homeassistant", cameraId: "x" });
      await sub.client.publishAsync("argus/v1/agents/homeassistant/cameras/x/faces", JSON.stringify(fake), { qos: 1 });
      await sub.client.publishAsync("argus/v1/agents/site/cameras/gate/faces", JSON.stringify(fake), { qos: 1 });
      await new Promise((r) => setTimeout(r, 1000));
      expect(sub.messages.slice(n).filter((m) => m.topic === T.alerts)).toEqual([]);
      expect((await call("GET", "/api/v1/admin/stats")).body.sightings).toBe(before);

      // A clean stop: "offline", published by the server before it disconnects.
      const k = sub.messages.length;
      const stopping = server;
      server = undefined;
      await stopping.stop();
      await sub.next((m) => m.topic === T.status && m.payload === "offline", "offline at stop", 10_000, k);
    } finally {
      await server?.stop();
    }
  });

  it("the broker publishes the server's last will, 'offline', when its process is killed", async () => {
    const sub = await reader();
    await sub.subscribe(T.status);
    await sub.next((m) => m.topic === T.status, "the retained status");
    const n = sub.messages.length;
    const dataDir = tempDir();
    const port = await freePort();
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "server/src/main.ts", "--data", dataDir, "--host", "127.0.0.1", "--port", `${port}`],
      {
        cwd: ROOT,
        stdio: "ignore",
        env: {
          ...process.env,
          ARGUS_MQTT_URL: mosq.url(),
          ARGUS_MQTT_USERNAME: "server",
          ARGUS_MQTT_PASSWORD: USERS.server,
          ARGUS_LOG_LEVEL: "warn",
        },
      },
    );
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      await sub.next((m) => m.topic === T.status && m.payload === "online", "online", 60_000, n);
      const k = sub.messages.length;
      child.kill("SIGKILL");
      await exited;
      const will = await sub.next((m) => m.topic === T.status, "the last will", 10_000, k);
      expect(will.payload).toBe("offline");
      // Retained: whoever connects later reads "offline" too.
      const late = await reader();
      await late.subscribe(T.status);
      expect(await late.next((m) => m.topic === T.status, "the retained will")).toMatchObject({
        payload: "offline",
        retain: true,
      });
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
