/**
 * The storage interface, one repository per aggregate: the database is the source of truth for the
 * domain records of ../domain/types.ts. Two implementations (sqlite/, mongo/) pass the one contract
 * suite (server/test/storeContract/). Crops live on disk (crops.ts), shared by both.
 *
 * Writes that span aggregates go through the store itself: commitBatch (the ingest unit of work) and
 * the cascades of persons.delete/merge and sightings.deleteBefore.
 */
import type {
  Agent,
  Alert,
  AlertType,
  AuditEntry,
  Camera,
  CameraKey,
  CameraRef,
  DeadLetter,
  Delivery,
  Exclusion,
  Face,
  FaceWithEmbedding,
  Grade,
  Integration,
  Job,
  ListName,
  Mute,
  Person,
  PersonKind,
  Proposal,
  ProposalKind,
  ProposalStatus,
  Role,
  Session,
  Sighting,
  Token,
  User,
  Webhook,
} from "../domain/types.ts";

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next (older) page, or null at the end (cursor.ts). */
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
  /** Any of these cameras (a ref without agent: that camera id at any agent). */
  cameras?: CameraRef[];
  from?: number;
  to?: number;
  list?: ListName | "none";
  /** The person's kind; "unidentified": sightings of no person. */
  kind?: PersonKind | "unidentified";
  /** The grade of the match that linked the sighting to its person. */
  grade?: Grade;
}

export interface AlertFilter {
  type?: AlertType;
  acked?: boolean;
  /** true: only muted alerts; false: only alerts raised outside any mute. */
  muted?: boolean;
  personId?: string;
  camera?: CameraRef;
}

export interface PersonPatch {
  name?: string;
  list?: ListName | null;
  meta?: Record<string, unknown>;
  kind?: PersonKind;
  cameraId?: string | null;
}

export interface UserPatch {
  role?: Role;
  passwordHash?: string;
  disabledAt?: number | null;
  lastLoginAt?: number;
}

export interface CameraPatch {
  name?: string | null;
  sensitive?: boolean;
}

/** Everything one ingested batch of events writes, committed at once (atomically where the store can). */
export interface SightingEmbedding {
  id: string;
  indexId: number;
  embedding: Float32Array;
}

/** What the history index needs of a sighting (search by photo over every sighting, clustering). */
export interface IndexedSighting extends SightingEmbedding {
  personId: string | null;
  agentId: string;
  cameraId: string;
  capturedAt: number;
}

export interface IngestBatch {
  newPersons: Person[];
  newFaces: FaceWithEmbedding[];
  deletedFaceIds: number[];
  newSightings: Sighting[];
  /**
   * Later shots of a track, candidates promoted to a person: replace these fields of an existing
   * sighting. A change of `personId` moves the sighting between the persons' sightingCount.
   */
  sightingUpdates: Array<{ id: string; set: Partial<Sighting> }>;
  /** The embedding a sighting was identified with, and its label in the history index (new or replaced). */
  sightingEmbeddings: SightingEmbedding[];
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
    sightingEmbeddings: [],
    personSeen: [],
    alerts: [],
    deliveries: [],
    cameraEvents: [],
    eventIds: [],
  };
}

/** One schema migration applied by init(): the versions before and after the whole run, and this step. */
export interface SchemaStep {
  from: number;
  to: number;
  step: number;
  name: string;
  ms: number;
}

/** Lightweight row of a person (for the in-memory gallery). */
export type PersonBrief = Pick<Person, "id" | "kind" | "list" | "cameraId">;

/** Persons and their representative faces (one HNSW entry each, label = face id). */
export interface PersonRepository {
  insert(p: Person): Promise<void>;
  get(id: string): Promise<Person | undefined>;
  list(filter: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>>;
  update(id: string, patch: PersonPatch, at: number): Promise<Person | undefined>;
  /** Deletes the person, their faces, sightings and alerts; returns what was removed (for crops and the index). */
  delete(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined>;
  /** Moves sightings, faces and alerts of `fromId` to `intoId`, deletes `fromId`, fixes counters. */
  merge(intoId: string, fromId: string, at: number): Promise<void>;
  /**
   * The capture time of each person's earliest sighting (persons without sightings are absent).
   * Computed from the sightings (an index seek per person), so merges, moves, deletes and retention
   * need not maintain it.
   */
  firstSeen(ids: string[]): Promise<Map<string, number>>;
  /** Every person, lightweight (for the in-memory gallery). */
  brief(): Promise<PersonBrief[]>;
  /** Automatic persons off every list with no sightings left (retention removes them). */
  emptyAuto(limit: number): Promise<string[]>;
  maxAutoNumber(): Promise<number>;
  count(): Promise<number>;

  insertFace(f: FaceWithEmbedding): Promise<void>;
  deleteFaces(ids: number[]): Promise<void>;
  listFaces(personId: string): Promise<Face[]>;
  getFace(id: number): Promise<Face | undefined>;
  /** Metadata of every face (no embeddings), ascending id. */
  allFaces(): Promise<Face[]>;
  /** Embeddings for these ids (for index catch-up). */
  faceEmbeddings(ids: number[]): Promise<Map<number, Float32Array>>;
  maxFaceId(): Promise<number>;
}

/** Sightings, the event ids already handled (dedup), and the queries of the regulars rule and retention. */
export interface SightingRepository {
  get(id: string): Promise<Sighting | undefined>;
  list(filter: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>>;
  /** How many sightings match, counting no further than `max` (exports: is the result over their bound?). */
  countUpTo(filter: SightingFilter, max: number): Promise<number>;
  /** The newest sighting of a track that was last seen at or after `since`. */
  findTrack(agentId: string, cameraId: string, trackId: string, since: number): Promise<Sighting | undefined>;
  /** Which of these event ids were already handled. */
  knownEventIds(ids: string[]): Promise<Set<string>>;
  deleteEventIdsBefore(before: number): Promise<number>;
  /** Distinct days on which the person was seen by the camera, from `sinceDay` (YYYYMMDD) on. */
  distinctDays(personId: string, agentId: string, cameraId: string, sinceDay: number): Promise<number[]>;
  /** Cameras (keys `agent/camera`) at which the person has >= minDays distinct days since sinceDay. */
  regularCameras(personId: string, sinceDay: number, minDays: number): Promise<CameraKey[]>;
  /** Sightings' embeddings by id (those without one are absent). */
  embeddings(ids: string[]): Promise<Map<string, Float32Array>>;
  /** Indexed sightings with a label above `afterIndexId`, ascending, at most `limit` (the history index's load). */
  indexed(afterIndexId: number, limit: number): Promise<IndexedSighting[]>;
  /** The largest history-index label handed out (0 when none). */
  maxIndexId(): Promise<number>;
  /**
   * An operator's correction: these sightings now belong to `personId`, or to no one (`personId` null,
   * with `unlinkedReason`). Their similarity and grade are cleared (no match made the link), their
   * verdict follows the new person's list, their alerts follow them, and the faces learned from them
   * leave their old persons' representatives. Every person touched gets its sighting count and
   * last-seen time recomputed. Returns the sightings as they were and the faces removed.
   */
  reassign(
    ids: string[],
    personId: string | null,
    at: number,
    unlinkedReason: string | null,
  ): Promise<{ before: Sighting[]; deletedFaceIds: number[] }>;
  /**
   * Retention: deletes up to `limit` sightings last seen before `before`, skipping persons on a list when
   * keepListed; returns the deleted ids (their crops go next). Their alerts go too.
   */
  deleteBefore(before: number, keepListed: boolean, limit: number): Promise<string[]>;
  count(): Promise<number>;
}

export interface AlertRepository {
  get(id: string): Promise<Alert | undefined>;
  list(filter: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>>;
  /** The first acknowledgement wins; undefined when the alert does not exist. */
  ack(id: string, by: string, at: number, note?: string | null): Promise<Alert | undefined>;
  /**
   * Acknowledges each of `ids` not yet acknowledged, with the same note; returns the alerts found
   * (already acknowledged ones unchanged: the first acknowledgement wins), in the order of `ids`.
   */
  ackMany(ids: readonly string[], by: string, at: number, note: string | null): Promise<Alert[]>;
}

export interface MuteRepository {
  insert(m: Mute): Promise<void>;
  get(id: string): Promise<Mute | undefined>;
  /** Mutes whose end is after `now` (all when absent), soonest end first. */
  list(now?: number): Promise<Mute[]>;
  delete(id: string): Promise<boolean>;
  /** Removes mutes that ended before `before`; returns how many. */
  deleteEnded(before: number): Promise<number>;
  /** Person mutes of `fromId` now name `intoId` (a merge); returns them as changed. */
  retargetPerson(fromId: string, intoId: string): Promise<Mute[]>;
}

export interface AgentRepository {
  /** False when the id is taken. */
  insert(a: Agent): Promise<boolean>;
  get(id: string): Promise<Agent | undefined>;
  /** By id. */
  list(): Promise<Agent[]>;
  setPassword(id: string, passwordHash: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  setStatus(id: string, status: Record<string, unknown>, at: number): Promise<void>;
}

/** Integration accounts (read-only MQTT logins of the embedded broker). */
export interface IntegrationRepository {
  /** False when the id is taken. */
  insert(i: Integration): Promise<boolean>;
  get(id: string): Promise<Integration | undefined>;
  /** By id. */
  list(): Promise<Integration[]>;
  /** A new password; false when there is no such account. */
  setPassword(id: string, passwordHash: string, at: number): Promise<boolean>;
  /** A login with it succeeded at `at`. */
  connected(id: string, at: number): Promise<void>;
  delete(id: string): Promise<boolean>;
}

/** Cameras, keyed by (agent, camera), are created by their first event or status, or by an operator's edit. */
export interface CameraRepository {
  get(agentId: string, cameraId: string): Promise<Camera | undefined>;
  /** By agent, then camera id. */
  list(): Promise<Camera[]>;
  update(agentId: string, cameraId: string, patch: CameraPatch): Promise<Camera>;
  /** The agent's last status of the camera; `stateSince` moves when its `state` changes, the config name follows its `name`. */
  setStatus(agentId: string, cameraId: string, status: Record<string, unknown>, at: number): Promise<void>;
  /** A snapshot of the camera's view arrived at `at` (null: it was cleared); creates the camera if need be. */
  setSnapshot(agentId: string, cameraId: string, at: number | null): Promise<void>;
}

/** API tokens, console users and their sessions. */
export interface AccountRepository {
  insertToken(t: Token): Promise<void>;
  findTokenByHash(hash: string): Promise<Token | undefined>;
  /** Oldest first. */
  listTokens(): Promise<Token[]>;
  revokeToken(id: string, at: number): Promise<boolean>;
  touchToken(id: string, at: number): Promise<void>;

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
}

/** Webhooks and their deliveries (deliveries are created by commitBatch, with their alert). */
export interface WebhookRepository {
  insert(w: Webhook): Promise<void>;
  /** Oldest first. */
  list(): Promise<Webhook[]>;
  /** Deletes the webhook and its deliveries. */
  delete(id: string): Promise<boolean>;
  /** Pending deliveries due at `now`, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<Delivery[]>;
  updateDelivery(id: string, set: Partial<Delivery>): Promise<void>;
  listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>>;
}

/** Messages that could not be ingested, kept for inspection. */
/** What the dead-letter caps count: payload prefix + error + topic (see deadLetterBytes). */
export interface DeadLetterStats {
  count: number;
  bytes: number;
}

/** A dead letter's stored size as the caps count it. */
export const deadLetterBytes = (d: Pick<DeadLetter, "payload" | "error" | "topic">): number =>
  d.payload.length + Buffer.byteLength(d.error) + Buffer.byteLength(d.topic);

export interface DeadLetterRepository {
  /** Idempotent by id. */
  add(d: DeadLetter): Promise<void>;
  list(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>>;
  count(): Promise<number>;
  stats(): Promise<DeadLetterStats>;
  /** Removes the oldest until at most maxCount remain holding at most maxBytes; returns how many went. */
  trim(maxCount: number, maxBytes: number): Promise<number>;
  /** Removes those received before `before`; returns how many. */
  deleteBefore(before: number): Promise<number>;
}

/** A published event-stream event, as kept for replay. */
export interface StreamEventRecord {
  id: number;
  type: string;
  /** The event's JSON data, as sent. */
  data: string;
  at: number;
}

/**
 * The journal of published event-stream events: their ids come from the store's own sequence, so
 * they keep increasing across restarts, and a client reconnecting with Last-Event-ID is replayed
 * what it missed, even from before a restart. Bounded: prune() keeps the newest.
 */
export interface StreamJournalRepository {
  /**
   * Appends events (one transaction where the store has them); returns their ids, in order: each
   * greater than every id handed out before, never reused.
   */
  append(events: ReadonlyArray<Omit<StreamEventRecord, "id">>): Promise<number[]>;
  /** Events after `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): Promise<StreamEventRecord[]>;
  /** The oldest id kept (null when none is), and the last id handed out (0 before the first). */
  bounds(): Promise<{ oldest: number | null; last: number }>;
  /** Drops all but the newest `keep` events, and events published before `before`; returns how many. */
  prune(keep: number, before: number): Promise<number>;
}

export interface AuditFilter {
  action?: string;
  targetType?: string;
  targetId?: string;
  /** The actor's name (a user or token name). */
  actor?: string;
  from?: number;
  to?: number;
}

/** The operator actions, newest first; entries are only ever added (and removed by retention). */
export interface AuditRepository {
  /** Appends one entry; returns its id (increasing). */
  append(e: Omit<AuditEntry, "id">): Promise<number>;
  list(filter: AuditFilter, cursor: string | undefined, limit: number): Promise<Page<AuditEntry>>;
  deleteBefore(before: number): Promise<number>;
}

/** "Not X" decisions per track. */
export interface ExclusionRepository {
  add(e: Exclusion): Promise<void>;
  /** The persons a track must not be linked to. */
  personsFor(trackKey: string): Promise<string[]>;
  listForPerson(personId: string): Promise<Exclusion[]>;
  /** A person deleted or merged away: their exclusions go (merge: they move to `into`). */
  movePerson(fromId: string, intoId: string | null): Promise<void>;
}

export interface ProposalFilter {
  status?: ProposalStatus;
  kind?: ProposalKind;
}

/** Clustering proposals; one per (kind, a, b): a decided pair is never proposed again. */
export interface ProposalRepository {
  /** Inserts proposals not already known for their (kind, a, b); returns how many were new. */
  offer(ps: Proposal[]): Promise<number>;
  get(id: string): Promise<Proposal | undefined>;
  /** Highest score first. */
  list(filter: ProposalFilter, cursor: string | undefined, limit: number): Promise<Page<Proposal>>;
  /** Decides an open proposal; undefined when it does not exist. */
  decide(id: string, status: "accepted" | "rejected", by: string, at: number): Promise<Proposal | undefined>;
  /** Open proposals naming this id (a person deleted or merged): they are dropped. */
  dropOpenNaming(id: string): Promise<number>;
}

export interface JobRepository {
  insert(j: Job): Promise<void>;
  update(id: string, patch: Partial<Omit<Job, "id" | "kind" | "createdAt">>): Promise<Job | undefined>;
  get(id: string): Promise<Job | undefined>;
  /** Newest first. */
  list(limit: number): Promise<Job[]>;
}

/** Small key/value settings (first-start markers). */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface Store {
  readonly kind: "sqlite" | "mongo";
  /**
   * Connects, then brings the schema to the latest version (tables or collections and indexes), one
   * numbered migration after another; returns the steps applied (none when up to date) and reports each
   * to `onStep` as it lands. Rejects with ArgusError SCHEMA_TOO_NEW when a newer server wrote the data.
   */
  init(onStep?: (step: SchemaStep) => void): Promise<SchemaStep[]>;
  close(): Promise<void>;
  /** Cheap round trip for /health. */
  ping(): Promise<void>;
  /** The ingest unit of work: everything one batch of events writes, at once (see IngestBatch). */
  commitBatch(batch: IngestBatch): Promise<void>;

  readonly persons: PersonRepository;
  readonly sightings: SightingRepository;
  readonly alerts: AlertRepository;
  readonly agents: AgentRepository;
  readonly integrations: IntegrationRepository;
  readonly cameras: CameraRepository;
  readonly accounts: AccountRepository;
  readonly webhooks: WebhookRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly meta: MetaRepository;
  readonly streamJournal: StreamJournalRepository;
  readonly audit: AuditRepository;
  readonly exclusions: ExclusionRepository;
  readonly mutes: MuteRepository;
  readonly proposals: ProposalRepository;
  readonly jobs: JobRepository;
}
