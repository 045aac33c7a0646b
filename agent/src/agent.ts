/**
 * The agent: the config directory -> a fleet of camera runners -> sinks (spool + MQTT, and/or a
 * JSONL file), with hot reload, retained status messages, metrics and a health endpoint. This file
 * only composes the parts; each lives in its folder:
 *   fleet/fleet.ts       cameras: start, stop, reconcile with the config directory, hot reload, --once
 *   publish/sinks.ts     spool + MQTT link, file sink, delivery of an event to them
 *   status/status.ts     agent and camera status bodies, retained MQTT status, gauges
 *   status/opsServer.ts  /health, /status, /metrics
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ArgusError, createLogger, type FaceEngine, type Logger, redactUrl } from "@argus/shared";
import { loadAgentConfigFile } from "@argus/shared/config/agentFiles";
import { ConfigError } from "@argus/shared/config/loader";
import type { AgentConfig } from "@argus/shared/config/schema";
import { FacePool } from "@argus/shared/face/pool";
import { CameraFleet } from "./fleet/fleet.ts";

/**
 * The face workers' initial V8 old generation, MB: their frame-sized buffers otherwise set off a
 * full GC every frame or two (FacePoolOptions.initialOldSpaceMb). The main thread's is set where
 * the process starts (`pnpm agent` passes --initial-old-space-size=128 to Node).
 */
export const AGENT_WORKER_OLD_SPACE_MB = 128;

import { type AgentMetrics, createMetrics } from "./ops/metrics.ts";
import { Sinks } from "./publish/sinks.ts";
import { type AgentOps, startAgentOps } from "./status/opsServer.ts";
import { type AgentStatusBody, StatusPublisher } from "./status/status.ts";

export type { CameraSummary } from "./fleet/fleet.ts";
export type { AgentStatusBody } from "./status/status.ts";

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
  const cfg = parsed.value;
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
    : await FacePool.create({
        workers: opts.workers,
        intraOpThreads: cfg.intraOpThreads,
        initialOldSpaceMb: AGENT_WORKER_OLD_SPACE_MB,
      });
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

  // The parts call each other through these hooks; `status` exists before anything can call them.
  let status!: StatusPublisher;
  let stopping = false;
  const sinks = await step(
    Sinks.open({
      config: cfg,
      configDir,
      output: opts.output,
      log,
      metrics,
      onConnected: (c) => c && status.all(),
      onAcked: opts.onAcked,
    }),
  );
  const fleet = new CameraFleet({
    configDir,
    agentFile,
    env,
    config: cfg,
    runId,
    engine,
    metrics,
    log,
    fast,
    deliver: (event, shot) => sinks.deliver(event, shot),
    hooks: { camera: (s) => status.camera(s), changed: () => status.agent(), frame: (c, f) => status.frame(c, f) },
  });
  status = new StatusPublisher({
    agentId: cfg.id,
    runId,
    version: AGENT_VERSION,
    fleet,
    sinks,
    metrics,
    queuedFaceCalls: ownPool ? () => ownPool.queued : undefined,
    log,
  });
  const port = opts.opsPort !== undefined ? opts.opsPort : cfg.ops.port;
  const ops: AgentOps | undefined =
    port === null
      ? undefined
      : await step(startAgentOps(cfg.ops.host, port, { metrics, status, sinks, stopping: () => stopping }));

  log.info(
    {
      configDir,
      broker: cfg.broker ? redactUrl(cfg.broker.url) : undefined,
      output: sinks.file?.path,
      spool: sinks.spool?.dir,
      ops: ops?.url,
      fast,
      once,
      runId,
    },
    "agent: starting",
  );
  sinks.start();
  await fleet.start(opts.watch ?? !once);
  status.every(cfg.ops.statusIntervalMs);

  let resolveFinished!: (r: AgentResult) => void;
  const finished = new Promise<AgentResult>((r) => {
    resolveFinished = r;
  });
  let stopPromise: Promise<AgentResult> | undefined;

  const stop = (reason = "stopped"): Promise<AgentResult> => {
    stopPromise ??= (async () => {
      stopping = true;
      log.info({ reason }, "agent: stopping");
      status.stop();
      await fleet.stop();
      // Every camera has made its last events (embeddings included): the workers can go.
      await ownPool?.close();
      for (const s of fleet.running()) status.camera(s);
      await sinks.close(() => ({ ...status.body(), state: "offline" }));
      await ops?.close();
      const { failedCameras, configProblems, agentProblem } = fleet.outcome();
      const res: AgentResult = {
        exitCode: failedCameras.length || configProblems || agentProblem ? 1 : 0,
        events: fleet.events,
        failedCameras,
        configProblems,
      };
      log.info(res, "agent: stopped");
      resolveFinished(res);
      return res;
    })();
    return stopPromise;
  };

  if (once) {
    fleet.whenFilesEnd(async () => {
      await sinks.drain();
      await stop("--once: every file ended and every event was delivered");
    });
  }

  return {
    get id() {
      return fleet.config.id;
    },
    get config() {
      return fleet.config;
    },
    opsUrl: ops?.url,
    metrics,
    finished,
    stop,
    status: () => status.body(),
    reload: () => fleet.reload(),
  };
}
