/**
 * Ingestion through an external broker (a real Mosquitto): events are committed in batches, not one
 * per transaction; duplicates (an agent's resend, the broker's redelivery) are stored once; and what
 * the server acknowledged to the broker is committed, even when the server is killed (SIGKILL) in the
 * middle of a stream. The server's PUBACKs are watched on the wire: the server connects to Mosquitto
 * through a TCP relay that reads the packets passing by (MQTT 3.1.1 framing).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join, resolve } from "node:path";
import { EMBEDDING_DIM, encodeJpeg, type FaceEvent, topics } from "@argus/shared";
import Database from "better-sqlite3";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalize } from "../src/identify/vector.ts";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  faceEvent,
  freePort,
  Mosquitto,
  type RealFace,
  type RunningServer,
  tempDir,
  waitFor,
} from "./helpers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HAVE_MOSQUITTO = Mosquitto.available();
if (!HAVE_MOSQUITTO) console.log("mosquitto-ingest: SKIPPED (install Debian's mosquitto: see README)");

const USERS = { server: "server-secret", gate: "agent-secret" };

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
function unit(): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM).map(() => rnd());
  normalize(v);
  return v;
}

/** n events of n different (synthetic) people, one track each. */
async function events(n: number, agentId: string): Promise<FaceEvent[]> {
  const jpeg = await encodeJpeg({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).fill(120) });
  const quality = {
    score: 0.9,
    detScore: 0.99,
    sizePx: 140,
    interocularPx: 60,
    sharpness: 400,
    yaw: 0,
    pitch: 0,
    roll: 0,
    brightness: 120,
    contrast: 50,
  };
  return Array.from({ length: n }, (_, i) => {
    const face: RealFace = {
      file: "synthetic",
      embedding: unit(),
      jpeg,
      quality,
      box: [10, 10, 150, 150],
      frame: { width: 640, height: 480 },
    };
    return faceEvent(face, { agentId, cameraId: "gate", trackId: `t${i}` });
  });
}

function publish(c: MqttClient, e: FaceEvent): Promise<void> {
  return new Promise((res, rej) =>
    c.publish(topics().faces(e.agentId, e.cameraId), JSON.stringify(e), { qos: 1 }, (err) => (err ? rej(err) : res())),
  );
}

/** A metric's value (a histogram's `_count` / `_sum` by that name), from the server's registry. */
async function metricValue(server: RunningServer, name: string): Promise<number> {
  for (const m of await server.services.metrics.registry.getMetricsAsJSON()) {
    const v = m.values.find((x) => ((x as { metricName?: string }).metricName ?? m.name) === name);
    if (v) return v.value;
  }
  throw new Error(`no metric ${name}`);
}

/** The MQTT packets of one direction of a connection, as they pass (MQTT 3.1.1). */
function packetReader(
  onPacket: (type: number, flags: number, body: Buffer, raw: Buffer) => void,
): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (;;) {
        if (i >= buf.length) return;
        const b = buf[i++];
        len += (b & 127) * mult;
        mult *= 128;
        if (!(b & 128)) break;
      }
      if (buf.length < i + len) return;
      onPacket(buf[0] >> 4, buf[0] & 15, buf.subarray(i, i + len), buf.subarray(0, i + len));
      buf = buf.subarray(i + len);
    }
  };
}

/**
 * A TCP relay between the server and Mosquitto that records, per connection, the event id of each
 * QoS 1 PUBLISH the broker sends (by packet id) and each PUBACK the server sends back.
 */
class WatchingRelay {
  private server?: Server;
  readonly sockets = new Set<Socket>();
  port = 0;
  /** Event ids the server acknowledged to the broker (on the connection they came in on). */
  readonly acked = new Set<string>();
  /** Event ids delivered to the server, and how many of those came again with the DUP flag. */
  readonly delivered = new Set<string>();
  redelivered = 0;
  /** While set, the server's PUBACKs are recorded but not passed on: the broker sees none. */
  dropAcks = false;
  dropped = 0;
  /** PUBACKs for no message delivered on that connection (must stay empty). */
  readonly strayAcks: number[] = [];

  constructor(private readonly brokerPort: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => {
      const broker = tcpConnect(this.brokerPort, "127.0.0.1");
      this.sockets.add(client).add(broker);
      const inFlight = new Map<number, string>(); // packet id -> event id, this connection only
      const fromBroker = packetReader((type, flags, body) => {
        if (type !== 3 || ((flags >> 1) & 3) !== 1) return;
        const topicLen = body.readUInt16BE(0);
        const id = body.readUInt16BE(2 + topicLen);
        const payload = body.subarray(4 + topicLen).toString("utf8");
        const eventId = payload.startsWith("{") ? (JSON.parse(payload).eventId as string | undefined) : undefined;
        if (eventId === undefined) return; // not a face event
        if (flags & 8) this.redelivered++;
        this.delivered.add(eventId);
        inFlight.set(id, eventId);
      });
      // The server's packets are passed on one by one (a PUBACK may be held back).
      const fromServer = packetReader((type, _flags, body, raw) => {
        if (type === 4) {
          const id = body.readUInt16BE(0);
          const eventId = inFlight.get(id);
          if (eventId === undefined) this.strayAcks.push(id);
          else {
            inFlight.delete(id);
            this.acked.add(eventId);
          }
          if (this.dropAcks) {
            this.dropped++;
            return;
          }
        }
        broker.write(Buffer.from(raw));
      });
      client.on("data", (d) => fromServer(d));
      broker.on("data", (d) => {
        fromBroker(d);
        client.write(d);
      });
      const close = () => {
        client.destroy();
        broker.destroy();
        this.sockets.delete(client);
        this.sockets.delete(broker);
      };
      client.on("close", close).on("error", close);
      broker.on("close", close).on("error", close);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
  }

  url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe.skipIf(!HAVE_MOSQUITTO)("ingestion through Mosquitto", () => {
  const mosq = new Mosquitto();
  beforeAll(async () => {
    await mosq.start(USERS);
  });
  afterAll(async () => {
    await mosq.stop();
  });

  it("commits a burst in batches, stores each event once, and drops resent duplicates", async () => {
    const N = 300;
    const dataDir = tempDir();
    const server = await startServer({
      config: {
        dataDir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { url: mosq.url(), username: "server", password: USERS.server, clientId: `batch-${Date.now()}` },
        log: { level: "error" },
      },
    });
    const c = await agentClient(mosq.url(), "gate", USERS.gate);
    try {
      const evs = await events(N, "gate");
      // All at once (the broker acknowledges them itself); 20 resent at once, as a spool would.
      await Promise.all([...evs, ...evs.slice(0, 20)].map((e) => publish(c, e)));
      const { store } = server.services;
      await waitFor(async () => (await store.sightings.count()) >= N, `${N} sightings`, 60_000);
      await waitFor(async () => (await metricValue(server, "argus_events_duplicate_total")) >= 20, "20 duplicates");
      // 20 more resent after all were committed: known ids, dropped.
      await Promise.all(evs.slice(100, 120).map((e) => publish(c, e)));
      await waitFor(async () => (await metricValue(server, "argus_events_duplicate_total")) >= 40, "40 duplicates");
      await waitFor(async () => (await metricValue(server, "argus_mqtt_unacknowledged")) === 0, "every PUBACK sent");

      expect(await store.sightings.count()).toBe(N);
      const known = await store.sightings.knownEventIds(evs.map((e) => e.eventId));
      expect(known.size).toBe(N);
      expect(await metricValue(server, "argus_events_duplicate_total")).toBe(40);
      // Batched: N + 40 messages in far fewer commits (one message per commit before).
      const commits = await metricValue(server, "argus_ingest_batch_events_count");
      const messages = await metricValue(server, "argus_ingest_batch_events_sum");
      console.log(`mosquitto-ingest: ${messages} messages in ${commits} commits`);
      expect(messages).toBe(N + 40);
      expect(commits).toBeLessThan(N / 3);
    } finally {
      c.end(true);
      await server.stop();
    }
  });

  it("holds no more than mqtt.receiveWindow messages unacknowledged: a batch is at most that", async () => {
    const N = 120;
    const W = 10;
    const server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: {
          url: mosq.url(),
          username: "server",
          password: USERS.server,
          clientId: `window-${Date.now()}`,
          receiveWindow: W,
        },
        log: { level: "error" },
      },
    });
    const c = await agentClient(mosq.url(), "gate", USERS.gate);
    try {
      await Promise.all((await events(N, "gate")).map((e) => publish(c, e)));
      await waitFor(async () => (await server.services.store.sightings.count()) >= N, `${N} sightings`, 60_000);
      const hist = (await server.services.metrics.batchEvents.get()).values;
      const commits = hist.find((v) => v.metricName === "argus_ingest_batch_events_count")!.value;
      const withinW = hist.find((v) => v.metricName === "argus_ingest_batch_events_bucket" && v.labels.le === W)!.value;
      expect(withinW).toBe(commits); // every batch within the window
      expect(commits).toBeGreaterThanOrEqual(N / W);
      expect(commits).toBeLessThan(N); // and still batched
    } finally {
      c.end(true);
      await server.stop();
    }
  });

  it("a message committed but not acknowledged before the connection dropped is redelivered and stored once", async () => {
    const N = 50;
    const relay = new WatchingRelay(mosq.port);
    await relay.start();
    const server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { url: relay.url(), username: "server", password: USERS.server, clientId: `redeliver-${Date.now()}` },
        log: { level: "error" },
      },
    });
    const c = await agentClient(mosq.url(), "gate", USERS.gate);
    try {
      // The server commits and acknowledges; the relay keeps the PUBACKs from the broker.
      relay.dropAcks = true;
      const evs = await events(N, "gate");
      await Promise.all(evs.map((e) => publish(c, e)));
      const { store } = server.services;
      await waitFor(async () => (await store.sightings.count()) >= N, `${N} sightings`);
      await waitFor(async () => relay.dropped >= N, `${N} PUBACKs held back`);
      // The connection drops: the broker redelivers all N (DUP) to the reconnected server.
      relay.dropAcks = false;
      for (const s of relay.sockets) s.destroy();
      await waitFor(async () => relay.redelivered >= N, `${N} redeliveries`, 30_000);
      await waitFor(
        async () => (await metricValue(server, "argus_events_duplicate_total")) >= N,
        `${N} duplicates dropped`,
      );
      await waitFor(async () => (await metricValue(server, "argus_mqtt_unacknowledged")) === 0, "every PUBACK sent");
      expect(await store.sightings.count()).toBe(N);
      expect(await metricValue(server, "argus_events_duplicate_total")).toBe(N);
      expect(relay.strayAcks).toEqual([]);
    } finally {
      c.end(true);
      await server.stop();
      await relay.stop();
    }
  });

  it("what the server acknowledged to the broker is committed when it is killed mid-stream; the rest is redelivered, stored once", async () => {
    const N = 400;
    const dataDir = tempDir();
    const relay = new WatchingRelay(mosq.port);
    await relay.start();
    const httpPort = await freePort();
    const clientId = `killed-${Date.now()}`;
    const env = {
      ...process.env,
      ARGUS_MQTT_URL: relay.url(),
      ARGUS_MQTT_USERNAME: "server",
      ARGUS_MQTT_PASSWORD: USERS.server,
      ARGUS_MQTT_CLIENT_ID: clientId,
      ARGUS_LOG_LEVEL: "warn",
    };
    const args = ["--import", "tsx", "server/src/main.ts", "--data", dataDir, "--host", "127.0.0.1"];
    const child: ChildProcess = spawn(process.execPath, [...args, "--port", `${httpPort}`], {
      cwd: ROOT,
      stdio: "ignore",
      env,
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const c = await agentClient(mosq.url(), "gate", USERS.gate);
    let server: RunningServer | undefined;
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${httpPort}/health`)).status === 200,
        "the server",
        60_000,
      );
      await waitFor(async () => relay.sockets.size > 0, "the server's broker connection");
      const evs = await events(N, "gate");
      // An agent's pace: 20 events every 30 ms; the server is killed once it has acknowledged 60.
      const publishing = (async () => {
        for (let k = 0; k < N; k += 20) {
          await Promise.all(evs.slice(k, k + 20).map((e) => publish(c, e)));
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      await waitFor(async () => relay.acked.size >= 60, "60 PUBACKs from the server", 60_000);
      child.kill("SIGKILL");
      await exited;
      const acked = new Set(relay.acked);
      const delivered = relay.delivered.size;

      // Everything acknowledged is in the database the killed server left.
      const db = new Database(join(dataDir, "argus.db"));
      const stored = new Set(
        (db.prepare("SELECT event_id FROM events").all() as Array<{ event_id: string }>).map((r) => r.event_id),
      );
      db.close();
      const lost = [...acked].filter((id) => !stored.has(id));
      console.log(
        `mosquitto-ingest: killed after ${acked.size} PUBACKs; ${delivered} delivered, ${stored.size} committed`,
      );
      expect(lost).toEqual([]);
      expect(acked.size).toBeLessThan(N);

      // A new server with the same session: the broker redelivers what was not acknowledged.
      await publishing;
      server = await startServer({
        config: {
          dataDir,
          http: { port: 0, host: "127.0.0.1" },
          mqtt: { url: relay.url(), username: "server", password: USERS.server, clientId },
          log: { level: "error" },
        },
      });
      const { store } = server.services;
      await waitFor(async () => (await store.sightings.count()) >= N, `${N} sightings`, 90_000);
      await waitFor(async () => relay.acked.size >= N, "every event acknowledged", 30_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.sightings.count()).toBe(N);
      expect((await store.sightings.knownEventIds(evs.map((e) => e.eventId))).size).toBe(N);
      expect(relay.strayAcks).toEqual([]);
      console.log(
        `mosquitto-ingest: after the restart ${relay.redelivered} redelivered (DUP), ` +
          `${await metricValue(server, "argus_events_duplicate_total")} duplicates dropped`,
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      c.end(true);
      await server?.stop();
      await relay.stop();
    }
  });
});
