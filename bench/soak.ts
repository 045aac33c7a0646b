/**
 * Soak: the server and an agent as separate processes, started the way they run in production
 * (`pnpm --silent run server ...`, `pnpm --silent agent --config <dir>`), the agent reading looping
 * RTSP cameras (../shared/tools/rtsp-serve.py serving a long concatenation of a test video made
 * with ffmpeg in a temp dir), for a given time, optionally with the server stopped for a while and
 * restarted on the same data directory. Every few seconds it samples:
 *
 * - memory of each process: RSS (and its anonymous / file-backed parts) from /proc/<pid>/status, V8
 *   heap used from each one's /metrics (prom-client defaults), CPU; the agent's ffmpeg processes apart;
 * - the agent's counters (frames decoded / analyzed / dropped, events made / acknowledged by the
 *   broker, spool events and bytes) and the server's (events received / stored / duplicates / dead
 *   letters, ingest backlog, persons, SSE clients);
 * - an event-stream client of /api/v1/stream (bearer token) that behaves like a browser's EventSource
 *   (retry time, Last-Event-ID) and stays connected across the outage.
 *
 * At the end the agent is stopped (SIGTERM), and every event it made (its --output file sink, the
 * same events that go to MQTT) is looked up among the stored sightings (GET /api/v1/sightings, by
 * camera and track id): an event neither stored nor still in the agent's spool is lost. Every stored
 * sighting the stream client never received is a missed stream event.
 *
 * It prints a summary table (memory trends in MB/h, MB = 10^6 bytes, least squares: whole life of a
 * process, after the warm-up, last half; the server's lives before and after the outage apart, and
 * pooled with one level per life) and writes one JSON line per sample (plus <out>.summary.json and
 * the processes' logs beside it).
 *
 *   pnpm exec tsx bench/soak.ts [--minutes 60] [--cameras 2] [--outage-at 20 --outage-seconds 60]
 *       [--warmup 10] [--interval 5] [--videos station-crowd-1080p.mp4,talking-head-1.mp4]
 *       [--out /tmp/argus-soak-<time>.jsonl] [--no-sse] [--no-ids] [--heap-snapshots 10,30,50] [--keep]
 *
 * --no-sse runs without the stream client and --no-ids without the agent's file sink (to narrow a
 * leak down); --keep keeps the temp dir (looped videos, server data, agent config and spool).
 * --heap-snapshots makes both processes write a V8 heap snapshot at those minutes (node's
 * --heapsnapshot-signal through NODE_OPTIONS, into <out>-heap/). Each starts with a full GC, so the
 * heap sampled right after it is the live heap, whose trend is printed; compare the files with
 * bench/lib/heap-diff.ts. A snapshot's own memory stays with the process (the server's RSS went from
 * 155 to 367 MB), so the RSS trends of such a run mean nothing.
 *
 * V8 collects the old generation rarely when a process allocates slowly: the server ran about 20
 * minutes after each start before its first major GC. Until then heap used, and RSS with it, climbs,
 * so a trend over less than a few GC cycles says little; the heap just after each major GC (printed)
 * and the live heap say more.
 * Goal: after the warm-up, memory grows under 5 MB/h in each process, and nothing is lost.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { appendFile, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { FFMPEG_PATH } from "../agent/src/ingest/ffmpeg.ts";
import { freePort } from "../agent/test/helpers/env.ts";
import { PYTHON } from "../agent/test/helpers/rtsp.ts";
import { fmt, metric, REPO, run, sleep, VIDEO_DIR } from "./agent-lib.ts";
import { childrenNamed, GroupChild, procCpuSeconds, procMem } from "./lib/procs.ts";
import { mean, type Point, pooledTrend, type Trend, trend } from "./lib/slope.ts";
import { SseClient } from "./lib/sse-client.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    cameras: { type: "string", default: "2" },
    "outage-at": { type: "string" },
    "outage-seconds": { type: "string", default: "60" },
    warmup: { type: "string" },
    interval: { type: "string", default: "5" },
    videos: { type: "string", default: "station-crowd-1080p.mp4,talking-head-1.mp4" },
    out: { type: "string" },
    "no-sse": { type: "boolean", default: false },
    "no-ids": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "log-level": { type: "string", default: "info" },
    "heap-snapshots": { type: "string" },
  },
});
const MINUTES = Number(values.minutes);
const CAMERAS = Number(values.cameras);
const OUTAGE_AT = values["outage-at"] === undefined ? undefined : Number(values["outage-at"]);
const OUTAGE_S = Number(values["outage-seconds"]);
/** Minutes of each process life left out of the "after warm-up" trend. */
const WARMUP = values.warmup === undefined ? Math.min(10, MINUTES / 5) : Number(values.warmup);
const INTERVAL_S = Number(values.interval);
const VIDEOS = values.videos.split(",").filter(Boolean);
const SSE_ON = !values["no-sse"];
const IDS_ON = !values["no-ids"];
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const OUT = resolve(values.out ?? join(tmpdir(), `argus-soak-${stamp}.jsonl`));
const OUT_BASE = OUT.replace(/\.jsonl$/, "");
const RTSP_SERVE = resolve(REPO, "../shared/tools/rtsp-serve.py");
const MB = 1e6;
/** Minutes (from the agent's start) at which both processes write a V8 heap snapshot. */
const SNAPSHOTS = (values["heap-snapshots"] ?? "").split(",").filter(Boolean).map(Number);
const SNAP_DIR = `${OUT_BASE}-heap`;
/**
 * With --heap-snapshots: node writes a snapshot on SIGUSR2 (no code change; a full GC comes first, so
 * the heap sampled just after it is the live heap), into SNAP_DIR.
 */
const NODE_OPTIONS = SNAPSHOTS.length
  ? {
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ""} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAP_DIR}`.trim(),
    }
  : {};
if (SNAPSHOTS.length) mkdirSync(SNAP_DIR, { recursive: true });

for (const v of VIDEOS)
  if (!existsSync(join(VIDEO_DIR, v))) {
    console.error(`${join(VIDEO_DIR, v)} is absent: the soak needs the shared test videos (../shared/data).`);
    process.exit(2);
  }
if (!existsSync(PYTHON) || !existsSync(RTSP_SERVE)) {
  console.error(`needs ${PYTHON} and ${RTSP_SERVE} (GStreamer's RTSP server from Debian's packages)`);
  process.exit(2);
}
if (OUTAGE_AT !== undefined && !(OUTAGE_AT > 0 && OUTAGE_AT < MINUTES)) {
  console.error("--outage-at must be inside the run (0 < M < --minutes)");
  process.exit(2);
}

const WORK = join(tmpdir(), `argus-soak-${stamp}`);
mkdirSync(WORK, { recursive: true });
const children: GroupChild[] = [];
const T0 = Date.now();
const now = () => (Date.now() - T0) / 1000;
const say = (s: string) => console.log(`[${fmt(now() / 60, 1).padStart(5)} min] ${s}`);

function cleanup(): void {
  for (const c of children) c.killGroup();
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
process.on("SIGTERM", () => {
  cleanup();
  process.exit(143);
});

// ------------------------------------------------------------------ looping cameras

/** A concatenation of the video long enough for the run (stream copy, no audio: seconds of work). */
async function loopedVideo(name: string, seconds: number): Promise<string> {
  const out = join(WORK, "videos", name.replace(/\.mp4$/, `-${seconds}s.mp4`));
  if (existsSync(out)) return out;
  mkdirSync(join(WORK, "videos"), { recursive: true });
  const code = await run(FFMPEG_PATH, [
    "-loglevel",
    "error",
    "-y",
    "-stream_loop",
    "-1",
    "-i",
    join(VIDEO_DIR, name),
    "-map",
    "0:v:0",
    "-c",
    "copy",
    "-an",
    "-t",
    String(seconds),
    out,
  ]);
  if (code !== 0) throw new Error(`ffmpeg could not loop ${name}`);
  return out;
}

async function startRtsp(file: string, port: number, log: string): Promise<GroupChild> {
  const c = new GroupChild(PYTHON, ["-u", RTSP_SERVE, file, String(port)], { cwd: WORK, env: process.env, log });
  children.push(c);
  const end = Date.now() + 15_000;
  while (!readFileSync(log, "utf8").includes("rtsp ready")) {
    if (!c.running || Date.now() > end) throw new Error(`rtsp-serve.py did not start: ${readFileSync(log, "utf8")}`);
    await sleep(100);
  }
  return c;
}

// ------------------------------------------------------------------ server

const DATA = join(WORK, "server-data");
const httpPort = await freePort();
const mqttPort = await freePort();
const BASE = `http://127.0.0.1:${httpPort}`;
let server: GroupChild;
let serverLife = 0;
/** Seconds (since T0) at which each server life started. */
const serverStarts: number[] = [];
const serverStops: number[] = [];

async function startServerProc(): Promise<void> {
  serverLife++;
  serverStarts.push(now());
  server = new GroupChild(
    "pnpm",
    ["--silent", "run", "server", "--data", DATA, "--port", String(httpPort), "--mqtt-port", String(mqttPort)],
    {
      cwd: REPO,
      env: {
        ...process.env,
        ARGUS_HTTP_HOST: "127.0.0.1",
        ARGUS_MQTT_HOST: "127.0.0.1",
        ARGUS_LOG_LEVEL: values["log-level"],
        ...NODE_OPTIONS,
      },
      log: `${OUT_BASE}.server.log`,
    },
  );
  children.push(server);
  await server.findNode("server/src/main.ts");
  const end = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(`${BASE}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (!server.running) throw new Error(`the server exited; see ${OUT_BASE}.server.log`);
    if (Date.now() > end) throw new Error("the server did not become healthy in 120 s");
    await sleep(250);
  }
}

// ------------------------------------------------------------------ samples

interface ProcSample {
  up: boolean;
  life?: number;
  /** Seconds since this life of the process started. */
  uptime?: number;
  pid?: number;
  rss?: number;
  rssAnon?: number;
  rssFile?: number;
  threads?: number;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
  /** V8 heap used by space (new, old, code, large_object). */
  spaces?: Record<string, number>;
  cpu?: number;
  m?: Record<string, number>;
}

interface Sample {
  t: number;
  at: string;
  phase: "run" | "outage" | "final" | "snapshot";
  load1: number;
  server: ProcSample;
  agent: ProcSample & { ffmpegRss?: number; ffmpegCount?: number };
  sse?: { connected: boolean; connects: number; drops: number; events: number; sightings: number; lastEventId: string };
  dbBytes?: number;
}

const samples: Sample[] = [];
let agent: GroupChild;
let agentOps = "";
let agentStart = 0;
const sseSightings = new Map<string, number>();
let sse: SseClient | undefined;

async function scrape(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(4000) });
    return r.status === 200 ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

function procSample(pid: number | undefined, text: string | undefined, names: Record<string, string>): ProcSample {
  const mem = pid ? procMem(pid) : undefined;
  if (!mem) return { up: false };
  const s: ProcSample = { up: text !== undefined, pid, ...mem, cpu: procCpuSeconds(pid!) };
  if (text) {
    s.heapUsed = metric(text, "nodejs_heap_size_used_bytes");
    s.heapTotal = metric(text, "nodejs_heap_size_total_bytes");
    s.external = metric(text, "nodejs_external_memory_bytes");
    s.spaces = {};
    for (const sp of ["new", "old", "code", "large_object"])
      s.spaces[sp] = metric(text, "nodejs_heap_space_size_used_bytes", `space="${sp}"`);
    s.m = {};
    for (const [k, name] of Object.entries(names)) s.m[k] = metricExact(text, name);
  }
  return s;
}

const SERVER_METRICS = {
  received: "argus_events_received_total",
  stored: 'argus_events_stored_total{outcome="stored"}',
  updated: 'argus_events_stored_total{outcome="updated"}',
  duplicates: "argus_events_duplicate_total",
  deadLetters: "argus_dead_letters_total",
  storeErrors: "argus_store_errors_total",
  backlog: "argus_ingest_backlog",
  persons: "argus_persons",
  indexFaces: "argus_index_faces",
  sseClients: "argus_sse_clients",
  handles: "nodejs_active_handles_total",
  gcMajor: 'nodejs_gc_duration_seconds_count{kind="major"}',
};
const AGENT_METRICS = {
  decoded: "argus_agent_frames_decoded_total",
  analyzed: "argus_agent_frames_analyzed_total",
  dropped: "argus_agent_frames_dropped_total",
  events: "argus_agent_events_total",
  eventErrors: "argus_agent_event_errors_total",
  published: "argus_agent_events_published_total",
  written: "argus_agent_events_written_total",
  spooled: "argus_agent_events_spooled",
  spoolBytes: "argus_agent_spool_bytes",
  spoolDropped: "argus_agent_spool_dropped_total",
  brokerConnected: "argus_agent_broker_connected",
  reconnects: "argus_agent_camera_reconnects_total",
  tracksLive: "argus_agent_tracks_live",
  faceCallsWaiting: "argus_agent_face_calls_waiting",
  handles: "nodejs_active_handles_total",
  gcMajor: 'nodejs_gc_duration_seconds_count{kind="major"}',
};

/** A metric line with labels: `name{labels}` exactly (metric() sums every label set). */
function metricExact(text: string, key: string): number {
  if (!key.includes("{")) return metric(text, key);
  const [name, labels] = [key.slice(0, key.indexOf("{")), key.slice(key.indexOf("{"))];
  return metric(text, name, labels.slice(1, -1));
}

async function takeSample(phase: Sample["phase"]): Promise<Sample> {
  const t = now();
  const [st, at] = await Promise.all([
    server?.running ? scrape(`${BASE}/metrics`) : undefined,
    agent?.running ? scrape(`${agentOps}/metrics`) : undefined,
  ]);
  const sv = procSample(server?.running ? server.nodePid : undefined, st, {});
  if (st) sv.m = Object.fromEntries(Object.entries(SERVER_METRICS).map(([k, n]) => [k, metricExact(st, n)]));
  if (sv.pid) {
    sv.life = serverLife;
    sv.uptime = t - serverStarts[serverLife - 1];
  }
  const ag: Sample["agent"] = procSample(agent?.running ? agent.nodePid : undefined, at, AGENT_METRICS);
  if (ag.pid) {
    ag.life = 1;
    ag.uptime = t - agentStart;
    const ff = childrenNamed(ag.pid, "ffmpeg");
    ag.ffmpegCount = ff.length;
    ag.ffmpegRss = ff.reduce((s, p) => s + (procMem(p)?.rss ?? 0), 0);
  }
  let dbBytes = 0;
  for (const f of ["argus.db", "argus.db-wal"]) {
    try {
      dbBytes += statSync(join(DATA, f)).size;
    } catch {
      /* absent */
    }
  }
  const s: Sample = {
    t: Math.round(t * 10) / 10,
    at: new Date().toISOString(),
    phase,
    load1: loadavg()[0],
    server: sv,
    agent: ag,
    dbBytes,
  };
  if (sse) {
    const x = sse.stats;
    s.sse = {
      connected: x.connected,
      connects: x.connects,
      drops: x.drops,
      events: x.events,
      sightings: sseSightings.size,
      lastEventId: x.lastEventId,
    };
  }
  samples.push(s);
  await appendFile(OUT, `${JSON.stringify(s)}\n`);
  return s;
}

// ------------------------------------------------------------------ run

console.log(
  `soak: ${MINUTES} min, ${CAMERAS} camera(s) (${VIDEOS.join(", ")}), ` +
    (OUTAGE_AT !== undefined ? `server outage at ${OUTAGE_AT} min for ${OUTAGE_S} s, ` : "no outage, ") +
    `warm-up ${WARMUP} min, a sample every ${INTERVAL_S} s\n  samples: ${OUT}\n  logs: ${OUT_BASE}.{server,agent}.log\n  work dir: ${WORK}`,
);
await writeFile(OUT, "");

// Cameras: one RTSP server per camera, each serving a concatenation of its video that outlasts the run.
const loopSeconds = Math.ceil(MINUTES * 60 + 900);
const cams: Array<{ id: string; video: string; url: string }> = [];
for (let i = 0; i < CAMERAS; i++) {
  const video = VIDEOS[i % VIDEOS.length];
  const file = await loopedVideo(video, loopSeconds);
  const port = await freePort();
  await startRtsp(file, port, join(WORK, `rtsp-${i}.log`));
  cams.push({ id: `cam${i + 1}`, video, url: `rtsp://127.0.0.1:${port}/cam` });
}
say(`${cams.length} RTSP camera(s) up (${loopSeconds} s loops)`);

await startServerProc();
const token = readFileSync(join(DATA, "admin-token"), "utf8").trim();
const auth = { authorization: `Bearer ${token}` };
const reg = await fetch(`${BASE}/api/v1/agents`, {
  method: "POST",
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify({ id: "soak-agent" }),
});
if (reg.status !== 201 && reg.status !== 200)
  throw new Error(`agent registration: HTTP ${reg.status} ${await reg.text()}`);
const creds = (await reg.json()) as { id: string; mqtt: { username: string; password: string } };
say(`server up (pid ${server!.nodePid}), agent '${creds.id}' registered`);

if (SSE_ON) {
  sse = new SseClient(`${BASE}/api/v1/stream`, auth, (type, data) => {
    if (type !== "sighting") return;
    const id = (JSON.parse(data) as { id: string }).id;
    sseSightings.set(id, (sseSightings.get(id) ?? 0) + 1);
  });
  sse.start();
  for (let i = 0; i < 100 && !sse.stats.connected; i++) await sleep(100);
}

// The agent: its config dir, broker credentials from the environment as in production.
const AGENT_DIR = join(WORK, "agent");
mkdirSync(join(AGENT_DIR, "cameras"), { recursive: true });
const opsPort = await freePort();
agentOps = `http://127.0.0.1:${opsPort}`;
await writeFile(
  join(AGENT_DIR, "agent.yaml"),
  JSON.stringify({ id: creds.id, spool: { dir: ".spool" }, ops: { host: "127.0.0.1", port: opsPort } }),
);
for (const c of cams)
  await writeFile(
    join(AGENT_DIR, "cameras", `${c.id}.yaml`),
    JSON.stringify({ id: c.id, name: c.video, source: c.url, inputOptions: ["-rtsp_transport", "tcp"] }),
  );
const EVENTS_FILE = join(AGENT_DIR, "out", "events.jsonl");
agentStart = now();
agent = new GroupChild(
  "pnpm",
  ["--silent", "agent", "--config", AGENT_DIR, ...(IDS_ON ? ["--output", EVENTS_FILE] : [])],
  {
    cwd: REPO,
    env: {
      ...process.env,
      ARGUS_BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`,
      ARGUS_BROKER_USERNAME: creds.mqtt.username,
      ARGUS_BROKER_PASSWORD: creds.mqtt.password,
      ARGUS_LOG_LEVEL: values["log-level"],
      ...NODE_OPTIONS,
    },
    log: `${OUT_BASE}.agent.log`,
  },
);
children.push(agent);
await agent.findNode("agent/src/main.ts");
for (let i = 0; ; i++) {
  const st = await scrape(`${agentOps}/status`);
  if (st) {
    const cs = Object.values((JSON.parse(st) as { cameras: Record<string, { state: string }> }).cameras ?? {});
    if (cs.length === CAMERAS && cs.every((c) => c.state === "streaming")) break;
  }
  if (!agent.running) throw new Error(`the agent exited; see ${OUT_BASE}.agent.log`);
  if (i > 600) throw new Error("the agent's cameras did not start streaming in 120 s");
  await sleep(200);
}
say(`agent up (pid ${agent.nodePid}), ${CAMERAS} camera(s) streaming`);

const endAt = agentStart + MINUTES * 60;
const outageStart = OUTAGE_AT === undefined ? undefined : agentStart + OUTAGE_AT * 60;
let outageDone = false;
let downSince: number | undefined;
let lastReport = -1;

/** SIGUSR2 to both node processes; waits until their snapshot files are complete, then samples (live heap). */
async function heapSnapshots(): Promise<string[]> {
  const before = new Set(readdirSync(SNAP_DIR));
  const pids = [server?.running ? server.nodePid : undefined, agent?.running ? agent.nodePid : undefined].filter(
    (p): p is number => p !== undefined,
  );
  for (const p of pids) process.kill(p, "SIGUSR2");
  const end = Date.now() + 120_000;
  let sizes = "";
  for (;;) {
    await sleep(1000);
    const fresh = readdirSync(SNAP_DIR).filter((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    const now2 = fresh.map((f) => `${f}:${statSync(join(SNAP_DIR, f)).size}`).join(",");
    if ((fresh.length >= pids.length && now2 === sizes) || Date.now() > end) {
      // A process answers again only once its snapshot is written: wait for both before sampling.
      for (let i = 0; i < 60; i++) {
        const up = await Promise.all([
          server?.running ? scrape(`${BASE}/metrics`) : "",
          agent?.running ? scrape(`${agentOps}/metrics`) : "",
        ]);
        if (up.every((x) => x !== undefined)) break;
        await sleep(1000);
      }
      await takeSample("snapshot");
      return fresh.map((f) => join(SNAP_DIR, f));
    }
    sizes = now2;
  }
}
let probeAt: number | undefined;
/** Sightings in the restarted server's replay buffer shortly after the restart: sighting id -> stream id. */
const replayed = new Map<string, number>();

/**
 * A second, short connection with Last-Event-ID 0 some seconds after the restart: the new server
 * replays its buffer (its first events), which shows what it published before the client reconnected.
 */
async function probeReplay(): Promise<number> {
  if (!SSE_ON) return 0;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 3000);
  try {
    const res = await fetch(`${BASE}/api/v1/stream?types=sighting`, {
      headers: { ...auth, "last-event-id": "0" },
      signal: ctl.signal,
    });
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) replayed.set((JSON.parse(data) as { id: string }).id, Number(id));
      }
    }
  } catch {
    /* aborted: done */
  } finally {
    clearTimeout(timer);
  }
  return replayed.size;
}
while (now() < endAt) {
  const tickStart = now();
  if (SNAPSHOTS.length && now() >= agentStart + SNAPSHOTS[0] * 60) {
    const m = SNAPSHOTS.shift()!;
    const files = await heapSnapshots();
    say(`heap snapshots at ${m} min: ${files.join(", ")}`);
  }
  const s = await takeSample(downSince !== undefined ? "outage" : "run");
  const minute = Math.floor((tickStart - agentStart) / 60);
  if (minute !== lastReport && minute % 5 === 0) {
    lastReport = minute;
    const a = s.agent.m ?? {};
    say(
      `server rss ${fmt((s.server.rss ?? 0) / MB, 1)} MB heap ${fmt((s.server.heapUsed ?? 0) / MB, 1)} | ` +
        `agent rss ${fmt((s.agent.rss ?? 0) / MB, 1)} MB heap ${fmt((s.agent.heapUsed ?? 0) / MB, 1)} | ` +
        `frames ${a.decoded ?? "-"} dropped ${a.dropped ?? "-"} | events ${a.events ?? "-"} acked ${a.published ?? "-"} ` +
        `spooled ${a.spooled ?? "-"} | server stored ${s.server.m?.stored ?? "-"} | stream sightings ${sseSightings.size}`,
    );
  }
  if (outageStart !== undefined && !outageDone && now() >= outageStart) {
    outageDone = true;
    say(`outage: stopping the server (SIGTERM to pid ${server!.nodePid})`);
    const r = await server!.stop(30_000);
    serverStops.push(now());
    downSince = now();
    say(`server stopped (exit ${r.code}${r.killed ? ", killed after 30 s" : ""}); down for ${OUTAGE_S} s`);
  }
  if (downSince !== undefined && now() - downSince >= OUTAGE_S) {
    downSince = undefined;
    await startServerProc();
    say(`server restarted on the same data dir (pid ${server!.nodePid})`);
    probeAt = now() + 15;
  }
  if (probeAt !== undefined && now() >= probeAt) {
    probeAt = undefined;
    const n = await probeReplay();
    say(`replay probe: the restarted server's replay buffer holds ${n} sighting(s)`);
  }
  const wait = INTERVAL_S - (now() - tickStart);
  if (wait > 0) await sleep(wait * 1000);
}

// ------------------------------------------------------------------ end: accounting

say("run over: stopping the agent (SIGTERM)");
const lastRun = await takeSample("final");
const agentStop = await agent.stop(60_000);
const agentStoppedAt = now();
say(`agent exited (${agentStop.code}${agentStop.killed ? ", killed" : ""})`);

// Events still in the spool: made, not acknowledged (they would go at the agent's next start).
const pending = new Set<string>();
const spoolDir = join(AGENT_DIR, ".spool");
if (existsSync(spoolDir))
  for (const f of readdirSync(spoolDir).filter((n) => n.endsWith(".evt"))) {
    const buf = readFileSync(join(spoolDir, f));
    pending.add((JSON.parse(buf.subarray(0, buf.indexOf(10)).toString()) as { eventId: string }).eventId);
  }

// The server has everything acknowledged: wait for its backlog to drain, then list every sighting.
for (let i = 0; i < 120; i++) {
  const m = await scrape(`${BASE}/metrics`);
  if (m && metric(m, "argus_ingest_backlog") === 0) break;
  await sleep(250);
}
interface SightingRow {
  id: string;
  cameraId: string;
  trackId: string;
  shots: number;
  capturedAt: string;
}
const sightings: SightingRow[] = [];
for (let cursor: string | null = null; ; ) {
  const q: string = `${BASE}/api/v1/sightings?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const r = await fetch(q, { headers: auth });
  if (r.status !== 200) throw new Error(`GET /sightings: HTTP ${r.status}`);
  const page = (await r.json()) as { items: SightingRow[]; nextCursor: string | null };
  sightings.push(...page.items);
  if (!page.nextCursor) break;
  cursor = page.nextCursor;
}
await sleep(3000); // the last stream events
await sse?.stop();
const final = await takeSample("final");
await server!.stop(30_000);
for (const c of children) if (c.running) await c.stop(5000);

// Events made (the file sink) against sightings stored, by camera and track.
const made = new Map<string, string[]>();
let eventsInFile = 0;
if (IDS_ON && existsSync(EVENTS_FILE)) {
  const rl = createInterface({ input: createReadStream(EVENTS_FILE), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (!line) continue;
    const e = JSON.parse(line) as { eventId: string; cameraId: string; trackId: string };
    const k = `${e.cameraId}/${e.trackId}`;
    made.set(k, [...(made.get(k) ?? []), e.eventId]);
    eventsInFile++;
  }
}
const stored = new Map(sightings.map((s) => [`${s.cameraId}/${s.trackId}`, s]));
let lost = 0;
let notAcked = 0;
const lostExamples: string[] = [];
for (const [k, ids] of made) {
  const shots = stored.get(k)?.shots ?? 0;
  const waiting = ids.filter((id) => pending.has(id)).length;
  const missing = Math.max(0, ids.length - shots);
  const l = Math.max(0, missing - waiting);
  notAcked += Math.min(missing, waiting);
  lost += l;
  if (l && lostExamples.length < 5) lostExamples.push(`${k} (events ${ids.join(",")})`);
}
const unknownSightings = IDS_ON ? sightings.filter((s) => !made.has(`${s.cameraId}/${s.trackId}`)).length : 0;

// Stream delivery: stored sightings the client never received.
const outageWindow = serverStops.length ? [serverStops[0], serverStarts[1] ?? Number.POSITIVE_INFINITY] : undefined;
const missed = SSE_ON ? sightings.filter((s) => !sseSightings.has(s.id)) : [];
const missedDuringOutage = missed.filter((s) => {
  if (!outageWindow) return false;
  const t = (Date.parse(s.capturedAt) - T0) / 1000;
  return t >= outageWindow[0] - 5 && t <= outageWindow[1] + 5;
}).length;
const sseDupes = [...sseSightings.values()].filter((n) => n > 1).length;
const missedInReplay = missed.filter((s) => replayed.has(s.id));

// ------------------------------------------------------------------ summary

type Key = "rss" | "heapUsed" | "rssAnon";
function lifePoints(proc: "server" | "agent", life: number, key: Key, minUptime = 0): Point[] {
  return samples
    .filter((s) => s[proc].life === life && s[proc][key] !== undefined && (s[proc].uptime ?? 0) >= minUptime)
    .map((s) => ({ t: s.t, y: s[proc][key]! / MB }));
}
interface TrendRow {
  proc: string;
  life: string;
  span: string;
  first: number;
  last: number;
  all: Trend;
  afterWarmup: Trend;
  lastHalf: Trend;
  heapAfterWarmup: Trend;
  heapLastHalf: Trend;
  anonAfterWarmup: Trend;
}
function row(proc: "server" | "agent", life: number): TrendRow | undefined {
  const all = lifePoints(proc, life, "rss");
  if (all.length < 3) return undefined;
  const up = samples.filter((s) => s[proc].life === life).map((s) => s[proc].uptime!);
  const half = (up[up.length - 1] ?? 0) / 2;
  const w = WARMUP * 60;
  return {
    proc,
    life: proc === "server" ? `life ${life}` : "",
    span: `${fmt(all[0].t / 60, 1)}-${fmt(all[all.length - 1].t / 60, 1)} min`,
    first: all[0].y,
    last: all[all.length - 1].y,
    all: trend(all),
    afterWarmup: trend(lifePoints(proc, life, "rss", w)),
    lastHalf: trend(lifePoints(proc, life, "rss", half)),
    heapAfterWarmup: trend(lifePoints(proc, life, "heapUsed", w)),
    heapLastHalf: trend(lifePoints(proc, life, "heapUsed", half)),
    anonAfterWarmup: trend(lifePoints(proc, life, "rssAnon", w)),
  };
}
const rows = [...Array.from({ length: serverLife }, (_, i) => row("server", i + 1)), row("agent", 1)].filter(
  (r): r is TrendRow => r !== undefined,
);
const lives = Array.from({ length: serverLife }, (_, i) => i + 1);
const serverPooled = pooledTrend(lives.map((l) => lifePoints("server", l, "rss", WARMUP * 60)));
const serverPooledHeap = pooledTrend(lives.map((l) => lifePoints("server", l, "heapUsed", WARMUP * 60)));

const f1 = (t: Trend) => (Number.isFinite(t.perHour) ? `${t.perHour >= 0 ? "+" : ""}${t.perHour.toFixed(1)}` : "-");
console.log(
  `\nMemory (MB = 10^6 bytes; trends in MB/h, least squares; warm-up ${WARMUP} min of each process life; last half of each life)`,
);
const header = [
  "process",
  "samples",
  "RSS first -> last",
  "RSS all",
  "RSS after warm-up",
  "RSS last half",
  "anon after warm-up",
  "heap after warm-up",
  "heap last half",
];
const table = rows.map((r) => [
  `${r.proc} ${r.life} (${r.span})`,
  String(r.all.n),
  `${fmt(r.first, 1)} -> ${fmt(r.last, 1)}`,
  f1(r.all),
  f1(r.afterWarmup),
  f1(r.lastHalf),
  f1(r.anonAfterWarmup),
  f1(r.heapAfterWarmup),
  f1(r.heapLastHalf),
]);
if (serverLife > 1)
  table.push([
    "server, lives pooled",
    String(serverPooled.n),
    "",
    "",
    f1(serverPooled),
    "",
    "",
    f1(serverPooledHeap),
    "",
  ]);
printTable(header, table);

// Heap right after each major GC (the first sample after the count went up): the level garbage falls back to.
for (const proc of ["server", "agent"] as const)
  for (const l of proc === "server" ? lives : [1]) {
    const xs = samples.filter((x) => x[proc].life === l && x[proc].m?.gcMajor !== undefined);
    const after = xs.filter((x, i) => i > 0 && x[proc].m!.gcMajor > xs[i - 1][proc].m!.gcMajor);
    if (!xs.length) continue;
    const gcs = xs[xs.length - 1][proc].m!.gcMajor - xs[0][proc].m!.gcMajor;
    const shown = after.length > 12 ? after.filter((_, i) => i % Math.ceil(after.length / 12) === 0) : after;
    console.log(
      `${proc}${proc === "server" ? ` life ${l}` : ""}: ${gcs} major GCs while sampled; heap just after them (min: MB) ` +
        (shown.map((x) => `${fmt((x.t - agentStart) / 60, 0)}: ${fmt(x[proc].heapUsed! / MB, 1)}`).join(", ") || "-"),
    );
  }

const snaps = samples.filter((x) => x.phase === "snapshot");
if (snaps.length) {
  console.log("\nLive heap: V8 heap used just after each heap snapshot (a full GC precedes it), MB");
  printTable(
    ["min", "server (life)", "agent"],
    snaps.map((x) => [
      fmt((x.t - agentStart) / 60, 1),
      x.server.heapUsed ? `${fmt(x.server.heapUsed / MB, 2)} (${x.server.life})` : "-",
      x.agent.heapUsed ? fmt(x.agent.heapUsed / MB, 2) : "-",
    ]),
  );
  const live = (proc: "server" | "agent") =>
    pooledTrend(
      (proc === "server" ? lives : [1]).map((l) =>
        snaps.filter((x) => x[proc].life === l && x[proc].heapUsed).map((x) => ({ t: x.t, y: x[proc].heapUsed! / MB })),
      ),
    );
  console.log(
    `live heap trend (one level per life): server ${f1(live("server"))} MB/h, agent ${f1(live("agent"))} MB/h`,
  );
}

// Counters: the agent ran once; the server's restart at the outage reset its counters, so each life's
// last sample is added up.
const a = lastRun.agent.m ?? {};
const serverTotals: Record<string, number> = {};
for (const l of lives) {
  const last = [...samples].reverse().find((s) => s.server.life === l && s.server.m);
  for (const [k, v] of Object.entries(last?.server.m ?? {}))
    if (!["backlog", "persons", "indexFaces", "sseClients", "handles"].includes(k))
      serverTotals[k] = (serverTotals[k] ?? 0) + v;
}
const spoolMax = samples.reduce(
  (m, s) =>
    (s.agent.m?.spooled ?? 0) > m.events ? { events: s.agent.m!.spooled, bytes: s.agent.m!.spoolBytes, t: s.t } : m,
  { events: 0, bytes: 0, t: 0 },
);
const cores = (proc: "server" | "agent") => {
  const xs = samples.filter((s) => s[proc].cpu !== undefined);
  let cpu = 0;
  let span = 0;
  for (let i = 1; i < xs.length; i++)
    if (xs[i][proc].pid === xs[i - 1][proc].pid) {
      cpu += xs[i][proc].cpu! - xs[i - 1][proc].cpu!;
      span += xs[i].t - xs[i - 1].t;
    }
  return span ? cpu / span : Number.NaN;
};
const decoded = a.decoded ?? 0;
console.log("\nCounters");
printTable(
  ["what", "figure"],
  [
    [
      "agent frames decoded / analyzed / dropped",
      `${decoded} / ${a.analyzed ?? 0} / ${a.dropped ?? 0} (${fmt((100 * (a.dropped ?? 0)) / Math.max(1, decoded), 2)}% dropped)`,
    ],
    [
      "agent events made / acknowledged by the broker / written to the file sink",
      `${a.events ?? 0} / ${a.published ?? 0} / ${a.written ?? 0} (at the end of the run; ${a.eventErrors ?? 0} event errors)`,
    ],
    [
      "server events received / stored / updated / duplicates / dead letters (lives summed)",
      `${serverTotals.received ?? 0} / ${serverTotals.stored ?? 0} / ${serverTotals.updated ?? 0} / ${serverTotals.duplicates ?? 0} / ${serverTotals.deadLetters ?? 0}`,
    ],
    [
      "events in the agent's file sink (all it made, incl. at its stop) / stored / still spooled / LOST",
      IDS_ON
        ? `${eventsInFile} / ${eventsInFile - lost - notAcked} / ${notAcked} (spool files left: ${pending.size}) / ${lost}`
        : "(--no-ids)",
    ],
    ["sightings stored / not made by this agent", `${sightings.length} / ${unknownSightings}`],
    [
      "stream: sightings received / stored but never received / received twice",
      SSE_ON
        ? `${sseSightings.size} / ${missed.length} (${missedDuringOutage} captured around the outage; ${missedInReplay.length} in the restarted server's replay buffer, stream ids ${
            missedInReplay
              .map((s) => replayed.get(s.id))
              .sort((x, y) => x! - y!)
              .join(",") || "-"
          }) / ${sseDupes}`
        : "(--no-sse)",
    ],
    [
      "stream: connections / drops / HTTP errors / event ids going backwards",
      sse
        ? `${sse.stats.connects} / ${sse.stats.drops} / ${sse.stats.httpErrors} / ${sse.stats.idResets.length}${sse.stats.idResets.length ? ` (${sse.stats.idResets.map((r) => `${r.from}->${r.to}`).join(", ")})` : ""}`
        : "-",
    ],
    [
      "agent spool: most events / bytes (at min), dropped",
      `${spoolMax.events} / ${fmt(spoolMax.bytes / MB, 2)} MB (${fmt((spoolMax.t - agentStart) / 60, 1)}), ${a.spoolDropped ?? 0}`,
    ],
    ["camera reconnects", String(a.reconnects ?? 0)],
    [
      "cores: server / agent (node) / load average (mean)",
      `${fmt(cores("server"), 2)} / ${fmt(cores("agent"), 2)} / ${fmt(mean(samples.map((s) => s.load1)), 1)}`,
    ],
    [
      "server: persons / index faces / database+WAL at the end",
      `${final.server.m?.persons ?? "-"} / ${final.server.m?.indexFaces ?? "-"} / ${fmt((final.dbBytes ?? 0) / MB, 1)} MB`,
    ],
  ],
);
if (lostExamples.length) console.log(`lost, e.g.: ${lostExamples.join("; ")}`);

// A coarse time series: one row per 5 minutes.
console.log("\nEvery 5 minutes (MB)");
const ts: string[][] = [];
for (let m = 0; ; m += 5) {
  const s = samples.find((x) => x.t >= agentStart + m * 60);
  if (!s) break;
  ts.push([
    String(m),
    s.server.rss ? fmt(s.server.rss / MB, 1) : "down",
    s.server.heapUsed ? fmt(s.server.heapUsed / MB, 1) : "-",
    s.agent.rss ? fmt(s.agent.rss / MB, 1) : "-",
    s.agent.heapUsed ? fmt(s.agent.heapUsed / MB, 1) : "-",
    s.agent.ffmpegRss ? fmt(s.agent.ffmpegRss / MB, 1) : "-",
    String(s.agent.m?.spooled ?? "-"),
    String(s.agent.m?.published ?? "-"),
    String(s.server.m?.stored ?? "-"),
    String(s.sse?.sightings ?? "-"),
  ]);
}
printTable(
  [
    "min",
    "server RSS",
    "server heap",
    "agent RSS",
    "agent heap",
    "ffmpeg RSS",
    "spooled",
    "agent acked",
    "server stored (life)",
    "stream sightings",
  ],
  ts,
);

const worst = (proc: string) =>
  Math.max(
    ...rows
      .filter((r) => r.proc === proc)
      .map((r) => (Number.isFinite(r.afterWarmup.perHour) ? r.afterWarmup.perHour : 0)),
  );
const goals = [
  ["server RSS after warm-up < 5 MB/h (each life)", worst("server") < 5],
  ["agent RSS after warm-up < 5 MB/h", worst("agent") < 5],
  ["no event lost", IDS_ON ? lost === 0 : "n/a"],
  ["no stored sighting missing from the stream", SSE_ON ? missed.length === 0 : "n/a"],
  ["no spool drops", (a.spoolDropped ?? 0) === 0],
] as const;
console.log("\nGoals");
for (const [g, ok] of goals) console.log(`  ${ok === "n/a" ? "n/a " : ok ? "PASS" : "FAIL"}  ${g}`);

await writeFile(
  `${OUT_BASE}.summary.json`,
  JSON.stringify(
    {
      args: values,
      start: new Date(T0).toISOString(),
      agentStart,
      agentStoppedAt,
      serverStarts,
      serverStops,
      cameras: cams,
      trends: rows,
      serverPooled,
      serverPooledHeap,
      agent: a,
      serverTotals,
      ids: IDS_ON ? { eventsInFile, lost, notAcked, pendingFiles: pending.size, lostExamples } : null,
      sightings: sightings.length,
      unknownSightings,
      stream: sse
        ? {
            received: sseSightings.size,
            missed: missed.length,
            missedDuringOutage,
            duplicates: sseDupes,
            ...sse.stats,
            missedInReplay: missedInReplay.map((s) => ({ id: s.id, streamId: replayed.get(s.id) })),
            missedExamples: missed.slice(0, 20).map((s) => ({ id: s.id, capturedAt: s.capturedAt })),
          }
        : null,
      spoolMax,
      goals: Object.fromEntries(goals),
    },
    null,
    2,
  ),
);
console.log(`\nsamples: ${OUT}\nsummary: ${OUT_BASE}.summary.json`);
if (!values.keep) rmSync(WORK, { recursive: true, force: true });
else console.log(`kept: ${WORK}`);
process.exit(0);

function printTable(head: string[], body: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? "").padEnd(w[i])).join(" | ")} |`;
  console.log(line(head));
  console.log(`| ${w.map((n) => "-".repeat(n)).join(" | ")} |`);
  for (const r of body) console.log(line(r));
}
