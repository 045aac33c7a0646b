/**
 * The agent's status: the body served at /status and published retained on the agent status topic,
 * one retained message per camera, the gauges read rather than counted (camera states, spool size,
 * queued face calls), and the periodic republishing of all of it. With a broker, each camera's
 * snapshot too (publish/snapshot.ts): a small retained JPEG of its view every `snapshot.everySeconds`.
 */
import type { CameraStatus, Logger } from "@argus/shared";
import type { CameraConfig } from "@argus/shared/config/schema";
import type { CameraFleet, CameraSummary } from "../fleet/fleet.ts";
import type { AgentMetrics } from "../ops/metrics.ts";
import type { Sinks } from "../publish/sinks.ts";
import { type SnapshotFrame, SnapshotPublisher } from "../publish/snapshot.ts";

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

export interface StatusOptions {
  agentId: string;
  runId: string;
  version: string;
  fleet: CameraFleet;
  sinks: Sinks;
  metrics: AgentMetrics;
  /** Face calls waiting for a worker (the agent's own pool only). */
  queuedFaceCalls?(): number;
  log?: Logger;
}

const STATES = ["connecting", "streaming", "reconnecting", "failed", "done", "stopped", "disabled"] as const;

export class StatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  /** Camera snapshots (with a broker only: nothing else would read them). */
  readonly snapshots: SnapshotPublisher | undefined;

  constructor(private readonly o: StatusOptions) {
    const link = o.sinks.link;
    if (link)
      this.snapshots = new SnapshotPublisher({
        publish: (cameraId, jpeg) => link.publishRetainedBytes(link.topics.cameraSnapshot(o.agentId, cameraId), jpeg),
        log: o.log,
      });
  }

  /** A camera's decoded frame (the hot path: only a clock read unless a snapshot is due). */
  frame(cam: CameraConfig, frame: SnapshotFrame): void {
    void this.snapshots?.offer(cam.id, cam.snapshot, frame);
  }

  body(): AgentStatusBody {
    const { o } = this;
    return {
      agentId: o.agentId,
      state: "online",
      at: new Date().toISOString(),
      version: o.version,
      runId: o.runId,
      cameras: o.fleet.cameras(),
      configErrors: o.fleet.configErrors().map((p) => ({ file: p.file, message: p.message })),
      ...o.sinks.status(),
    };
  }

  /** One camera: its state gauges and its retained status message. */
  camera(s: CameraSummary): void {
    // (Re)started or stopped: the first frame of its next stream is its snapshot at once.
    if (s.state !== "streaming") this.snapshots?.forget(s.id);
    for (const st of STATES) this.o.metrics.cameraState.set({ camera: s.id, state: st }, st === s.state ? 1 : 0);
    const link = this.o.sinks.link;
    link?.publishRetained(link.topics.cameraStatus(this.o.agentId, s.id), this.cameraBody(s));
  }

  /** The agent's retained status message and the gauges. */
  agent(): void {
    const link = this.o.sinks.link;
    if (link) link.publishRetained(link.topics.agentStatus(this.o.agentId), this.body());
    this.refreshGauges();
  }

  /** Everything again (on connecting, and periodically so a lost retained message comes back). */
  all(): void {
    this.agent();
    for (const s of Object.values(this.o.fleet.cameras())) this.camera(s);
  }

  /** Gauges that are read rather than counted; also refreshed just before each /metrics scrape. */
  refreshGauges(): void {
    const { metrics, sinks, queuedFaceCalls } = this.o;
    if (queuedFaceCalls) metrics.faceCallsWaiting.set(queuedFaceCalls());
    if (sinks.spool) {
      metrics.spooled.set(sinks.spool.size);
      metrics.spoolBytes.set(sinks.spool.bytes);
    }
  }

  /** Republishes everything every `ms`. */
  every(ms: number): void {
    this.timer = setInterval(() => this.all(), ms);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private cameraBody(s: CameraSummary): CameraStatus {
    return {
      agentId: this.o.agentId,
      cameraId: s.id,
      state: s.state,
      reason: s.reason,
      at: new Date().toISOString(),
      name: s.name,
      fps: s.fps,
      lastEventAt: s.lastEventAt,
      counters: s.counters,
    };
  }
}
