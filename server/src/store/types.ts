/**
 * The storage interface: the database is the source of truth for persons, representative faces,
 * sightings, alerts, agents, cameras, tokens and webhooks. Two implementations (sqlite.ts, mongo.ts)
 * pass the one contract suite in contract.ts. Crops live on disk (crops.ts), shared by both.
 *
 * Times are epoch milliseconds throughout; the API layer turns them into ISO strings.
 */

export type ListName = "friend" | "foe";
export type PersonKind = "auto" | "enrolled";
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
  /** Camera where an automatic person was first seen (per-camera matching scope). */
  cameraId: string | null;
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
  cameraId: string | null;
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
  createdAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
}

export interface DeadLetter {
  id: string;
  receivedAt: number;
  topic: string;
  error: string;
  /** The payload as received, cut to DEAD_LETTER_MAX_BYTES. */
  payload: Buffer;
  size: number;
}

export const DEAD_LETTER_MAX_BYTES = 2 * 1024 * 1024;

export interface Agent {
  id: string;
  passwordHash: string;
  createdAt: number;
  status: Record<string, unknown> | null;
  statusAt: number | null;
  lastSeenAt: number | null;
}

export interface Camera {
  id: string;
  agentId: string | null;
  name: string | null;
  sensitive: boolean;
  status: Record<string, unknown> | null;
  statusAt: number | null;
  lastEventAt: number | null;
  eventCount: number;
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

export interface UserPatch {
  role?: Role;
  passwordHash?: string;
  disabledAt?: number | null;
  lastLoginAt?: number;
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

/** Everything one ingested batch of events writes, committed at once (atomically where the store can). */
export interface IngestBatch {
  newPersons: Person[];
  newFaces: FaceWithEmbedding[];
  deletedFaceIds: number[];
  newSightings: Sighting[];
  /** Later shots of a track: replace these fields of an existing sighting. */
  sightingUpdates: Array<{ id: string; set: Partial<Sighting> }>;
  /** Persons seen: lastSeenAt becomes max(old, at); sightingCount grows by the new sightings really inserted. */
  personSeen: Array<{ id: string; at: number }>;
  alerts: Alert[];
  deliveries: Delivery[];
  /** Cameras that sent events: lastEventAt/agent, eventCount grows by `events`. */
  cameraEvents: Array<{ cameraId: string; agentId: string; at: number; events: number }>;
  /** Every event id handled by the batch (duplicates of these are dropped later). */
  eventIds: Array<{ eventId: string; sightingId: string | null; receivedAt: number }>;
}

export function emptyBatch(): IngestBatch {
  return {
    newPersons: [],
    newFaces: [],
    deletedFaceIds: [],
    newSightings: [],
    sightingUpdates: [],
    personSeen: [],
    alerts: [],
    deliveries: [],
    cameraEvents: [],
    eventIds: [],
  };
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next (older) page, or null at the end. */
  nextCursor: string | null;
}

export interface PersonFilter {
  list?: ListName | "none";
  kind?: PersonKind;
  /** Case-insensitive substring of the name. */
  q?: string;
  /** created (default), lastSeen or sightings; all descending. */
  sort?: "created" | "lastSeen" | "sightings";
}

export interface SightingFilter {
  personId?: string;
  cameraIds?: string[];
  from?: number;
  to?: number;
  list?: ListName | "none";
  kind?: PersonKind;
}

export interface AlertFilter {
  type?: AlertType;
  acked?: boolean;
  personId?: string;
  cameraId?: string;
}

export interface PersonPatch {
  name?: string;
  list?: ListName | null;
  meta?: Record<string, unknown>;
  kind?: PersonKind;
  cameraId?: string | null;
}

export interface Store {
  readonly kind: "sqlite" | "mongo";
  /** Creates tables/collections and indexes. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for /health. */
  ping(): Promise<void>;

  // ingestion
  commitBatch(batch: IngestBatch): Promise<void>;
  /** Which of these event ids were already handled. */
  knownEventIds(ids: string[]): Promise<Set<string>>;
  /** The newest sighting of a track that was last seen at or after `since`. */
  findTrackSighting(agentId: string, cameraId: string, trackId: string, since: number): Promise<Sighting | undefined>;
  addDeadLetter(d: DeadLetter): Promise<void>;
  listDeadLetters(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>>;
  countDeadLetters(): Promise<number>;

  // persons
  insertPerson(p: Person): Promise<void>;
  getPerson(id: string): Promise<Person | undefined>;
  listPersons(filter: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>>;
  updatePerson(id: string, patch: PersonPatch, at: number): Promise<Person | undefined>;
  /** Deletes the person, their faces, sightings and alerts; returns what was removed (for crops and the index). */
  deletePerson(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined>;
  /** Moves sightings, faces and alerts of `fromId` to `intoId`, deletes `fromId`, fixes counters. */
  mergePersons(intoId: string, fromId: string, at: number): Promise<void>;
  /** Lightweight rows of every person (for the in-memory gallery). */
  allPersonsBrief(): Promise<Array<Pick<Person, "id" | "kind" | "list" | "cameraId">>>;
  maxAutoNumber(): Promise<number>;
  countPersons(): Promise<number>;

  // faces
  insertFace(f: FaceWithEmbedding): Promise<void>;
  deleteFaces(ids: number[]): Promise<void>;
  listFaces(personId: string): Promise<Face[]>;
  getFace(id: number): Promise<Face | undefined>;
  /** Metadata of every face (no embeddings), ascending id. */
  allFacesBrief(): Promise<Face[]>;
  /** Embeddings for these ids (for index catch-up). */
  faceEmbeddings(ids: number[]): Promise<Map<number, Float32Array>>;
  maxFaceId(): Promise<number>;

  // sightings
  getSighting(id: string): Promise<Sighting | undefined>;
  listSightings(filter: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>>;
  /** Distinct days on which the person was seen by the camera, from `sinceDay` (YYYYMMDD) on. */
  distinctDays(personId: string, cameraId: string, sinceDay: number): Promise<number[]>;
  /** Cameras at which the person has >= minDays distinct days since sinceDay. */
  regularCameras(personId: string, sinceDay: number, minDays: number): Promise<string[]>;
  /**
   * Retention: deletes up to `limit` sightings captured before `before`, skipping persons on a list when
   * keepListed; returns the deleted ids (their crops go next). Their alerts go too.
   */
  deleteSightingsBefore(before: number, keepListed: boolean, limit: number): Promise<string[]>;
  /** Automatic persons off every list with no sightings left (retention removes them). */
  emptyAutoPersons(limit: number): Promise<string[]>;
  deleteEventIdsBefore(before: number): Promise<number>;
  countSightings(): Promise<number>;

  // alerts
  getAlert(id: string): Promise<Alert | undefined>;
  listAlerts(filter: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>>;
  ackAlert(id: string, by: string, at: number): Promise<Alert | undefined>;

  // agents and cameras
  insertAgent(a: Agent): Promise<boolean>;
  getAgent(id: string): Promise<Agent | undefined>;
  listAgents(): Promise<Agent[]>;
  updateAgentPassword(id: string, passwordHash: string): Promise<boolean>;
  deleteAgent(id: string): Promise<boolean>;
  setAgentStatus(id: string, status: Record<string, unknown>, at: number): Promise<void>;
  setCameraStatus(cameraId: string, agentId: string, status: Record<string, unknown>, at: number): Promise<void>;
  getCamera(id: string): Promise<Camera | undefined>;
  listCameras(): Promise<Camera[]>;
  updateCamera(id: string, patch: { name?: string | null; sensitive?: boolean }): Promise<Camera>;

  // tokens
  insertToken(t: Token): Promise<void>;
  findTokenByHash(hash: string): Promise<Token | undefined>;
  listTokens(): Promise<Token[]>;
  revokeToken(id: string, at: number): Promise<boolean>;
  touchToken(id: string, at: number): Promise<void>;

  // console users and their sessions
  /** False when the name is taken. */
  insertUser(u: User): Promise<boolean>;
  getUser(id: string): Promise<User | undefined>;
  findUserByName(name: string): Promise<User | undefined>;
  /** By name. */
  listUsers(): Promise<User[]>;
  updateUser(id: string, patch: UserPatch, at: number): Promise<User | undefined>;
  /** Deletes the user and their sessions. */
  deleteUser(id: string): Promise<boolean>;
  insertSession(s: Session): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  touchSession(id: string, at: number): Promise<void>;
  deleteSession(id: string): Promise<boolean>;
  /** Signs a user out everywhere (password or role change, disabling); returns how many sessions ended. */
  deleteUserSessions(userId: string): Promise<number>;
  /** Sessions past their absolute end or idle since before `idleBefore`. */
  deleteExpiredSessions(now: number, idleBefore: number): Promise<number>;

  // webhooks and their deliveries
  insertWebhook(w: Webhook): Promise<void>;
  listWebhooks(): Promise<Webhook[]>;
  deleteWebhook(id: string): Promise<boolean>;
  /** Pending deliveries due at `now`, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<Delivery[]>;
  updateDelivery(id: string, set: Partial<Delivery>): Promise<void>;
  listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>>;

  // small key/value settings (first-start markers)
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

/** Cursor = base64url JSON of the sort key and id of the last item on the page. */
export function encodeCursor(key: number, id: string | number): string {
  return Buffer.from(JSON.stringify([key, id])).toString("base64url");
}

export class CursorError extends Error {}

export function decodeCursor(cursor: string | undefined): { key: number; id: string | number } | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && ["string", "number"].includes(typeof v[1])) {
      return { key: v[0], id: v[1] };
    }
  } catch {}
  throw new CursorError("cursor is malformed");
}
