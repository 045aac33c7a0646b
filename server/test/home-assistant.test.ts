/**
 * Home Assistant MQTT discovery on the embedded broker, read by a real subscriber logged in with an
 * integration account (scope `homeassistant`), as Home Assistant would: the retained discovery
 * configs (per camera, per listed person), the states on changes (last person seen, foe present on
 * and then off after the window, last seen at camera), a renamed camera, a person taken off the lists,
 * and everything again from the store after a restart.
 */
import { HaLastPersonStateSchema, HaLastSeenStateSchema } from "@argus/shared/api/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectId } from "../src/notify/homeAssistant.ts";
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
} from "./helpers.ts";
import { type Received, Subscriber } from "./subscriber.ts";

if (!HAVE_DATA) console.log(`home-assistant: ${NO_DATA_MESSAGE}`);

const WINDOW_S = 2;
const D = "homeassistant";
const cam = {
  lastPersonConfig: `${D}/sensor/argus/camera_site__gate_last_person/config`,
  foeConfig: `${D}/binary_sensor/argus/camera_site__gate_foe_present/config`,
  lastPerson: "argus/v1/ha/cameras/site/gate/last_person",
  foe: "argus/v1/ha/cameras/site/gate/foe_present",
};
const person = (id: string) => ({
  config: `${D}/sensor/argus/person_${objectId(id)}_last_seen/config`,
  state: `argus/v1/ha/persons/${id}/last_seen`,
});

describe.skipIf(!HAVE_DATA)("Home Assistant discovery", () => {
  const dataDir = tempDir();
  let server: RunningServer;
  let call: ReturnType<typeof apiClient>;
  let faces: Record<string, RealFace>;
  let ids: Record<string, string>;
  let ha: Json;
  let agentPassword: string;
  const open: Subscriber[] = [];

  const start = async (foeWindowSeconds = WINDOW_S) => {
    server = await startServer({
      config: {
        dataDir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        alerts: { cooldownSeconds: 0 },
        integrations: { homeAssistant: { enabled: true, foeWindowSeconds } },
        log: { level: "error" },
      },
    });
    call = apiClient(server, server.adminToken);
  };
  /** Home Assistant's connection: discovery, states and availability. */
  const homeAssistant = async () => {
    const s = await Subscriber.connect(server.mqttUrl, {
      username: "ha",
      password: ha.mqtt.password,
      clientId: `argus-integration-ha:${open.length}`,
    });
    open.push(s);
    expect(await s.subscribe(`${D}/#`, "argus/v1/ha/#", "argus/v1/server/status")).toEqual([1, 1, 1]);
    return s;
  };
  const json = (m: Received) => JSON.parse(m.payload);
  const send = async (name: string) => {
    const agent = await agentClient(server.mqttUrl, "site", agentPassword);
    await publishEvent(agent, faceEvent(faces[name], { agentId: "site", cameraId: "gate" }));
    await agent.endAsync();
  };

  beforeAll(async () => {
    await start();
    const names = ["penny2", "sheldon1", "amy1"];
    faces = Object.fromEntries((await realFaces(names.map(bbt))).map((f, i) => [names[i], f]));
    ha = (await call("POST", "/api/v1/integrations", { name: "ha", scopes: ["homeassistant"] })).body;
    expect(ha.integration.topics.sort()).toEqual(["argus/v1/ha/#", "argus/v1/server/status", `${D}/#`]);
    agentPassword = (await call("POST", "/api/v1/agents", { id: "site" })).body.mqtt.password;
  });

  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    await server?.stop();
  });

  it("publishes retained configs per listed person and camera, and states when they change", async () => {
    const sub = await homeAssistant();
    ids = {};
    for (const [name, list, photo] of [
      ["Penny", "foe", "penny1"],
      ["Sheldon", "friend", "sheldon2"],
      ["Amy", null, "amy2"],
    ] as const) {
      ids[name] = (await call("POST", "/api/v1/persons", { name, list })).body.id;
      await call("POST", `/api/v1/persons/${ids[name]}/faces`, imageForm({ image: bbt(photo) }));
    }
    const penny = person(ids.Penny);
    const cfg = json(await sub.next((m) => m.topic === penny.config, "Penny's sensor config"));
    expect(cfg).toMatchObject({
      name: "Last seen at camera",
      unique_id: `argus_person_${objectId(ids.Penny)}_last_seen`,
      state_topic: penny.state,
      json_attributes_topic: penny.state,
      value_template: "{{ value_json.camera }}",
      availability_topic: "argus/v1/server/status",
      payload_available: "online",
      payload_not_available: "offline",
      device: { name: "Penny", model: "Foe list", identifiers: [`argus_person_${objectId(ids.Penny)}`] },
    });
    await sub.next((m) => m.topic === person(ids.Sheldon).config, "Sheldon's sensor config");
    expect(sub.on(person(ids.Amy).config)).toEqual([]); // on no list: no entity

    // A foe at the gate: the camera's entities appear, then its states.
    const t0 = Date.now();
    await send("penny2");
    const lp = json(await sub.next((m) => m.topic === cam.lastPersonConfig, "the camera's sensor config"));
    expect(lp).toMatchObject({
      name: "Last person seen",
      state_topic: cam.lastPerson,
      value_template: "{{ value_json.name }}",
      device: { name: "site/gate", manufacturer: "Argus" },
    });
    const bs = json(await sub.next((m) => m.topic === cam.foeConfig, "the camera's binary sensor config"));
    expect(bs).toMatchObject({ name: "Foe present", state_topic: cam.foe, payload_on: "ON", payload_off: "OFF" });
    const state = json(await sub.next((m) => m.topic === cam.lastPerson, "the last person"));
    expect(HaLastPersonStateSchema.safeParse(state).success).toBe(true);
    expect(state).toMatchObject({ name: "Penny", personId: ids.Penny, list: "foe" });
    const seen = json(await sub.next((m) => m.topic === penny.state, "Penny's last seen"));
    expect(HaLastSeenStateSchema.safeParse(seen).success).toBe(true);
    expect(seen).toMatchObject({
      camera: "site/gate",
      agentId: "site",
      cameraId: "gate",
      sightingId: state.sightingId,
    });

    // Foe present: ON, then OFF once the window has passed without another foe.
    const on = await sub.next((m) => m.topic === cam.foe && m.payload === "ON", "foe present ON");
    const off = await sub.next((m) => m.topic === cam.foe && m.payload === "OFF", "foe present OFF", 10_000);
    expect(sub.on(cam.foe).map((m) => m.payload)).toEqual(["ON", "OFF"]); // no OFF first
    expect(off.at - on.at).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 1000);
    expect(off.at - t0).toBeLessThan(WINDOW_S * 1000 + 5000);
    // Live deliveries (the retained copies: below); only the availability was there before.
    for (const m of sub.messages) expect(m.retain, m.topic).toBe(m.topic === "argus/v1/server/status");

    // A friend next: the last person changes, no foe.
    const n = sub.messages.length;
    await send("sheldon1");
    const next = json(await sub.next((m) => m.topic === cam.lastPerson, "Sheldon last", 15_000, n));
    expect(next).toMatchObject({ name: "Sheldon", list: "friend" });
    await sub.next((m) => m.topic === person(ids.Sheldon).state, "Sheldon's last seen", 15_000, n);
    expect(sub.messages.slice(n).some((m) => m.topic === cam.foe)).toBe(false); // unchanged: not sent
  });

  it("follows a camera's new name and a person taken off the lists", async () => {
    const sub = await homeAssistant();
    const n = sub.messages.length;
    expect((await call("PATCH", "/api/v1/cameras/site/gate", { name: "Gate" })).status).toBe(200);
    const renamed = await sub.next(
      (m) => m.topic === cam.lastPersonConfig && json(m).device.name === "Gate",
      "the camera's config with its new name",
      15_000,
      n,
    );
    expect(renamed.retain).toBe(false);
    await call("PATCH", `/api/v1/persons/${ids.Sheldon}`, { list: null });
    const removed = await sub.next(
      (m) => m.topic === person(ids.Sheldon).config && m.payload === "",
      "Sheldon's entity removed",
      15_000,
      n,
    );
    expect(removed.payload).toBe("");
  });

  it("a late subscriber gets every config and state retained", async () => {
    const sub = await homeAssistant();
    await sub.next((m) => m.topic === cam.foe, "the retained states");
    await new Promise((r) => setTimeout(r, 300));
    const retained = new Map(sub.messages.map((m) => [m.topic, m]));
    for (const m of retained.values()) expect(m.retain, m.topic).toBe(true);
    expect([...retained.keys()].sort()).toEqual(
      [
        cam.lastPersonConfig,
        cam.foeConfig,
        cam.lastPerson,
        cam.foe,
        person(ids.Penny).config,
        person(ids.Penny).state,
        "argus/v1/server/status",
      ].sort(),
    );
    expect(json(retained.get(cam.lastPersonConfig)!).device.name).toBe("Gate");
    expect(json(retained.get(cam.lastPerson)!).name).toBe("Sheldon");
    expect(retained.get(cam.foe)!.payload).toBe("OFF");
    expect(json(retained.get(person(ids.Penny).state)!).camera).toBe("Gate");
  });

  it("after a restart, publishes it all again from the store (a foe seen within the window: ON)", async () => {
    await send("penny2");
    await server.stop();
    await start(600); // a long window: the foe seen before the stop is still "present"
    const sub = await homeAssistant();
    await sub.next((m) => m.topic === person(ids.Penny).state, "Penny's last seen from the store");
    await sub.next((m) => m.topic === cam.lastPerson, "the camera's last person from the store");
    const retained = new Map(sub.messages.map((m) => [m.topic, m]));
    expect(json(retained.get(cam.lastPerson)!)).toMatchObject({ name: "Penny", list: "foe" });
    expect(retained.get(cam.foe)?.payload).toBe("ON"); // seen less than the window ago
    expect(json(retained.get(cam.foeConfig)!).device.name).toBe("Gate");
    expect(retained.has(person(ids.Sheldon).config)).toBe(false);
  });
});
