/**
 * Prometheus metrics of one agent (its own registry, so several agents can share a process).
 * Names: argus_agent_*; per-camera series carry a `camera` label.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type AgentMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(agentId: string, opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: agentId });
  // CPU and memory of the process; off when several agents share one process (tests).
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const cam = ["camera"] as const;
  const r = { registers: [registry] };
  return {
    registry,
    framesDecoded: new Counter({
      name: "argus_agent_frames_decoded_total",
      help: "Frames received from ffmpeg (at the analysis rate)",
      labelNames: cam,
      ...r,
    }),
    framesAnalyzed: new Counter({
      name: "argus_agent_frames_analyzed_total",
      help: "Frames analyzed",
      labelNames: cam,
      ...r,
    }),
    framesDropped: new Counter({
      name: "argus_agent_frames_dropped_total",
      help: "Frames dropped because analysis was behind",
      labelNames: cam,
      ...r,
    }),
    framesDetected: new Counter({
      name: "argus_agent_frames_detected_total",
      help: "Analyzed frames on which the face detector ran",
      labelNames: cam,
      ...r,
    }),
    motionRatio: new Gauge({
      name: "argus_agent_motion_ratio",
      help: "Fraction of changed pixels in the last analyzed frame",
      labelNames: cam,
      ...r,
    }),
    motionFrames: new Counter({
      name: "argus_agent_motion_frames_total",
      help: "Analyzed frames with a motion region",
      labelNames: cam,
      ...r,
    }),
    faces: new Counter({ name: "argus_agent_faces_detected_total", help: "Faces detected", labelNames: cam, ...r }),
    tracksStarted: new Counter({
      name: "argus_agent_tracks_started_total",
      help: "Face tracks started",
      labelNames: cam,
      ...r,
    }),
    tracksEnded: new Counter({
      name: "argus_agent_tracks_ended_total",
      help: "Face tracks ended",
      labelNames: cam,
      ...r,
    }),
    tracksLive: new Gauge({ name: "argus_agent_tracks_live", help: "Face tracks in progress", labelNames: cam, ...r }),
    events: new Counter({
      name: "argus_agent_events_total",
      help: "Face events made (best shots)",
      labelNames: cam,
      ...r,
    }),
    eventErrors: new Counter({
      name: "argus_agent_event_errors_total",
      help: "Best shots that could not be turned into events",
      labelNames: cam,
      ...r,
    }),
    analysisErrors: new Counter({
      name: "argus_agent_analysis_errors_total",
      help: "Frames whose analysis failed",
      labelNames: cam,
      ...r,
    }),
    published: new Counter({
      name: "argus_agent_events_published_total",
      help: "Face events acknowledged by the broker (PUBACK)",
      ...r,
    }),
    written: new Counter({
      name: "argus_agent_events_written_total",
      help: "Face events written to the file sink",
      ...r,
    }),
    spooled: new Gauge({
      name: "argus_agent_events_spooled",
      help: "Face events in the spool (not yet acknowledged)",
      ...r,
    }),
    spoolBytes: new Gauge({ name: "argus_agent_spool_bytes", help: "Bytes in the spool", ...r }),
    spoolDropped: new Counter({
      name: "argus_agent_spool_dropped_total",
      help: "Spooled events dropped to respect a cap",
      ...r,
    }),
    brokerConnected: new Gauge({
      name: "argus_agent_broker_connected",
      help: "1 when connected to the MQTT broker",
      ...r,
    }),
    cameraState: new Gauge({
      name: "argus_agent_camera_state",
      help: "1 for the camera's current state",
      labelNames: ["camera", "state"] as const,
      ...r,
    }),
    reconnects: new Counter({
      name: "argus_agent_camera_reconnects_total",
      help: "Source reconnect attempts",
      labelNames: cam,
      ...r,
    }),
    stage: new Histogram({
      name: "argus_agent_stage_seconds",
      help: "Time per analyzed frame in each stage (motion; detect: detection and face analysis in the worker pool, waiting included; analyze: tracking and best shots) and per event (event, store)",
      labelNames: ["stage"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ...r,
    }),
    latency: new Histogram({
      name: "argus_agent_event_latency_seconds",
      help: "From the best shot's choice to the broker's PUBACK",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30],
      ...r,
    }),
    faceCallsWaiting: new Gauge({
      name: "argus_agent_face_calls_waiting",
      help: "Face calls (frames, embeddings) waiting for a free worker thread (never 0 means the workers are saturated)",
      ...r,
    }),
    configErrors: new Gauge({
      name: "argus_agent_config_errors",
      help: "Config files with errors (their cameras are disabled)",
      ...r,
    }),
  };
}
