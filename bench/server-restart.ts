/**
 * Restart benchmark: how long a server with N faces takes from process start to ready (GET /health
 * 200 "ok": index loaded, MQTT up, every route served), after
 *   (a) a clean stop (SIGTERM: the stop writes a fresh snapshot),
 *   (b) a kill -9 after M index changes since the last snapshot (each is caught up from the database),
 *   (c) no snapshot at all (the whole index is built from the database),
 * plus (s) what writing a snapshot of N faces costs, and whether it stalls the event loop.
 *
 * The data directory is built once (and kept for later runs with --data): N faces of N/2 persons (1%
 * of them enrolled on a list, the 'known' graph; the rest automatic), committed through the real store
 * (SQLite, commitBatch); then the real server is started on it in-process (the index is built) and
 * stopped (the snapshot is written). SYNTHETIC embeddings: random unit vectors per person (faces of a
 * person ~0.7 apart): no real photos needed; inserting them is the graph's hard case (see
 * bench/server-index.ts), so catch-up figures are on the slow side of real embeddings.
 *
 * Every measured start is a child process (`server/src/main.ts` with default settings but ports) on a
 * copy of the data directory; in (a) and (b) the M changes are real face events of new people,
 * published at QoS 1 over MQTT to a first child (with count snapshots off) and acknowledged (=
 * committed) before it is stopped or killed; the child's `argus_index_unsnapshotted_changes` gauge
 * confirms M at the kill.
 *
 *   pnpm exec tsx bench/server-restart.ts [--faces 100000] [--changes 1000] [--runs 3] [--runs-none 2]
 *        [--data /tmp/argus-restart-100000] [--only a,b,c,s]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Gallery } from "../server/src/identify/gallery.ts";
import { startServer } from "../server/src/server.ts";
import { openStore } from "../server/src/store/index.ts";
import { emptyBatch } from "../server/src/store/types.ts";
import { agentClient, faceEvent, freePort, publishEvent, type RealFace, STRONG_TRACK } from "../server/test/helpers.ts";
import { createLogger, EMBEDDING_DIM, encodeJpeg, featureModelId, median } from "../shared/src/index.ts";

const { values } = parseArgs({
  options: {
    faces: { type: "string", default: "100000" },
    changes: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    "runs-none": { type: "string", default: "2" },
    data: { type: "string" },
    only: { type: "string", default: "a,b,c,s" },
  },
});
const N = Number(values.faces);
const CHANGES = values.changes.split(",").map(Number);
const RUNS = Number(values.runs);
const RUNS_NONE = Number(values["runs-none"]);
const ONLY = new Set(values.only.split(","));
const BASE = values.data ?? join(tmpdir(), `argus-restart-${N}`);
const ROOT = join(import.meta.dirname, "..");
const DIM = EMBEDDING_DIM;

// ------------------------------------------------------------------ data

let seed = 4242;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
function unit(around?: Float32Array, noise = 0.7): Float32Array {
  const v = new Float32Array(DIM);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = (around ? around[i] * Math.sqrt(DIM) : 0) + gauss() * (around ? noise * 1.2 : 1);
    n += v[i] * v[i];
  }
  n = Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[i] /= n;
  return v;
}

async function buildBase(): Promise<void> {
  const marker = join(BASE, "bench-restart.json");
  if (existsSync(marker) && JSON.parse(readFileSync(marker, "utf8")).faces === N) {
    console.log(`data directory ${BASE}: reused (${N} faces)`);
    return;
  }
  rmSync(BASE, { recursive: true, force: true });
  mkdirSync(BASE, { recursive: true });
  const store = openStore({ dataDir: BASE });
  await store.init();
  const t0 = performance.now();
  const now = Date.now() - 86_400_000;
  let faceId = 0;
  let autoNumber = 0;
  let batch = emptyBatch();
  for (let p = 0; faceId < N; p++) {
    const enrolled = p % 100 === 0;
    const id = randomUUID();
    batch.newPersons.push({
      id,
      name: enrolled ? `Person ${p}` : `Unknown #${++autoNumber}`,
      kind: enrolled ? "enrolled" : "auto",
      list: enrolled ? (p % 200 === 0 ? "foe" : "friend") : null,
      meta: {},
      autoNumber: enrolled ? null : autoNumber,
      cameraId: "agent-1/cam-1",
      createdAt: now,
      updatedAt: now,
      lastSeenAt: now,
      sightingCount: 1,
    });
    // One sighting each, recent: retention keeps the automatic persons (it removes those without any).
    batch.newSightings.push({
      id: randomUUID(),
      personId: id,
      cameraId: "cam-1",
      agentId: "agent-1",
      trackId: `t${p}`,
      capturedAt: now,
      lastSeenAt: now,
      day: Number(new Date(now).toISOString().slice(0, 10).replaceAll("-", "")),
      similarity: null,
      quality: 0.8,
      box: [0, 0, 100, 100],
      frame: { width: 640, height: 480 },
      verdict: "none",
      eventId: randomUUID(),
      shots: 1,
      hasContext: false,
      attributes: null,
      createdAt: now,
      clockSkewed: false,
      grade: null,
      unlinkedReason: null,
      indexId: null,
      contextBox: null,
    });
    const identity = unit();
    const faces = 1 + (p % 3); // 1..3, two on average
    for (let k = 0; k < faces && faceId < N; k++) {
      batch.newFaces.push({
        id: ++faceId,
        personId: id,
        source: enrolled ? "enrol" : "sighting",
        cameraId: enrolled ? null : "cam-1",
        quality: 0.5 + rand() / 2,
        sightingId: null,
        createdAt: now,
        embedding: unit(identity),
      });
    }
    if (batch.newFaces.length >= 2000) {
      await store.commitBatch(batch);
      batch = emptyBatch();
    }
  }
  await store.commitBatch(batch);
  await store.close();
  console.log(`data directory ${BASE}: ${N} faces committed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The index is built by the real server (no snapshot yet), and the clean stop writes the snapshot.
  const t1 = performance.now();
  const server = await startServer({
    config: { dataDir: BASE, http: { port: 0, host: "127.0.0.1" }, mqtt: { port: 0, host: "127.0.0.1" } },
    log: createLogger("bench", "warn"),
  });
  const built = performance.now();
  await server.stop();
  console.log(
    `index built by the server in ${((built - t1) / 1000).toFixed(1)} s (in-process), snapshot written at stop in ${((performance.now() - built) / 1000).toFixed(1)} s`,
  );
  writeFileSync(marker, JSON.stringify({ faces: N }));
}

// ------------------------------------------------------------------ child servers

interface Child {
  proc: ChildProcess;
  url: string;
  mqttUrl: string;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function launch(dir: string, httpPort: number, mqttPort: number, settings: Record<string, unknown> = {}): Child {
  const cfg = join(dir, "bench-config.json");
  writeFileSync(cfg, JSON.stringify(settings));
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "server/src/main.ts",
      "--data",
      dir,
      "--port",
      String(httpPort),
      "--host",
      "127.0.0.1",
      "--mqtt-port",
      String(mqttPort),
      "--config",
      cfg,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ARGUS_LOG_LEVEL: "info" } },
  );
  const logs: Array<Record<string, unknown>> = [];
  let buf = "";
  proc.stdout!.on("data", (d) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith("{")) logs.push(JSON.parse(line));
    }
  });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((res) =>
    proc.once("exit", (code) => {
      if (code && code !== 0) console.error(`server exited ${code}: ${err.slice(-2000)}`);
      res(code);
    }),
  );
  return { proc, url: `http://127.0.0.1:${httpPort}`, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, logs, exited };
}

interface StartTimes {
  /** Process start to the first HTTP answer (/health "starting"). */
  httpMs: number;
  /** Process start to /health 200 "ok". */
  readyMs: number;
  /** CPU time of the server process at that point (what the start costs without other processes). */
  cpuMs: number;
  sawStarting: boolean;
  /** The server's own "face index ready" log line. */
  index: Record<string, number>;
}

/** Starts a child and polls /health every 20 ms until it answers 200 "ok". */
async function timedStart(dir: string): Promise<{ child: Child; t: StartTimes }> {
  const t0 = performance.now();
  const child = launch(dir, await freePort(), await freePort());
  let httpMs = 0;
  let sawStarting = false;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error("server exited while starting");
    try {
      const r = await fetch(`${child.url}/health`);
      const body = (await r.json()) as { status: string };
      httpMs ||= performance.now() - t0;
      if (body.status === "starting") sawStarting = true;
      if (r.status === 200 && body.status === "ok") break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - t0;
  const cpuMs = processCpuMs(child.proc.pid!);
  const line = child.logs.find((l) => l.msg === "face index ready") ?? {};
  const index: Record<string, number> = {};
  for (const k of [
    "fromSnapshot",
    "added",
    "removed",
    "snapshotMs",
    "databaseMs",
    "embeddingsMs",
    "insertMs",
    "insertCpuMs",
    "totalMs",
    "cpuMs",
  ])
    index[k] = Number(line[k] ?? Number.NaN);
  return { child, t: { httpMs, readyMs, cpuMs, sawStarting, index } };
}

/** utime + stime of a process, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function stopChild(c: Child, signal: NodeJS.Signals): Promise<number> {
  const t0 = performance.now();
  c.proc.kill(signal);
  await c.exited;
  return performance.now() - t0;
}

async function metric(c: Child, name: string): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

let jpeg: Buffer | undefined;
/** M face events of people never seen (each founds a person: one index change), acknowledged = committed. */
async function makeChanges(c: Child, dir: string, m: number): Promise<void> {
  jpeg ??= await encodeJpeg({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).fill(128) });
  const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
  const r = await fetch(`${c.url}/api/v1/agents`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ id: `bench-${randomUUID().slice(0, 8)}` }),
  });
  const creds = (await r.json()) as { id: string; mqtt: { username: string; password: string } };
  const client = await agentClient(c.mqttUrl, creds.mqtt.username, creds.mqtt.password);
  const quality = {
    score: 0.8,
    detScore: 0.99,
    sizePx: 120,
    interocularPx: 50,
    sharpness: 300,
    yaw: 0,
    pitch: 0,
    roll: 0,
    brightness: 120,
    contrast: 50,
  };
  const pending: Promise<void>[] = [];
  for (let i = 0; i < m; i++) {
    const face: RealFace = {
      file: "synthetic",
      embedding: unit(),
      jpeg,
      quality,
      box: [10, 10, 130, 130],
      frame: { width: 640, height: 480 },
    };
    // Strong tracks: each founds its person at once (a lone event would wait as a candidate).
    const e = faceEvent(face, { agentId: creds.id, cameraId: "cam-2", trackId: `b${i}`, extra: STRONG_TRACK });
    pending.push(publishEvent(client, e));
    if (pending.length >= 200) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await client.endAsync();
}

/** A copy of the base directory with M changes made by a server then stopped (SIGTERM) or killed. */
async function prepared(m: number, signal: "SIGTERM" | "SIGKILL" | "none"): Promise<{ dir: string; note: string }> {
  const dir = join(tmpdir(), `argus-restart-run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(BASE, dir, { recursive: true });
  if (signal === "none") {
    rmSync(join(dir, "index"), { recursive: true, force: true });
    return { dir, note: "no snapshot" };
  }
  const child = launch(dir, await freePort(), await freePort(), {
    identify: { snapshotEveryChanges: 1_000_000_000, snapshotIntervalSeconds: 86_400 },
  });
  for (;;) {
    try {
      if ((await fetch(`${child.url}/health`)).status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  await makeChanges(child, dir, m);
  const pendingChanges = await metric(child, "argus_index_unsnapshotted_changes");
  const stopMs = await stopChild(child, signal);
  const written = child.logs.find((l) => l.msg === "index snapshot written");
  return {
    dir,
    note:
      signal === "SIGKILL"
        ? `killed with ${pendingChanges} changes since the snapshot`
        : `stopped with ${pendingChanges} changes: stop took ${Math.round(stopMs)} ms (snapshot write ${written?.writeMs} ms)`,
  };
}

// ------------------------------------------------------------------ runs

const fmt = (ms: number[]) =>
  `median ${(median(ms) / 1000).toFixed(2)} s (${(Math.min(...ms) / 1000).toFixed(2)}-${(Math.max(...ms) / 1000).toFixed(2)})`;

async function scenario(name: string, runs: number, prep: () => Promise<{ dir: string; note: string }>) {
  const ready: number[] = [];
  const cpu: number[] = [];
  const http: number[] = [];
  const load: number[] = [];
  const perFace: number[] = [];
  const perFaceCpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { dir, note } = await prep();
    const { child, t } = await timedStart(dir);
    const stop = await stopChild(child, "SIGTERM");
    const snap = child.logs.find((l) => l.msg === "index snapshot written");
    console.log(
      `  ${name} run ${r + 1}: ${note}; ready in ${(t.readyMs / 1000).toFixed(2)} s, CPU ${(t.cpuMs / 1000).toFixed(2)} s (HTTP answering after ${(t.httpMs / 1000).toFixed(2)} s, saw "starting": ${t.sawStarting}); index ${JSON.stringify(t.index)}${snap ? `; the stop wrote a snapshot of ${snap.faces} faces: write ${snap.writeMs} ms, stop ${Math.round(stop)} ms` : ""}`,
    );
    ready.push(t.readyMs);
    cpu.push(t.cpuMs);
    http.push(t.httpMs);
    load.push(t.index.totalMs);
    if (t.index.added > 0) {
      perFace.push((t.index.insertMs + t.index.embeddingsMs) / t.index.added);
      perFaceCpu.push((t.index.insertCpuMs + t.index.embeddingsMs) / t.index.added);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = (v: number[]) => `${median(v).toFixed(2)} ms (${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)})`;
  console.log(
    `${name}: ready ${fmt(ready)}, server CPU to ready ${fmt(cpu)}; HTTP up ${fmt(http)}; index load (server's own figure) ${fmt(load)}${perFace.length ? `; catch-up per missing face ${ms(perFace)}, CPU ${ms(perFaceCpu)}` : ""}  [${runs} runs]`,
  );
}

/** (s): a snapshot of the base gallery written blocking (the old way) and off the event loop while faces are added. */
async function snapshotCost(): Promise<void> {
  const store = openStore({ dataDir: BASE });
  await store.init();
  const m = featureModelId();
  const dir = join(tmpdir(), `argus-restart-snap-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(BASE, "index"), dir, { recursive: true });
  const g = new Gallery({
    dim: DIM,
    mode: "global",
    hnsw: { m: 16, efConstruction: 200, efSearch: 128, initialCapacity: 1024 },
    model: `${m.id}:${m.sha256}`,
    snapshotDir: dir,
  });
  await g.load(store);
  console.log(`(s) gallery of ${g.faceCount} faces loaded in ${g.lastLoad?.totalMs} ms`);
  const pid = "bench-snapshot-person";
  g.upsertPerson({ id: pid, kind: "auto", list: null, cameraId: "cam-1" });
  let next = 10_000_000;
  const sync: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    g.addFace({ id: next++, personId: pid, quality: 0.9, source: "sighting", cameraId: "cam-1" }, unit());
    const t = performance.now();
    g.save();
    sync.push(performance.now() - t);
  }
  console.log(`(s) blocking save (writeIndexSync; before: under the ingestion lock): ${fmt(sync)}`);
  // The same load without a snapshot: what the event loop delay is on this machine anyway.
  {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const timer = setInterval(() => {
      const v = unit();
      g.addFace({ id: next++, personId: pid, quality: 0.9, source: "sighting", cameraId: "cam-1" }, v);
      g.search(v, 1);
    }, 5);
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(timer);
    h.disable();
    console.log(
      `(s) baseline, no snapshot, 2 s of the same adds and searches: event loop delay max ${(h.max / 1e6).toFixed(0)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms`,
    );
  }
  for (let r = 0; r < RUNS; r++) {
    g.addFace({ id: next++, personId: pid, quality: 0.9, source: "sighting", cameraId: "cam-1" }, unit());
    // Meanwhile: a face added every 5 ms (200/s, a busy site's learning rate) and a search for each.
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    let added = 0;
    let found = 0;
    const timer = setInterval(() => {
      const v = unit();
      const id = next++;
      g.addFace({ id, personId: pid, quality: 0.9, source: "sighting", cameraId: "cam-1" }, v);
      added++;
      if (g.search(v, 1).some((n) => n.label === id)) found++;
    }, 5);
    const st = await g.snapshot();
    clearInterval(timer);
    h.disable();
    console.log(
      `(s) snapshot off the event loop: ${JSON.stringify(st)}; faces added meanwhile ${added} (found at once by search: ${found}); event loop delay max ${(h.max / 1e6).toFixed(0)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms`,
    );
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

await buildBase();
console.log(`restart of a server with ${N} faces; ${RUNS} runs (no snapshot: ${RUNS_NONE}); machine: 2 cores, shared`);
if (ONLY.has("a"))
  await scenario(`(a) after a clean stop (${CHANGES[0]} changes before it)`, RUNS, () =>
    prepared(CHANGES[0], "SIGTERM"),
  );
if (ONLY.has("b"))
  for (const m of CHANGES) await scenario(`(b) kill -9 after ${m} changes`, RUNS, () => prepared(m, "SIGKILL"));
if (ONLY.has("c")) await scenario("(c) no snapshot", RUNS_NONE, () => prepared(0, "none"));
if (ONLY.has("s")) await snapshotCost();
