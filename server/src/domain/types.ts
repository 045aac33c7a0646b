/**
 * The domain records of the server: persons and their representative faces, sightings, alerts,
 * agents and cameras, accounts (tokens, console users, sessions), webhooks and their deliveries,
 * dead letters. The store (../store/) persists them; the API (../views.ts) renders them.
 *
 * Times are epoch milliseconds throughout; the API layer turns them into ISO strings.
 */

export type ListName = "friend" | "foe";
export type PersonKind = "auto" | "enrolled";
/** How sure a match is: strong, likely or possible (calibrated on the model's impostor scores). */
export type Grade = "strong" | "likely" | "possible";

/** What a sighting meant when it was stored: the person's list, or a regular at that camera. */
export type Verdict = "foe" | "friend" | "regular" | "none";
export type Role = "admin" | "operator" | "viewer";

export interface Person {
  id: string;
  name: string;
  /** 'auto': created by the server for an unmatched face; 'enrolled': created or curated by an operator. */
  kind: PersonKind;
  list: ListName | null;
  meta: Record<string, unknown>;
  /** The N of "unknown #N" for automatic persons. */
  autoNumber: number | null;
  /** Camera (key `agent/camera`) where an automatic person was first seen (per-camera matching scope). */
  cameraId: CameraKey | null;
  createdAt: number;
  updatedAt: number;
  lastSeenAt: number | null;
  sightingCount: number;
}

/** A representative face of a person: one HNSW entry (label = id). */
export interface Face {
  id: number;
  personId: string;
  source: "enrol" | "sighting";
  /** Camera (key `agent/camera`) of the sighting the face was learned from; null for enrolled photos. */
  cameraId: CameraKey | null;
  quality: number;
  sightingId: string | null;
  createdAt: number;
}

export interface FaceWithEmbedding extends Face {
  embedding: Float32Array;
}

export type Box = [number, number, number, number];

export interface Sighting {
  id: string;
  personId: string | null;
  cameraId: string;
  agentId: string;
  trackId: string;
  /** Capture time of the first shot of the track. */
  capturedAt: number;
  /** Capture time of the latest shot of the track. */
  lastSeenAt: number;
  /** Calendar day (YYYYMMDD in the regulars time zone) of capturedAt, for the regulars rule. */
  day: number;
  /** Similarity to the matched person (null for a new automatic person's first face or no person). */
  similarity: number | null;
  quality: number;
  box: Box;
  frame: { width: number; height: number };
  verdict: Verdict;
  /** Event id of the shot whose crop and box are stored (the best so far). */
  eventId: string;
  shots: number;
  hasContext: boolean;
  attributes: { age?: number; gender?: "male" | "female" } | null;
  createdAt: number;
  /**
   * A shot's capturedAt was outside the accepted clock skew (ingest.maxClockAheadSeconds,
   * ingest.maxEventAgeDays): its receive time stands in for it in capturedAt/lastSeenAt.
   */
  clockSkewed: boolean;
  /** How sure the link to the person is (calibrated: shared/src/models/calibration.ts); null without a match. */
  grade: Grade | null;
  /**
   * Why a sighting has no person: `not_a_face:<check>` (the face check failed), `low_quality`,
   * `candidate` (an unmatched face waiting for more evidence), `unlinked` (an operator said "not X").
   */
  unlinkedReason: string | null;
  /** The sighting's label in the history index (search by photo over every sighting); null: not indexed. */
  indexId: number | null;
  /**
   * The frame region [x1, y1, x2, y2] (frame pixels) the stored context crop shows, as the agent sent
   * it with the shot whose crop is stored; null: the agent did not say (older agents) or no context.
   */
  contextBox: Box | null;
}

/** A sighting with the embedding it was identified with (the track template, else the best shot's). */
export interface SightingWithEmbedding extends Sighting {
  embedding: Float32Array | null;
}

export type AlertType = "foe" | "unknown_at_sensitive_camera";

export interface Alert {
  id: string;
  type: AlertType;
  personId: string | null;
  sightingId: string;
  cameraId: string;
  agentId: string;
  capturedAt: number;
  similarity: number | null;
  /** The grade of the match that raised it (a foe alert needs at least `alerts.foeMinGrade`). */
  grade: Grade | null;
  createdAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  /** The operator's note with the acknowledgement (bulk acknowledgement), if any. */
  ackNote: string | null;
  /**
   * Raised while a mute matched it (its camera or person): stored and listed, but not announced
   * (no webhook delivery, nothing on the MQTT alerts topic; the console shows it collapsed). The id of
   * the mute that matched.
   */
  mutedBy: string | null;
}

/** What a mute silences: a camera (agent/camera key) or a person. */
export type MuteTarget = { kind: "camera"; key: string } | { kind: "person"; personId: string };

/** An operator's mute: alerts of a camera or person until a time are stored muted (alerts/mutes.ts). */
export interface Mute {
  id: string;
  /** "camera" or "person". */
  targetKind: MuteTarget["kind"];
  /** The camera key (agent/camera) or the person id. */
  targetId: string;
  /** Foe alerts are muted too only when set (a camera under maintenance); otherwise foes still announce. */
  includeFoe: boolean;
  until: number;
  reason: string | null;
  createdAt: number;
  createdBy: string;
}

export interface DeadLetter {
  id: string;
  receivedAt: number;
  topic: string;
  error: string;
  /** The first bytes of the payload as received (deadLetters.payloadBytes). */
  payload: Buffer;
  /** The whole payload's size. */
  size: number;
}

export interface Agent {
  id: string;
  passwordHash: string;
  createdAt: number;
  status: Record<string, unknown> | null;
  statusAt: number | null;
  lastSeenAt: number | null;
}

/** What an integration account may read (shared/src/api/integrations.ts INTEGRATION_SCOPES). */
export type IntegrationScope = "alerts" | "sightings" | "status" | "homeassistant";

/**
 * An integration account: a read-only MQTT login of the embedded broker (Home Assistant, Node-RED, a
 * wall display). Its id is its user name, unique among integrations and agents.
 */
export interface Integration {
  id: string;
  description: string | null;
  scopes: IntegrationScope[];
  passwordHash: string;
  createdAt: number;
  /** When the current password was issued. */
  credentialsAt: number;
  lastConnectedAt: number | null;
}

/**
 * A camera belongs to its agent: two sites may both call a camera `cam1`, and one agent's messages
 * can only ever touch its own cameras. `agent/camera` is the key wherever one string is needed.
 */
export type CameraKey = string;

export const cameraKey = (agentId: string, cameraId: string): CameraKey => `${agentId}/${cameraId}`;

/** A key, or a bare camera id (any agent's camera of that id). */
export interface CameraRef {
  agentId?: string;
  cameraId: string;
}

export function parseCameraRef(s: string): CameraRef {
  const i = s.indexOf("/");
  return i < 0 ? { cameraId: s } : { agentId: s.slice(0, i), cameraId: s.slice(i + 1) };
}

export interface Camera {
  agentId: string;
  id: string;
  /** The operator's name for it (PATCH), or null. */
  name: string | null;
  /** The name in the agent's camera file, from its status messages. */
  configName: string | null;
  sensitive: boolean;
  status: Record<string, unknown> | null;
  statusAt: number | null;
  /** When the status's `state` last changed (statusAt is the last report). */
  stateSince: number | null;
  lastEventAt: number | null;
  eventCount: number;
  /** When the agent's latest snapshot of the view arrived (the JPEG is kept under the data dir); null: none. */
  snapshotAt: number | null;
}

export interface Token {
  id: string;
  hash: string;
  role: Role;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A console user (sign-in with name and password); the role maps to the same checks as a token's. */
export interface User {
  id: string;
  /** Unique, lower-case. */
  name: string;
  role: Role;
  /** scrypt hash with its parameters and salt (users/passwords.ts). */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
  lastLoginAt: number | null;
}

/** A signed-in browser: `id` is the SHA-256 of the cookie's secret (the secret itself is never stored). */
export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  /** Absolute end of the session. */
  expiresAt: number;
  /** Last request (idle expiry); refreshed at most once a minute. */
  lastSeenAt: number;
}

export interface Webhook {
  id: string;
  url: string;
  secret: string;
  /** Alert types delivered; empty = all. */
  events: AlertType[];
  enabled: boolean;
  createdAt: number;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface Delivery {
  id: string;
  webhookId: string;
  alertId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Who did something: a token or a console user (the API's principal), or the server itself. */
export interface Actor {
  kind: "token" | "session" | "system";
  id: string;
  name: string;
}

/** One operator action, with the state before and after: who, what, when. */
export interface AuditEntry {
  /** Increasing (the store's sequence). */
  id: number;
  at: number;
  actor: Actor;
  /** e.g. person.rename, person.merge, sighting.move, user.create, token.revoke, alert.ack. */
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

/** "Not X": the track (agent/camera/track) is never linked to the person again by a later event. */
export interface Exclusion {
  trackKey: string;
  personId: string;
  sightingId: string | null;
  createdAt: number;
  createdBy: string;
}

export type ProposalKind = "merge_persons" | "link_sightings";
export type ProposalStatus = "open" | "accepted" | "rejected";

/** A clustering suggestion: "these look like one person", with a score; a rejected pair is never proposed again. */
export interface Proposal {
  id: string;
  kind: ProposalKind;
  /** merge_persons: two person ids; link_sightings: a person id (or a sighting id) and a sighting id. */
  a: string;
  b: string;
  score: number;
  status: ProposalStatus;
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  jobId: string | null;
}

export type JobStatus = "queued" | "running" | "done" | "failed";

/** A background job (clustering, index rebuild): its status for the API. */
export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  /** 0-1 while running. */
  progress: number;
  message: string | null;
  result: unknown;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  createdBy: string | null;
}
