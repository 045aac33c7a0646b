/**
 * Ingestion throughput: face events per second from MQTT to stored and identified, on embedded
 * defaults (SQLite + embedded broker) and on MongoDB when MONGODB_URL is set.
 *
 * Several agents (in a child process, as agents are) publish at QoS 1 over real MQTT connections. An event counts when its PUBACK
 * arrives: the server acknowledges only after the event is identified and committed. Embeddings are
 * real (the shared pipeline on ../shared/data photos) plus a small jitter per shot, like new shots of
 * the same people; 10% are unseen faces (random vectors) that found new automatic persons.
 *
 *   pnpm exec tsx bench/server-ingest.ts [--events 20000] [--agents 4] [--window 256]
 */

import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startServer } from "../server/src/server.ts";
import { Mosquitto, tempDir } from "../server/test/helpers.ts";
import {
  decodeImage,
  EMBEDDING_DIM,
  embeddingToBase64,
  encodeJpeg,
  FACE_EVENT_SCHEMA,
  FACE_EVENT_VERSION,
  type FaceEvent,
  FacePipeline,
  featureModelId,
  median,
  quantile,
  topics,
} from "../shared/src/index.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    agents: { type: "string", default: "4" },
    window: { type: "string", default: "256" },
  },
});
const N = Number(values.events);
const AGENTS = Number(values.agents);
const WINDOW = Number(values.window);

const BBT = join(import.meta.dirname, "../../shared/data/faces/bbt");
const pipeline = await FacePipeline.create();
const base: Array<{ e: Float32Array; jpeg: string; q: FaceEvent["quality"] }> = [];
for (const f of readdirSync(BBT).sort()) {
  const img = await decodeImage(readFileSync(join(BBT, f)));
  const [face] = await pipeline.process(img);
  if (face)
    base.push({ e: face.embedding!, jpeg: (await encodeJpeg(face.aligned)).toString("base64"), q: face.quality });
}

function jitter(v: Float32Array, amount: number): Float32Array {
  const out = new Float32Array(EMBEDDING_DIM);
  let n = 0;
  for (let i = 0; i < EMBEDDING_DIM; i++) {
    out[i] = v[i] + (Math.random() - 0.5) * amount;
    n += out[i] * out[i];
  }
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < EMBEDDING_DIM; i++) out[i] *= inv;
  return out;
}
function randomUnit(): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  for (let i = 0; i < EMBEDDING_DIM; i++) v[i] = Math.random() - 0.5;
  return jitter(v, 0);
}

const model = featureModelId();
function event(agentId: string, cameraId: string, k: number): string {
  const b = base[k % base.length];
  const unseen = k % 10 === 9;
  const e: FaceEvent = {
    schema: FACE_EVENT_SCHEMA,
    version: FACE_EVENT_VERSION,
    eventId: randomUUID(),
    agentId,
    cameraId,
    trackId: `t${k}`,
    mode: "offline",
    seq: 0,
    capturedAt: new Date().toISOString(),
    streamTimeMs: k * 40,
    frame: { width: 1920, height: 1080 },
    box: [100, 100, 220, 250],
    quality: b.q,
    embedding: {
      model: model.id,
      modelSha256: model.sha256,
      dim: EMBEDDING_DIM,
      vector: embeddingToBase64(unseen ? randomUnit() : jitter(b.e, 0.02)),
    },
    faceJpeg: b.jpeg,
  };
  return JSON.stringify(e);
}

async function run(label: string, storeConfig: Record<string, unknown>, mosq?: Mosquitto) {
  const dataDir = tempDir("argus-bench-");
  const mqttConfig = mosq
    ? { url: mosq.url(), username: "server", password: mosq.users.server, clientId: `bench-server-${Date.now()}` }
    : { port: 0, host: "127.0.0.1" };
  const server = await startServer({
    config: {
      dataDir,
      http: { port: 0, host: "127.0.0.1" },
      mqtt: mqttConfig,
      log: { level: "warn" },
      store: storeConfig,
    },
  });
  const payloadBytes: number[] = [];
  const lat: number[] = [];
  const perAgent = Math.ceil(N / AGENTS);
  const jobs = [];
  for (let a = 0; a < AGENTS; a++) {
    const creds = await server.registerAgent(`bench-${a}`);
    // Pre-built payloads: the publishers measure the server, not JSON.stringify.
    const payloads = Array.from({ length: perAgent }, (_, k) =>
      event(`bench-${a}`, `cam-${a}-${k % 2}`, a * perAgent + k),
    );
    jobs.push({
      url: mosq ? mosq.url() : creds.mqtt.url,
      username: creds.mqtt.username,
      password: mosq ? mosq.users[`bench-${a}`] : creds.mqtt.password!,
      topics: payloads.map((_, k) => topics().faces(`bench-${a}`, `cam-${a}-${k % 2}`)),
      payloads,
    });
  }
  for (const p of jobs[0].payloads.slice(0, 100)) payloadBytes.push(p.length);
  const worker = fork(fileURLToPath(new URL("./server-ingest-publisher.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
  });
  worker.send({ agents: jobs, window: WINDOW });
  const done = await new Promise<{ lat: number[]; ms: number; startedAt: number }>((res, rej) => {
    worker.once("message", (m) => res(m as { lat: number[]; ms: number; startedAt: number }));
    worker.once("error", rej);
  });
  lat.push(...done.lat);
  const total = perAgent * AGENTS;
  // With an external broker a PUBACK only means the broker has it: wait until the server stored all.
  while (mosq && (await server.services.store.sightings.count()) < total) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.timeOrigin + performance.now() - done.startedAt) / 1000;
  const stored = await server.services.store.sightings.count();
  const m = server.services.metrics;
  const batches = (await m.batchSeconds.get()).values.find(
    (v) => v.metricName === "argus_ingest_batch_seconds_count",
  )?.value;
  console.log(
    `\n## ${label}\n` +
      `events ${total} from ${AGENTS} agents (window ${WINDOW} unacknowledged per agent), payload ~${(median(payloadBytes) / 1024).toFixed(1)} kB\n` +
      `throughput: **${(total / secs).toFixed(0)} events/s** (${secs.toFixed(1)} s, until all stored); ` +
      `PUBACK latency p50 ${median(lat).toFixed(1)} ms, p99 ${quantile(lat, 0.99).toFixed(1)} ms` +
      `${mosq ? " (the broker's, before the server stored it)" : " (= identified and committed)"}\n` +
      `stored sightings ${stored}; persons ${server.services.gallery.personCount}; index faces ${server.services.gallery.faceCount}; ` +
      `commits ${batches} (mean ${(total / Number(batches)).toFixed(1)} events per batch)`,
  );
  worker.kill();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`# server-ingest: MQTT -> identified + stored (node ${process.version}, ${base.length} real base faces)`);
await run("embedded defaults (SQLite, embedded aedes broker)", {});
if (Mosquitto.available()) {
  const users = Object.fromEntries(Array.from({ length: AGENTS }, (_, a) => [`bench-${a}`, `pw-${a}`]));
  const mosq = new Mosquitto();
  await mosq.start({ server: "bench-server-pw", ...users });
  await run("SQLite, external Mosquitto broker (one persistent-session consumer)", {}, mosq);
  await mosq.stop();
} else console.log("\n## external Mosquitto: SKIPPED (mosquitto not installed)");
if (process.env.MONGODB_URL)
  await run("MongoDB", { mongodbUrl: process.env.MONGODB_URL, mongodbDb: `argus_bench_${Date.now()}` });
else console.log("\n## MongoDB: SKIPPED (set MONGODB_URL to measure it)");
