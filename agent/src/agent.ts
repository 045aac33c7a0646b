/**
 * The agent: config directory -> one CameraRunner per camera file -> sinks (spool + MQTT, and/or a
 * JSONL file), with hot reload, retained status messages, metrics and a health endpoint.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import {
  ArgusError,
  type CameraStatus,
  createLogger,
  type FaceEngine,
  type FaceEvent,
  type Logger,
  redactUrl,
} from "@argus/shared";
import { loadAgentConfigFile } from "@argus/shared/config/agentFiles";
import { ConfigError, formatIssues } from "@argus/shared/config/loader";
import type { AgentConfig } from "@argus/shared/config/schema";
import { FacePool } from "@argus/shared/face/pool";
import type { Shot } from "./camera/analyzer.ts";
import { CameraRunner } from "./camera/runner.ts";
import { type ConfigProblem, readCameraDir } from "./config/cameraFiles.ts";
import { ConfigWatcher } from "./config/watcher.ts";
import { startOpsServer } from "./ops/http.ts";
import { type AgentMetrics, createMetrics } from "./ops/metrics.ts";
import { FileSink } from "./publish/fileSink.ts";
import { MqttLink } from "./publish/mqtt.ts";
import { Spool } from "./publish/spool.ts";

export const AGENT_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export interface AgentOptions {
  /** Directory with agent.yaml (optional) and cameras/*.yaml. */
  configDir: string;
  /** File sink: events as JSONL, crops beside it. */
  output?: string;
  /** Exit when every file source has ended and every event is delivered. */
  once?: boolean;
  /** Files as fast as possible instead of at their native rate. */
  fast?: boolean;
  /** Hot reload of the config directory (default: on, off with `once`). */
  watch?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /**
   * A face engine to share (e.g. a FacePool or FacePipeline also used by a server in the same
   * process); by default the agent starts its own FacePool and closes it when it stops.
   */
  pipeline?: FaceEngine;
  /** Worker threads of the agent's own FacePool (default: $ARGUS_FACE_WORKERS, else one per core). */
  workers?: number;
  /** Overrides ops.port from agent.yaml (0: any free port, null: no HTTP endpoint). */
  opsPort?: number | null;
  /** Process CPU/memory metrics (default on; off when several agents share a process). */
  processMetrics?: boolean;
  /** Called when the broker acknowledges an event (latency figures for benchmarks and embedders). */
  onAcked?(info: { eventId: string; cameraId: string; shotToAckMs: number; frameToAckMs: number }): void;
}

export interface AgentResult {
  /** 0: all sources ended normally; 1: a camera failed or a config file was invalid. */
  exitCode: number;
  events: number;
  failedCameras: string[];
  configProblems: number;
}

export interface CameraSummary {
  id: string;
  name?: string;
  file?: string;
  state: CameraStatus["state"];
  reason?: string;
  source?: string;
  fps?: number;
  frame?: { width: number; height: number };
  lastEventAt?: string;
  counters?: Record<string, number>;
}

export interface AgentStatusBody {
  agentId: string;
  state: "online" | "offline";
  at: string;
  version: string;
  runId: string;
  cameras: Record<string, CameraSummary>;
  configErrors: { file: string; message: string }[];
  broker?: { url: string; connected: boolean; error?: string };
  spool?: { events: number; bytes: number; dropped: number };
  output?: { path: string; events: number };
}

export interface RunningAgent {
  readonly id: string;
  readonly config: AgentConfig;
  /** http://host:port of /metrics, /health, /status (when enabled). */
  readonly opsUrl?: string;
  readonly metrics: AgentMetrics;
  /** Resolves once the agent has stopped (after stop(), or by itself with `once`). */
  readonly finished: Promise<AgentResult>;
  stop(reason?: string): Promise<AgentResult>;
  status(): AgentStatusBody;
  /** Re-reads the config directory now (the watcher does this by itself). */
  reload(): void;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const configDir = resolve(opts.configDir);
  const env = opts.env ?? process.env;
  const agentFile = join(configDir, "agent.yaml");
  const parsed = loadAgentConfigFile(agentFile, env);
  if (!parsed.ok) throw new ConfigError(parsed.issues);
  let cfg = parsed.value;
  if (!cfg.broker && !opts.output) {
    throw new ArgusError(
      "CONFIG_INVALID",
      `${agentFile}: field 'broker': nothing to send events to; expected broker.url (or ARGUS_BROKER_URL) or the --output option`,
    );
  }
  const log = (opts.logger ?? createLogger("agent")).child({ agent: cfg.id });
  const runId = randomBytes(3).toString("hex");
  const metrics = createMetrics(cfg.id, { processMetrics: opts.processMetrics });
  const fast = opts.fast ?? cfg.fast;
  const once = opts.once ?? false;
  // Model work runs in worker threads: onnxruntime-node runs synchronously on the calling thread,
  // so in-process it would use one core for all cameras and block the event loop.
  const ownPool = opts.pipeline
    ? undefined
    : await FacePool.create({ workers: opts.workers, intraOpThreads: cfg.intraOpThreads });
  const engine: FaceEngine = opts.pipeline ?? ownPool!;
  /** A start-up step that may fail: the workers must not outlive a failed start. */
  const step = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      await ownPool?.close();
      throw e;
    }
  };

  // Sinks.
  let spool: Spool | undefined;
  let link: MqttLink | undefined;
  /** performance.now() of each event's best-shot choice and of its frame's arrival, until its PUBACK. */
  const chosenAt = new Map<string, { shot: number; frame: number }>();
  if (cfg.broker) {
    spool = await step(Spool.open(resolve(configDir, cfg.spool.dir), cfg.spool, log));
    const sp = spool;
    sp.on("dropped", () => metrics.spoolDropped.inc());
    link = new MqttLink(cfg.broker, cfg.id, sp, log, {
      onConnected: (c) => {
        metrics.brokerConnected.set(c ? 1 : 0);
        if (c) publishAllStatus();
      },
      onAcked: (e) => {
        metrics.published.inc();
        const t = chosenAt.get(e.eventId);
        if (t !== undefined) {
          chosenAt.delete(e.eventId);
          const now = performance.now();
          metrics.latency.observe((now - t.shot) / 1000);
          opts.onAcked?.({
            eventId: e.eventId,
            cameraId: e.cameraId,
            shotToAckMs: now - t.shot,
            frameToAckMs: now - t.frame,
          });
        }
      },
    });
  }
  const fileSink = opts.output ? await step(FileSink.open(opts.output)) : undefined;

  const deliver = async (event: FaceEvent, shot: Shot): Promise<void> => {
    const payload = Buffer.from(JSON.stringify(event));
    const t0 = performance.now();
    const jobs: Promise<unknown>[] = [];
    if (fileSink) jobs.push(fileSink.write(event, payload).then(() => metrics.written.inc()));
    if (spool && link) {
      chosenAt.set(event.eventId, { shot: shot.chosenAt, frame: shot.payload.frame.arrivedAt });
      if (chosenAt.size > 100_000) chosenAt.delete(chosenAt.keys().next().value!);
      jobs.push(
        spool.put(link.topics.faces(cfg.id, event.cameraId), payload, {
          cameraId: event.cameraId,
          eventId: event.eventId,
        }),
      );
    }
    await Promise.all(jobs);
    metrics.stage.observe({ stage: "store" }, (performance.now() - t0) / 1000);
  };

  // Cameras.
  const runners = new Map<string, { runner: CameraRunner; key: string; file: string }>();
  const disabled = new Map<string, CameraSummary>();
  let problems: ConfigProblem[] = [];
  let agentProblem: ConfigProblem | undefined;
  const failed = new Set<string>();
  let stopping = false;

  const summary = (r: CameraRunner, file?: string): CameraSummary => ({
    id: r.cam.id,
    name: r.cam.name,
    file,
    state: r.state,
    reason: r.reason,
    source: r.source.kind,
    fps: r.cam.fps,
    frame: r.info ? { width: r.info.width, height: r.info.height } : undefined,
    lastEventAt: r.lastEventAt,
    counters: { ...r.counters },
  });

  const cameraStatus = (s: CameraSummary): CameraStatus => ({
    agentId: cfg.id,
    cameraId: s.id,
    state: s.state,
    reason: s.reason,
    at: new Date().toISOString(),
    name: s.name,
    fps: s.fps,
    lastEventAt: s.lastEventAt,
    counters: s.counters,
  });

  const publishCamera = (s: CameraSummary) => {
    for (const st of ["connecting", "streaming", "reconnecting", "failed", "done", "stopped", "disabled"] as const) {
      metrics.cameraState.set({ camera: s.id, state: st }, st === s.state ? 1 : 0);
    }
    link?.publishRetained(link.topics.cameraStatus(cfg.id, s.id), cameraStatus(s));
  };

  const status = (): AgentStatusBody => {
    const cameras: Record<string, CameraSummary> = {};
    for (const [id, { runner, file }] of runners) cameras[id] = summary(runner, file);
    for (const [id, s] of disabled) if (!cameras[id]) cameras[id] = s;
    const errs = [...(agentProblem ? [agentProblem] : []), ...problems];
    return {
      agentId: cfg.id,
      state: "online",
      at: new Date().toISOString(),
      version: AGENT_VERSION,
      runId,
      cameras,
      configErrors: errs.map((p) => ({ file: p.file, message: p.message })),
      broker:
        cfg.broker && link
          ? { url: redactUrl(cfg.broker.url), connected: link.connected, error: link.error }
          : undefined,
      spool: spool ? { events: spool.size, bytes: spool.bytes, dropped: spool.droppedTotal } : undefined,
      output: fileSink ? { path: fileSink.path, events: fileSink.written } : undefined,
    };
  };

  const refreshGauges = () => {
    if (ownPool) metrics.faceCallsWaiting.set(ownPool.queued);
    if (spool) {
      metrics.spooled.set(spool.size);
      metrics.spoolBytes.set(spool.bytes);
    }
  };

  const publishAgentStatus = () => {
    if (link) link.publishRetained(link.topics.agentStatus(cfg.id), status());
    refreshGauges();
  };

  function publishAllStatus() {
    publishAgentStatus();
    for (const { runner, file } of runners.values()) publishCamera(summary(runner, file));
    for (const s of disabled.values()) publishCamera(s);
  }

  let onceCheck = () => {};
  const startRunner = (file: string, key: string, cam: CameraRunner["cam"]) => {
    const runner = new CameraRunner(cam, {
      agentId: cfg.id,
      runId,
      engine,
      metrics,
      log,
      baseDir: configDir,
      fast,
      deliver,
      onState: (r) => {
        if (r.state === "failed") failed.add(r.cam.id);
        publishCamera(summary(r, file));
        publishAgentStatus();
      },
    });
    runners.set(cam.id, { runner, key, file });
    disabled.delete(cam.id);
    void runner.done.then(() => onceCheck());
    publishCamera(summary(runner, file));
  };

  const reconcile = async () => {
    if (stopping) return;
    const set = readCameraDir(configDir, cfg.cameraDefaults);
    problems = set.problems;
    metrics.configErrors.set(problems.length + (agentProblem ? 1 : 0));
    for (const p of problems) log.error({ file: p.file, camera: p.cameraId }, `config: ${p.message}; camera disabled`);
    const badFiles = new Set(problems.map((p) => p.file));
    const stops: Promise<void>[] = [];
    // Stop cameras that were removed, changed, disabled or whose file became invalid.
    for (const [id, cur] of runners) {
      const next = set.cameras.get(id);
      if (next && next.key === cur.key && next.camera.enabled) continue;
      runners.delete(id);
      const why = !next
        ? badFiles.has(cur.file)
          ? "config file invalid"
          : "removed from the config"
        : next.key !== cur.key
          ? "config changed"
          : "disabled in the config";
      log.info({ camera: id, reason: why }, "config: stopping camera");
      stops.push(
        cur.runner.stop(why).then(() => {
          const s = summary(cur.runner, cur.file);
          if (!next && !badFiles.has(cur.file)) {
            publishCamera({ ...s, state: "stopped", reason: why });
          }
        }),
      );
    }
    await Promise.all(stops);
    const newDisabled = new Map<string, CameraSummary>();
    for (const p of problems) {
      const id = p.cameraId ?? p.file;
      newDisabled.set(id, { id, file: p.file, state: "disabled", reason: p.message });
    }
    const publishable = new Set(problems.flatMap((p) => (p.cameraId ? [p.cameraId] : [])));
    for (const [id, e] of set.cameras) {
      if (!e.camera.enabled) {
        newDisabled.set(id, { id, name: e.camera.name, file: e.file, state: "disabled", reason: "enabled: false" });
        continue;
      }
      if (!runners.has(id) && !stopping) startRunner(e.file, e.key, e.camera);
    }
    disabled.clear();
    for (const [id, s] of newDisabled) {
      disabled.set(id, s);
      // A file too broken to name its camera is reported in the agent status only.
      if (publishable.has(id) || set.cameras.has(id)) publishCamera(s);
    }
    publishAgentStatus();
  };

  const reloadAgentYaml = () => {
    const r = loadAgentConfigFile(agentFile, env);
    if (!r.ok) {
      agentProblem = { file: agentFile, message: formatIssues(r.issues), issues: r.issues };
      log.error({ file: agentFile }, `config: ${agentProblem.message}; keeping the previous agent settings`);
      return;
    }
    agentProblem = undefined;
    const next = r.value;
    const restartNeeded = (["id", "broker", "spool", "ops", "intraOpThreads"] as const).filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(cfg[k]),
    );
    if (restartNeeded.length) {
      log.warn({ fields: restartNeeded }, "config: agent.yaml changed fields that apply only after a restart");
    }
    cfg = { ...cfg, cameraDefaults: next.cameraDefaults, fast: next.fast };
  };

  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      reloadAgentYaml();
      await reconcile();
    });
  };

  // Ops endpoint.
  let server: Server | undefined;
  let opsUrl: string | undefined;
  const port = opts.opsPort !== undefined ? opts.opsPort : cfg.ops.port;
  if (port !== null) {
    const o = await step(
      startOpsServer(cfg.ops.host, port, {
        registry: metrics.registry,
        beforeMetrics: refreshGauges,
        status,
        health: () => {
          const st = status();
          const cams = Object.values(st.cameras);
          const bad = cams.filter((c) => c.state === "failed" || c.state === "reconnecting").map((c) => c.id);
          return {
            ok: !stopping,
            status: stopping ? "stopping" : bad.length || (link && !link.connected) ? "degraded" : "ok",
            broker: st.broker,
            cameras: Object.fromEntries(cams.map((c) => [c.id, c.state])),
            problems: bad,
            spool: st.spool,
            configErrors: st.configErrors.length,
          };
        },
      }),
    );
    server = o.server;
    opsUrl = o.url;
  }

  log.info(
    {
      configDir,
      broker: cfg.broker ? redactUrl(cfg.broker.url) : undefined,
      output: fileSink?.path,
      spool: spool?.dir,
      ops: opsUrl,
      fast,
      once,
      runId,
    },
    "agent: starting",
  );
  link?.start();
  await reconcile();
  const watcher = (opts.watch ?? !once) ? new ConfigWatcher(configDir, reload) : undefined;
  const timer = setInterval(publishAllStatus, cfg.ops.statusIntervalMs);
  timer.unref();

  let resolveFinished!: (r: AgentResult) => void;
  const finished = new Promise<AgentResult>((r) => {
    resolveFinished = r;
  });
  let stopPromise: Promise<AgentResult> | undefined;

  const stop = (reason = "stopped"): Promise<AgentResult> => {
    stopPromise ??= (async () => {
      stopping = true;
      log.info({ reason }, "agent: stopping");
      watcher?.close();
      clearInterval(timer);
      await reloading.catch(() => {});
      await Promise.all([...runners.values()].map(({ runner }) => runner.stop("agent stopping")));
      // Every camera has made its last events (embeddings included): the workers can go.
      await ownPool?.close();
      for (const { runner, file } of runners.values()) publishCamera(summary(runner, file));
      await fileSink?.close();
      await spool?.close();
      const events = [...runners.values()].reduce((s, { runner }) => s + runner.counters.events, 0);
      await link?.close({ ...status(), state: "offline" });
      if (spool?.size)
        log.warn(
          { events: spool.size, dir: spool.dir },
          "agent: undelivered events stay in the spool for the next run",
        );
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      const res: AgentResult = {
        exitCode: failed.size || problems.length || agentProblem ? 1 : 0,
        events,
        failedCameras: [...failed],
        configProblems: problems.length,
      };
      log.info(res, "agent: stopped");
      resolveFinished(res);
      return res;
    })();
    return stopPromise;
  };

  if (once) {
    let checking = false;
    onceCheck = () => {
      if (checking || stopping) return;
      const list = [...runners.values()].map((r) => r.runner);
      const files = list.filter((r) => r.finite);
      if (files.some((r) => r.state !== "done" && r.state !== "failed" && r.state !== "stopped")) return;
      checking = true;
      void (async () => {
        await Promise.all(files.map((r) => r.done));
        // Live sources have no end: with --once they stop when the files are done.
        await Promise.all(list.filter((r) => !r.finite).map((r) => r.stop("--once: files done")));
        await fileSink?.close().catch(() => {});
        if (spool) {
          log.info({ events: spool.size }, "agent: files done; waiting for the broker to acknowledge every event");
          await spool.whenEmpty();
        }
        await stop("--once: every file ended and every event was delivered");
      })();
    };
    onceCheck();
  }

  return {
    get id() {
      return cfg.id;
    },
    get config() {
      return cfg;
    },
    opsUrl,
    metrics,
    finished,
    stop,
    status,
    reload,
  };
}
