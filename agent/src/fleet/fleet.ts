/**
 * The camera fleet: one CameraRunner per camera file of the config directory. Reconciling starts,
 * stops and restarts runners to match the files (a bad file disables only its camera); hot reload
 * re-reads agent.yaml's camera defaults and the camera files on change; with `--once` it reports
 * when every file source has ended. It reports what changed through hooks and never publishes itself.
 */
import type { CameraStatus, FaceEngine, Logger } from "@argus/shared";
import { loadAgentConfigFile } from "@argus/shared/config/agentFiles";
import { formatIssues } from "@argus/shared/config/loader";
import type { AgentConfig } from "@argus/shared/config/schema";
import { CameraRunner, type RunnerContext } from "../camera/runner.ts";
import { type ConfigProblem, readCameraDir } from "../config/cameraFiles.ts";
import { ConfigWatcher } from "../config/watcher.ts";
import type { AgentMetrics } from "../ops/metrics.ts";

/** One camera as the agent reports it: a runner's live state, or a camera the config disables. */
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

export function summarize(r: CameraRunner, file?: string): CameraSummary {
  return {
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
  };
}

export interface FleetHooks {
  /** A camera's state changed (or the config stopped or disabled it): publish it. */
  camera(s: CameraSummary): void;
  /** The fleet as a whole changed (cameras, config errors): publish the agent status. */
  changed(): void;
  /** A camera decoded a frame (read it synchronously: its buffer is reused after). */
  frame?: RunnerContext["onFrame"];
}

export interface FleetOptions {
  configDir: string;
  /** agent.yaml (re-read on reload for its camera defaults). */
  agentFile: string;
  env: NodeJS.ProcessEnv;
  config: AgentConfig;
  runId: string;
  engine: FaceEngine;
  metrics: AgentMetrics;
  log: Logger;
  /** Files as fast as possible (fixed at start). */
  fast: boolean;
  deliver: RunnerContext["deliver"];
  hooks: FleetHooks;
}

interface Running {
  runner: CameraRunner;
  /** The camera's effective config (canonical JSON): a change restarts it. */
  key: string;
  file: string;
}

export class CameraFleet {
  private cfg: AgentConfig;
  private readonly runners = new Map<string, Running>();
  private readonly disabled = new Map<string, CameraSummary>();
  private problems: ConfigProblem[] = [];
  private agentProblem: ConfigProblem | undefined;
  private readonly failed = new Set<string>();
  private stopping = false;
  private watcher: ConfigWatcher | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private onRunnerDone = () => {};

  constructor(private readonly o: FleetOptions) {
    this.cfg = o.config;
  }

  /** The agent settings in force (camera defaults follow agent.yaml on reload; the rest needs a restart). */
  get config(): AgentConfig {
    return this.cfg;
  }

  /** Starts the cameras of the config directory, then (with `watch`) follows its changes. */
  async start(watch: boolean): Promise<void> {
    await this.reconcile();
    if (watch) this.watcher = new ConfigWatcher(this.o.configDir, () => this.reload());
  }

  /** Re-reads agent.yaml and the camera files (one reload at a time, in order). */
  reload(): void {
    this.reloading = this.reloading.then(async () => {
      this.reloadAgentYaml();
      await this.reconcile();
    });
  }

  /** Every camera: running ones, then those the config disables. */
  cameras(): Record<string, CameraSummary> {
    const out: Record<string, CameraSummary> = {};
    for (const [id, { runner, file }] of this.runners) out[id] = summarize(runner, file);
    for (const [id, s] of this.disabled) if (!out[id]) out[id] = s;
    return out;
  }

  /** The running cameras only. */
  running(): CameraSummary[] {
    return [...this.runners.values()].map(({ runner, file }) => summarize(runner, file));
  }

  /** Config problems: agent.yaml's (on reload) first, then the camera files'. */
  configErrors(): ConfigProblem[] {
    return [...(this.agentProblem ? [this.agentProblem] : []), ...this.problems];
  }

  /** Events delivered by the cameras running now. */
  get events(): number {
    return [...this.runners.values()].reduce((s, { runner }) => s + runner.counters.events, 0);
  }

  /** What the agent's exit code is made of. */
  outcome(): { failedCameras: string[]; configProblems: number; agentProblem: boolean } {
    return { failedCameras: [...this.failed], configProblems: this.problems.length, agentProblem: !!this.agentProblem };
  }

  /**
   * --once: calls `then` once every file source has ended and its last events are delivered, after
   * stopping the live sources (they have no end of their own).
   */
  whenFilesEnd(then: () => Promise<void>): void {
    let checking = false;
    this.onRunnerDone = () => {
      if (checking || this.stopping) return;
      const list = [...this.runners.values()].map((r) => r.runner);
      const files = list.filter((r) => r.finite);
      if (files.some((r) => r.state !== "done" && r.state !== "failed" && r.state !== "stopped")) return;
      checking = true;
      void (async () => {
        await Promise.all(files.map((r) => r.done));
        await Promise.all(list.filter((r) => !r.finite).map((r) => r.stop("--once: files done")));
        await then();
      })();
    };
    this.onRunnerDone();
  }

  /** Stops following the config and stops every camera; resolves once their last events are delivered. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    await this.reloading.catch(() => {});
    await Promise.all([...this.runners.values()].map(({ runner }) => runner.stop("agent stopping")));
  }

  private startRunner(file: string, key: string, cam: CameraRunner["cam"]): void {
    const { o } = this;
    const runner = new CameraRunner(cam, {
      agentId: this.cfg.id,
      runId: o.runId,
      engine: o.engine,
      metrics: o.metrics,
      log: o.log,
      baseDir: o.configDir,
      fast: o.fast,
      deliver: o.deliver,
      onFrame: o.hooks.frame,
      onState: (r) => {
        if (r.state === "failed") this.failed.add(r.cam.id);
        o.hooks.camera(summarize(r, file));
        o.hooks.changed();
      },
    });
    this.runners.set(cam.id, { runner, key, file });
    this.disabled.delete(cam.id);
    void runner.done.then(() => this.onRunnerDone());
    o.hooks.camera(summarize(runner, file));
  }

  /** Brings the running cameras in line with the camera files. */
  private async reconcile(): Promise<void> {
    if (this.stopping) return;
    const { o } = this;
    const set = readCameraDir(o.configDir, this.cfg.cameraDefaults);
    this.problems = set.problems;
    o.metrics.configErrors.set(this.problems.length + (this.agentProblem ? 1 : 0));
    for (const p of this.problems) {
      o.log.error({ file: p.file, camera: p.cameraId }, `config: ${p.message}; camera disabled`);
    }
    const badFiles = new Set(this.problems.map((p) => p.file));
    const stops: Promise<void>[] = [];
    // Stop cameras that were removed, changed, disabled or whose file became invalid.
    for (const [id, cur] of this.runners) {
      const next = set.cameras.get(id);
      if (next && next.key === cur.key && next.camera.enabled) continue;
      this.runners.delete(id);
      const why = !next
        ? badFiles.has(cur.file)
          ? "config file invalid"
          : "removed from the config"
        : next.key !== cur.key
          ? "config changed"
          : "disabled in the config";
      o.log.info({ camera: id, reason: why }, "config: stopping camera");
      stops.push(
        cur.runner.stop(why).then(() => {
          if (!next && !badFiles.has(cur.file)) {
            o.hooks.camera({ ...summarize(cur.runner, cur.file), state: "stopped", reason: why });
          }
        }),
      );
    }
    await Promise.all(stops);
    const disabled = new Map<string, CameraSummary>();
    for (const p of this.problems) {
      const id = p.cameraId ?? p.file;
      disabled.set(id, { id, file: p.file, state: "disabled", reason: p.message });
    }
    const publishable = new Set(this.problems.flatMap((p) => (p.cameraId ? [p.cameraId] : [])));
    for (const [id, e] of set.cameras) {
      if (!e.camera.enabled) {
        disabled.set(id, { id, name: e.camera.name, file: e.file, state: "disabled", reason: "enabled: false" });
        continue;
      }
      if (!this.runners.has(id) && !this.stopping) this.startRunner(e.file, e.key, e.camera);
    }
    this.disabled.clear();
    for (const [id, s] of disabled) {
      // A second file with a running camera's id disables only itself: the camera keeps its status.
      if (this.runners.has(id)) continue;
      this.disabled.set(id, s);
      // A file too broken to name its camera is reported in the agent status only.
      if (publishable.has(id) || set.cameras.has(id)) o.hooks.camera(s);
    }
    o.hooks.changed();
  }

  private reloadAgentYaml(): void {
    const { agentFile, env, log } = this.o;
    const r = loadAgentConfigFile(agentFile, env);
    if (!r.ok) {
      this.agentProblem = { file: agentFile, message: formatIssues(r.issues), issues: r.issues };
      log.error({ file: agentFile }, `config: ${this.agentProblem.message}; keeping the previous agent settings`);
      return;
    }
    this.agentProblem = undefined;
    const next = r.value;
    const restartNeeded = (["id", "broker", "spool", "ops", "intraOpThreads"] as const).filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(this.cfg[k]),
    );
    if (restartNeeded.length) {
      log.warn({ fields: restartNeeded }, "config: agent.yaml changed fields that apply only after a restart");
    }
    this.cfg = { ...this.cfg, cameraDefaults: next.cameraDefaults, fast: next.fast };
  }
}
