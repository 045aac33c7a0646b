/**
 * Ingestion throughput: face events per second from MQTT to stored and identified, on the embedded
 * broker and through an external Mosquitto side by side in one run (SQLite), and on MongoDB when
 * MONGODB_URL is set.
 *
 * Several agents (in a child process, as agents are) publish at QoS 1 over real MQTT connections. On
 * the embedded broker an event counts when its PUBACK arrives: the server acknowledges only after the
 * event is identified and committed. Through Mosquitto the PUBACK is the broker's: the run ends when
 * the server has stored every event (and acknowledged it to the broker after the commit). Embeddings
 * are real (the shared pipeline on ../shared/data photos) plus a small jitter per shot, like new shots
 * of the same people; 10% are unseen faces (random vectors).
 *
 * Each round runs both set-ups (alternating which goes first, against drift in the machine's load)
 * with a fresh server and a fresh Mosquitto; it prints each round, then medians, the Mosquitto /
 * embedded ratio of each round and its median, events per commit and the load average.
 *
 *   pnpm exec tsx bench/server-ingest.ts [--events 10000] [--agents 4] [--window 256] [--runs 3]
 *                                        [--inflight 100] [--receive-window 256] [--only embedded|mosquitto]
 *
 * --inflight: Mosquitto's max_inflight_messages (its default is 20); --receive-window: the server's
 * mqtt.receiveWindow.
 */

import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
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
    events: { type: "string", default: "10000" },
    agents: { type: "string", default: "4" },
    window: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    inflight: { type: "string", default: "100" },
    "receive-window": { type: "string", default: "256" },
    only: { type: "string" },
  },
});
const N = Number(values.events);
const AGENTS = Number(values.agents);
const WINDOW = Number(values.window);
const RUNS = Number(values.runs);
const INFLIGHT = Number(values.inflight);
const RECEIVE_WINDOW = Number(values["receive-window"]);

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

interface Result {
  eventsPerSec: number;
  /** CPU time per event (ms): the server's process (event loop and threads), the broker, the agents. */
  serverCpu: number;
  brokerCpu: number;
  agentsCpu: number;
  secs: number;
  commits: number;
  perCommit: number;
  p50: number;
  p99: number;
  load: number;
}

const load1 = () => loadavg()[0];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU time (ms) of another process so far, from /proc (Linux). */
function procCpuMs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return Number.NaN;
  }
}

async function run(storeConfig: Record<string, unknown>, mosq?: Mosquitto): Promise<Result> {
  const dataDir = tempDir("argus-bench-");
  const mqttConfig = mosq
    ? {
        url: mosq.url(),
        username: "server",
        password: mosq.users.server,
        clientId: `bench-server-${Date.now()}`,
        receiveWindow: RECEIVE_WINDOW,
      }
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
  const loadBefore = load1();
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
  payloadBytes.push(...jobs[0].payloads.slice(0, 100).map((p) => p.length));
  const worker = fork(fileURLToPath(new URL("./server-ingest-publisher.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
  });
  const cpu0 = cpuMs();
  const broker0 = mosq ? procCpuMs(mosq.proc?.pid) : 0;
  worker.send({ agents: jobs, window: WINDOW });
  type Done = { lat: number[]; ms: number; startedAt: number; cpuMs: number };
  const done = await new Promise<Done>((res, rej) => {
    worker.once("message", (m) => res(m as Done));
    worker.once("error", rej);
  });
  lat.push(...done.lat);
  const total = perAgent * AGENTS;
  // With an external broker a PUBACK only means the broker has it: wait until the server stored all.
  // (Polled on the in-memory counter: a SQL COUNT every 20 ms would cost the server's event loop.)
  const storedSoFar = async () =>
    (await server.services.metrics.eventsStored.get()).values.reduce((a, v) => a + v.value, 0);
  while (mosq && (await storedSoFar()) < total) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.timeOrigin + performance.now() - done.startedAt) / 1000;
  const serverCpu = (cpuMs() - cpu0) / total;
  const brokerCpu = mosq ? (procCpuMs(mosq.proc?.pid) - broker0) / total : 0;
  const stored = await server.services.store.sightings.count();
  if (stored !== total) throw new Error(`stored ${stored} sightings of ${total} events`);
  const hist = (await server.services.metrics.batchEvents.get()).values;
  const commits = Number(hist.find((v) => v.metricName === "argus_ingest_batch_events_count")?.value);
  const batched = Number(hist.find((v) => v.metricName === "argus_ingest_batch_events_sum")?.value);
  worker.kill();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    eventsPerSec: total / secs,
    serverCpu,
    brokerCpu,
    agentsCpu: done.cpuMs / total,
    secs,
    commits,
    perCommit: batched / commits,
    p50: median(lat),
    p99: quantile(lat, 0.99),
    load: (loadBefore + load1()) / 2,
  };
}

const payloadBytes: number[] = [];
const users = Object.fromEntries(Array.from({ length: AGENTS }, (_, a) => [`bench-${a}`, `pw-${a}`]));
async function viaMosquitto(): Promise<Result> {
  const mosq = new Mosquitto();
  await mosq.start({ server: "bench-server-pw", ...users }, [`max_inflight_messages ${INFLIGHT}`]);
  try {
    return await run({}, mosq);
  } finally {
    await mosq.stop();
    rmSync(mosq.dir, { recursive: true, force: true });
  }
}

const fmt = (r: Result) =>
  `${r.eventsPerSec.toFixed(0).padStart(5)} events/s (${r.secs.toFixed(1)} s), ${String(r.commits).padStart(5)} commits, ` +
  `${r.perCommit.toFixed(1).padStart(5)} events/commit, PUBACK p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms, load ${r.load.toFixed(1)}; ` +
  `CPU ms/event: server ${r.serverCpu.toFixed(2)}, broker ${r.brokerCpu.toFixed(2)}, agents ${r.agentsCpu.toFixed(2)}`;
/**
 * What the CPU time allows on 2 free cores: the server's event loop is one thread (its CPU time per
 * event bounds it), and all three processes share the 2 cores.
 */
const uncontended = (r: Result) => Math.min(1000 / r.serverCpu, 2000 / (r.serverCpu + r.brokerCpu + r.agentsCpu));

console.log(
  `# server-ingest: MQTT -> identified + stored (node ${process.version}, ${base.length} real base faces)\n` +
    `${N} events per set-up and round from ${AGENTS} agents (window ${WINDOW} unacknowledged per agent), ${RUNS} rounds; ` +
    `Mosquitto max_inflight_messages ${INFLIGHT}, server mqtt.receiveWindow ${RECEIVE_WINDOW}\n` +
    `load average (1 min) at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} on ${(await import("node:os")).cpus().length} CPUs`,
);
const haveMosquitto = Mosquitto.available() && values.only !== "embedded";
const haveEmbedded = values.only !== "mosquitto";
if (!Mosquitto.available()) console.log("external Mosquitto: SKIPPED (mosquitto not installed)");
const embedded: Result[] = [];
const external: Result[] = [];
const both = haveMosquitto && haveEmbedded;
for (let r = 0; r < RUNS; r++) {
  const mosqFirst = both && r % 2 === 1;
  if (haveMosquitto && mosqFirst) external.push(await viaMosquitto());
  if (haveEmbedded) embedded.push(await run({}));
  if (haveMosquitto && !mosqFirst) external.push(await viaMosquitto());
  console.log(`\nround ${r + 1}${mosqFirst ? " (Mosquitto first)" : ""}`);
  if (haveEmbedded) console.log(`  embedded  ${fmt(embedded[r])}`);
  if (haveMosquitto) console.log(`  Mosquitto ${fmt(external[r])}`);
  if (both)
    console.log(`  ratio Mosquitto / embedded ${(external[r].eventsPerSec / embedded[r].eventsPerSec).toFixed(2)}`);
}
const med = (rs: Result[], k: keyof Result) => median(rs.map((x) => x[k]));
const line = (label: string, rs: Result[]) =>
  `| ${label} | **${med(rs, "eventsPerSec").toFixed(0)}** | ${Math.min(...rs.map((x) => x.eventsPerSec)).toFixed(0)}-${Math.max(...rs.map((x) => x.eventsPerSec)).toFixed(0)} | ${med(rs, "perCommit").toFixed(1)} | ${med(rs, "p50").toFixed(0)} | ${med(rs, "load").toFixed(1)} | ` +
  `${med(rs, "serverCpu").toFixed(2)} / ${med(rs, "brokerCpu").toFixed(2)} / ${med(rs, "agentsCpu").toFixed(2)} | ${median(rs.map(uncontended)).toFixed(0)} |`;
console.log(
  `\n## medians over ${RUNS} rounds (SQLite, payload ~${(median(payloadBytes) / 1024).toFixed(1)} kB)\n\n` +
    "| set-up | events/s | range | events per commit | PUBACK p50 ms | load (1 min) | CPU ms/event: server / broker / agents | events/s the CPU time allows on 2 free cores |\n|---|---|---|---|---|---|---|---|\n" +
    (haveEmbedded ? `${line("embedded broker", embedded)}\n` : "") +
    (haveMosquitto ? `${line(`Mosquitto (max_inflight_messages ${INFLIGHT})`, external)}\n` : ""),
);
if (both) {
  const ratios = external.map((x, i) => x.eventsPerSec / embedded[i].eventsPerSec);
  console.log(
    `ratio Mosquitto / embedded per round: ${ratios.map((x) => x.toFixed(2)).join(", ")}; median **${median(ratios).toFixed(2)}**`,
  );
}
if (haveMosquitto) console.log("(Mosquitto PUBACK latency is the broker's, before the server stored the event)");
if (process.env.MONGODB_URL) {
  const m = await run({ mongodbUrl: process.env.MONGODB_URL, mongodbDb: `argus_bench_${Date.now()}` });
  console.log(`\nMongoDB (embedded broker): ${fmt(m)}`);
} else console.log("\nMongoDB: SKIPPED (set MONGODB_URL to measure it)");
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
