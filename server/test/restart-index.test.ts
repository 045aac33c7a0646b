/**
 * A server killed with SIGKILL in the middle of a stream of face events comes back with a complete
 * index (snapshot + catch-up from the database: every face in the store is in a graph, none extra),
 * and while the index loads it serves /health ("starting", 503) and nothing else (503 STARTING), with
 * MQTT not yet listening. The load is held by the test hook of startServer (no timing assumptions).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { EMBEDDING_DIM, encodeJpeg } from "@argus/shared";
import { HealthSchema } from "@argus/shared/api/index";
import { describe, expect, it } from "vitest";
import type { LoadProgress } from "../src/identify/gallery.ts";
import { normalize } from "../src/identify/vector.ts";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  apiClient,
  faceEvent,
  freePort,
  publishEvent,
  type RealFace,
  type RunningServer,
  tempDir,
  waitFor,
} from "./helpers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const N = 300;

let seed = 99;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
function unit(): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM).map(() => rnd());
  normalize(v);
  return v;
}
/** Cosine ~0.8 with v: the same person again (matched, and a candidate representative). */
function again(v: Float32Array): Float32Array {
  const n = unit();
  const out = v.map((x, i) => 0.8 * x + 0.6 * n[i]);
  normalize(out);
  return out;
}

/** N events: mostly people never seen (a new person and face each), every fifth one seen before. */
async function stream(agentId: string): Promise<ReturnType<typeof faceEvent>[]> {
  const jpeg = await encodeJpeg({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).fill(120) });
  const people: Float32Array[] = [];
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
  return Array.from({ length: N }, (_, i) => {
    const seen = i % 5 === 4 && people.length > 0;
    const embedding = seen ? again(people[(i * 7) % people.length]) : unit();
    if (!seen) people.push(embedding);
    const face: RealFace = {
      file: "synthetic",
      embedding,
      jpeg,
      quality,
      box: [10, 10, 150, 150],
      frame: { width: 640, height: 480 },
    };
    return faceEvent(face, { agentId, cameraId: "gate", trackId: `t${i}` });
  });
}

function launch(dataDir: string, httpPort: number, mqttPort: number): ChildProcess {
  const cfg = join(dataDir, "test-config.json");
  // Snapshots every 50 changes, so the kill comes after some snapshot and (most likely) before the next.
  writeFileSync(cfg, JSON.stringify({ identify: { snapshotEveryChanges: 50 }, log: { level: "warn" } }));
  const args = ["--data", dataDir, "--host", "127.0.0.1", "--port", `${httpPort}`, "--mqtt-port", `${mqttPort}`];
  return spawn(process.execPath, ["--import", "tsx", "server/src/main.ts", ...args, "--config", cfg], {
    cwd: ROOT,
    stdio: "ignore",
  });
}

const mqttListening = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });

/** The index agrees with the store: the same faces, in the scope the gallery assigns, each found by its own vector. */
async function expectIndexComplete(server: RunningServer): Promise<number> {
  const { store, gallery } = server.services;
  const faces = await store.persons.allFaces();
  const indexed = gallery.indexedFaces();
  expect([...indexed.keys()].sort((a, b) => a - b)).toEqual(faces.map((f) => f.id));
  const vectors = await store.persons.faceEmbeddings(faces.map((f) => f.id));
  const ids = new Set(faces.map((f) => f.id));
  for (const f of faces) {
    const hits = gallery.search(vectors.get(f.id)!, 10);
    const self = hits.find((h) => h.label === f.id);
    expect(self?.similarity, `face ${f.id} searchable`).toBeGreaterThan(0.999);
    for (const h of hits) expect(ids.has(h.label), `label ${h.label} in the store`).toBe(true);
  }
  return faces.length;
}

describe("restart after kill -9", () => {
  it("comes back with the index complete; /health says starting (503) while it loads, ok after", async () => {
    const dataDir = tempDir("argus-restart-index-");
    const httpPort = await freePort();
    const mqttPort = await freePort();
    const child = launch(dataDir, httpPort, mqttPort);
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    let server: RunningServer | undefined;
    const url = `http://127.0.0.1:${httpPort}`;
    try {
      await waitFor(async () => (await fetch(`${url}/health`)).status === 200, "the first server", 60_000);
      const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
      const creds = (await apiClient({ url }, token)("POST", "/api/v1/agents", { id: "gate-agent" })).body;
      const client = await agentClient(creds.mqtt.url, "gate-agent", creds.mqtt.password);
      const events = await stream("gate-agent");
      let acked = 0;
      const acks: Promise<void>[] = [];
      const send = (e: (typeof events)[number], onAck?: () => void) =>
        acks.push(
          publishEvent(client, e).then(() => {
            acked++;
            onAck?.();
          }),
        );
      // The first half, acknowledged (= committed), and a snapshot of it (every 50 changes) ...
      for (const e of events.slice(0, N / 2)) send(e);
      await Promise.all(acks);
      await waitFor(async () => existsSync(join(dataDir, "index/manifest.json")), "a snapshot");
      // ... then the second half at an agent's pace, killed at its 20th acknowledgement.
      const killAt = N / 2 + 20;
      const kill = () => acked === killAt && child.kill("SIGKILL");
      const publishing = (async () => {
        for (let k = N / 2; k < N; k += 10) {
          for (const e of events.slice(k, k + 10)) send(e, kill);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await exited;
      expect(acked).toBeLessThan(N); // killed mid-stream

      // Restart, holding the load at its first two phases to look at the server meanwhile.
      const held: Array<{ p: LoadProgress; release: () => void }> = [];
      let arrived: (() => void) | undefined;
      const holdAt = new Set(["snapshot", "catch-up"]);
      const starting = startServer({
        config: {
          dataDir,
          http: { port: httpPort, host: "127.0.0.1" },
          mqtt: { port: mqttPort, host: "127.0.0.1" },
          identify: { snapshotEveryChanges: 50 },
          log: { level: "warn" },
        },
        onIndexProgress: (p) => {
          if (!holdAt.delete(p.phase)) return;
          return new Promise<void>((release) => {
            held.push({ p, release });
            arrived?.();
          });
        },
      });
      const nextHold = () =>
        held.length ? Promise.resolve() : new Promise<void>((r) => (arrived = r)).then(() => (arrived = undefined));

      await nextHold();
      const api = apiClient({ url }, token);
      let h = await api("GET", "/health");
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ status: "starting", index: { loading: { phase: "snapshot" } } });
      HealthSchema.parse(h.body); // the contract knows "starting"
      const other = await api("GET", "/api/v1/persons");
      expect(other.status).toBe(503);
      expect(other.body.error.code).toBe("STARTING");
      expect(Number(other.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await fetch(`${url}/metrics`)).status).toBe(503);
      expect(await mqttListening(mqttPort)).toBe(false); // ingestion waits for the index
      held.shift()!.release();

      await nextHold();
      h = await api("GET", "/health");
      expect(h.status).toBe(503);
      expect(h.body.status).toBe("starting");
      expect(h.body.index.loading).toMatchObject({ phase: "catch-up", done: 0 });
      HealthSchema.parse(h.body);
      const missing = h.body.index.loading.total;
      expect(await mqttListening(mqttPort)).toBe(false);
      held.shift()!.release();

      server = await starting;
      h = await api("GET", "/health");
      expect(h.status).toBe(200);
      expect(h.body.status).toBe("ok");
      expect(h.body.index.loading).toBeUndefined();
      expect(await mqttListening(mqttPort)).toBe(true);
      const load = server.services.gallery.lastLoad!;
      console.log(`restart-index: killed after ${acked} of ${N} acks; load ${JSON.stringify(load)}`);
      expect(load.added).toBe(missing);
      expect(load.fromSnapshot).toBeGreaterThan(0); // the snapshot written before the kill was used
      const faces = await expectIndexComplete(server);
      expect(load.fromSnapshot + load.added).toBe(faces);

      // The agent resends what the killed server never acknowledged; the index keeps up.
      await publishing;
      await Promise.all(acks);
      expect(acked).toBe(N);
      expect(await expectIndexComplete(server)).toBeGreaterThanOrEqual(faces);
      client.end(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
