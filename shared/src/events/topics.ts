/**
 * MQTT topic layout, versioned under a configurable prefix (default "argus"):
 *   <prefix>/v1/agents/<agentId>/cameras/<cameraId>/faces    face events, QoS 1
 *   <prefix>/v1/agents/<agentId>/status                      agent status, retained, last will "offline"
 *   <prefix>/v1/agents/<agentId>/cameras/<cameraId>/status   camera status, retained
 *   <prefix>/v1/agents/<agentId>/cameras/<cameraId>/snapshot a recent frame, retained (binary JPEG payload)
 *   <prefix>/v1/alerts                                       alerts raised by the server, QoS 1
 *   <prefix>/v1/sightings                                    sightings committed by the server (no crops), QoS 1
 *   <prefix>/v1/server/status                                the server's availability, retained "online"/"offline"
 *   <prefix>/v1/ha/...                                       Home Assistant entity states, retained (notify/homeAssistant.ts)
 * The root README has the whole table (who may read and write each).
 */
export const DEFAULT_TOPIC_PREFIX = "argus";

/**
 * Camera snapshots: a JPEG of at most this many bytes and pixels a side (the agent sends ~320 px,
 * 10-30 kB); the server checks the JPEG's structure against these and refuses anything else.
 */
export const SNAPSHOT_LIMITS = { maxBytes: 256 * 1024, maxSide: 2048 } as const;
export const TOPIC_VERSION = "v1";
/** Payloads of the server's availability topic (`topics().serverStatus()`). */
export const SERVER_ONLINE = "online";
export const SERVER_OFFLINE = "offline";

export const topics = (prefix = DEFAULT_TOPIC_PREFIX) => ({
  faces: (agentId: string, cameraId: string) =>
    `${prefix}/${TOPIC_VERSION}/agents/${agentId}/cameras/${cameraId}/faces`,
  agentStatus: (agentId: string) => `${prefix}/${TOPIC_VERSION}/agents/${agentId}/status`,
  cameraStatus: (agentId: string, cameraId: string) =>
    `${prefix}/${TOPIC_VERSION}/agents/${agentId}/cameras/${cameraId}/status`,
  /** A small recent JPEG of the camera's view, retained; an empty retained message clears it. */
  cameraSnapshot: (agentId: string, cameraId: string) =>
    `${prefix}/${TOPIC_VERSION}/agents/${agentId}/cameras/${cameraId}/snapshot`,
  alerts: () => `${prefix}/${TOPIC_VERSION}/alerts`,
  sightings: () => `${prefix}/${TOPIC_VERSION}/sightings`,
  /** Retained SERVER_ONLINE / SERVER_OFFLINE (the last will where the server is a client). */
  serverStatus: () => `${prefix}/${TOPIC_VERSION}/server/status`,
  /** Home Assistant entity states live under here (discovery configs under the discovery prefix). */
  haRoot: () => `${prefix}/${TOPIC_VERSION}/ha/`,
  /** Subscriptions for the server. */
  allFaces: () => `${prefix}/${TOPIC_VERSION}/agents/+/cameras/+/faces`,
  allAgentStatus: () => `${prefix}/${TOPIC_VERSION}/agents/+/status`,
  allCameraStatus: () => `${prefix}/${TOPIC_VERSION}/agents/+/cameras/+/status`,
  allCameraSnapshots: () => `${prefix}/${TOPIC_VERSION}/agents/+/cameras/+/snapshot`,
  /** Everything an agent may publish to (for broker ACLs). */
  agentRoot: (agentId: string) => `${prefix}/${TOPIC_VERSION}/agents/${agentId}/`,
});

/** Splits a topic of the layout above into its parts, or undefined. */
export function parseTopic(
  topic: string,
  prefix = DEFAULT_TOPIC_PREFIX,
): { agentId: string; cameraId?: string; kind: "faces" | "status" | "snapshot" } | undefined {
  const p = topic.split("/");
  const base = prefix.split("/").length;
  if (p.slice(0, base).join("/") !== prefix || p[base] !== TOPIC_VERSION || p[base + 1] !== "agents") return undefined;
  const rest = p.slice(base + 2);
  if (rest.length === 2 && rest[1] === "status") return { agentId: rest[0], kind: "status" };
  if (
    rest.length === 4 &&
    rest[1] === "cameras" &&
    (rest[3] === "faces" || rest[3] === "status" || rest[3] === "snapshot")
  ) {
    return { agentId: rest[0], cameraId: rest[2], kind: rest[3] };
  }
  return undefined;
}

export interface AgentStatus {
  agentId: string;
  state: "online" | "offline";
  at: string;
  version?: string;
  cameras?: Record<string, unknown>;
}

export interface CameraStatus {
  agentId: string;
  cameraId: string;
  state: "disabled" | "connecting" | "streaming" | "reconnecting" | "failed" | "done" | "stopped";
  reason?: string;
  at: string;
  name?: string;
  fps?: number;
  lastEventAt?: string;
  counters?: Record<string, number>;
}
