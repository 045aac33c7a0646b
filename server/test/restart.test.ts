/**
 * At-least-once delivery end to end: broker restarts and server restarts in the middle of a stream of
 * face events lose nothing and duplicate nothing (every event becomes exactly one sighting), and a
 * restarted server still recognizes the faces it had seen (index snapshot + catch-up from the store).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { topics } from "@argus/shared";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  apiClient,
  bbt,
  DATA_DIR,
  faceEvent,
  freePort,
  HAVE_DATA,
  type Json,
  Mosquitto,
  NO_DATA_MESSAGE,
  type RealFace,
  type RunningServer,
  realFaces,
  tempDir,
  waitFor,
} from "./helpers.ts";

if (!HAVE_DATA) console.log(`restart: ${NO_DATA_MESSAGE}`);
if (!Mosquitto.available())
  console.log("restart: Mosquitto tests SKIPPED (/usr/sbin/mosquitto and mosquitto_passwd are needed)");

const N = 240;
// Recent enough that retention (30 days by default) keeps it.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;

/** Event i uses face i % faces.length and is captured at T0 + i seconds (its identity in the checks). */
function stream(faces: RealFace[], agentId: string, cameraId: string) {
  return Array.from({ length: N }, (_, i) =>
    faceEvent(faces[i % faces.length], { agentId, cameraId, trackId: `t${i}`, capturedAt: new Date(T0 + i * 1000) }),
  );
}

/** Publishes in paced chunks without waiting for acks; `at(k)` runs once after chunk k is handed over. */
async function publishPaced(c: MqttClient, events: ReturnType<typeof stream>, at: Record<number, () => Promise<void>>) {
  const acks: Promise<void>[] = [];
  const pending: Promise<void>[] = [];
  for (let k = 0; k * 10 < events.length; k++) {
    for (const e of events.slice(k * 10, k * 10 + 10)) {
      acks.push(
        new Promise((res, rej) =>
          c.publish(topics().faces(e.agentId, e.cameraId), JSON.stringify(e), { qos: 1 }, (err) =>
            err ? rej(err) : res(),
          ),
        ),
      );
    }
    if (at[k]) pending.push(at[k]());
    await new Promise((r) => setTimeout(r, 25));
  }
  await Promise.all(pending);
  await Promise.all(acks);
}

async function allSightings(server: RunningServer): Promise<Json[]> {
  const api = apiClient(server, server.adminToken);
  const out: Json[] = [];
  let cursor = "";
  for (;;) {
    const r = await api("GET", `/api/v1/sightings?limit=500${cursor ? `&cursor=${cursor}` : ""}`);
    out.push(...r.body.items);
    if (!r.body.nextCursor) return out;
    cursor = r.body.nextCursor;
  }
}

/** Exactly one sighting per event, and every copy of the same photo linked to one person. */
function checkExactlyOnce(sightings: Json[], faces: RealFace[]) {
  const times = sightings.map((s) => Date.parse(s.capturedAt)).sort((a, b) => a - b);
  expect(times).toEqual(Array.from({ length: N }, (_, i) => T0 + i * 1000));
  const personOfFace = new Map<number, Set<string>>();
  for (const s of sightings) {
    const i = (Date.parse(s.capturedAt) - T0) / 1000;
    const f = i % faces.length;
    if (!personOfFace.has(f)) personOfFace.set(f, new Set());
    personOfFace.get(f)!.add(s.personId);
  }
  for (const [, ids] of personOfFace) expect([...ids]).toHaveLength(1);
}

describe.skipIf(!HAVE_DATA)("restarts lose nothing and duplicate nothing", () => {
  let faces: RealFace[];
  beforeAll(async () => {
    const files = readdirSync(join(DATA_DIR, "faces/bbt"))
      .filter((f) => f.endsWith("1.png") || f.endsWith("2.png"))
      .map((f) => bbt(f.replace(/\.png$/, "")));
    faces = await realFaces(files);
  });

  it("embedded broker: the server restarts in the middle of the stream", async () => {
    const dataDir = tempDir();
    const mqttPort = await freePort();
    const config = {
      dataDir,
      http: { port: 0, host: "127.0.0.1" },
      mqtt: { port: mqttPort, host: "127.0.0.1" },
      log: { level: "error" },
    };
    let server = await startServer({ config });
    const creds = await server.registerAgent("door-agent");
    const c = await agentClient(creds.mqtt.url, "door-agent", creds.mqtt.password!);
    let reconnects = 0;
    c.on("reconnect", () => reconnects++);
    try {
      await publishPaced(c, stream(faces, "door-agent", "door"), {
        8: async () => {
          await server.stop(); // in-flight events stay unacknowledged; the agent resends them
          await new Promise((r) => setTimeout(r, 300));
          server = await startServer({ config });
        },
      });
      const sightings = await waitFor(async () => {
        const s = await allSightings(server);
        return s.length >= N && s;
      }, `${N} sightings`);
      checkExactlyOnce(sightings, faces);
      expect(reconnects).toBeGreaterThan(0); // the agent really lost the broker mid-stream
      // The index came back: the second server linked repeats to persons the first one created.
      const persons = (await apiClient(server, server.adminToken)("GET", "/api/v1/persons?kind=auto&limit=500")).body
        .items;
      expect(persons.length).toBeLessThanOrEqual(faces.length);
    } finally {
      c.end(true);
      await server.stop();
    }
  });

  describe.skipIf(!Mosquitto.available())("external broker (Mosquitto with passwords and an ACL)", () => {
    const mosq = new Mosquitto();
    const pw = {
      server: "server-secret-1",
      "cam-agent": "agent-secret-1",
      "other-agent": "agent-secret-2",
      monitor: "mon-secret-1",
    };
    beforeAll(async () => {
      await mosq.start(pw);
    });
    afterAll(async () => {
      await mosq.stop();
    });

    it("the broker and then the server restart in the middle of the stream", async () => {
      const dataDir = tempDir();
      const config = {
        dataDir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { url: mosq.url(), username: "server", password: pw.server, clientId: `argus-server-${Date.now()}` },
        log: { level: "error" },
      };
      let server = await startServer({ config });
      const api = () => apiClient(server, server.adminToken);
      // A foe, for the MQTT alert topic.
      const foe = await api()("POST", "/api/v1/persons", { name: "Watch", list: "foe" });
      const fd2 = new FormData();
      fd2.append("image", new Blob([readFileSync(faces[0].file)]), "x.png");
      expect((await api()("POST", `/api/v1/persons/${foe.body.id}/faces`, fd2)).status).toBe(201);

      const monitor = mqtt.connect(mosq.url(), { username: "monitor", password: pw.monitor, reconnectPeriod: 200 });
      const alerts: Json[] = [];
      monitor.on("message", (_t, m) => alerts.push(JSON.parse(m.toString())));
      await new Promise<void>((res) =>
        monitor.once("connect", () => monitor.subscribe(topics().alerts(), { qos: 1 }, () => res())),
      );

      const c = await agentClient(mosq.url(), "cam-agent", pw["cam-agent"]);
      let reconnects = 0;
      c.on("reconnect", () => reconnects++);
      try {
        await publishPaced(c, stream(faces, "cam-agent", "lobby"), {
          6: () => mosq.restart(300),
          16: async () => {
            await server.stop();
            await new Promise((r) => setTimeout(r, 300));
            server = await startServer({ config });
          },
        });
        // Mosquitto acknowledged the agent; the server drains its persistent session.
        const sightings = await waitFor(
          async () => {
            const s = await allSightings(server);
            return s.length >= N && s;
          },
          `${N} sightings`,
          60_000,
        );
        await new Promise((r) => setTimeout(r, 500));
        const again = await allSightings(server);
        expect(again.length).toBe(N);
        checkExactlyOnce(sightings, faces);
        expect(reconnects).toBeGreaterThan(0);
        const watch = sightings.filter((s) => s.personId === foe.body.id);
        // Every event of the enrolled photo links to the foe (other photos of the same person may too).
        const ofFace0 = sightings.filter((s) => ((Date.parse(s.capturedAt) - T0) / 1000) % faces.length === 0);
        expect(ofFace0.every((s) => s.personId === foe.body.id)).toBe(true);
        expect(watch.length).toBeGreaterThanOrEqual(N / faces.length);
        expect(watch.every((s) => s.verdict === "foe")).toBe(true);
        await waitFor(async () => alerts.length > 0, "an alert on the MQTT alert topic");
        expect(alerts[0]).toMatchObject({ type: "foe", personId: foe.body.id, person: { name: "Watch" } });

        // The ACL: an agent cannot publish under another agent's id (Mosquitto drops it).
        const spoof = faceEvent(faces[1], { agentId: "other-agent", cameraId: "x", capturedAt: new Date(T0 - 5000) });
        await new Promise<void>((r) =>
          c.publish(topics().faces("other-agent", "x"), JSON.stringify(spoof), { qos: 1 }, () => r()),
        );
        await new Promise((r) => setTimeout(r, 500));
        expect((await allSightings(server)).length).toBe(N);
      } finally {
        c.end(true);
        monitor.end(true);
        await server.stop();
      }
    });
  });
});
