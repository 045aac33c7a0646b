/**
 * Every table's record <-> row mapping (see rows.ts), in the column order of migrations.ts. A new
 * column is one line here plus an `ALTER TABLE` migration.
 */
import type {
  Agent,
  Alert,
  AlertType,
  AuditEntry,
  Box,
  Camera,
  DeadLetter,
  Delivery,
  DeliveryStatus,
  Exclusion,
  FaceWithEmbedding,
  Grade,
  Integration,
  IntegrationScope,
  Job,
  JobStatus,
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
  Verdict,
  Webhook,
} from "../../domain/types.ts";
import { col, table } from "./rows.ts";

const { text, oneOf, num, bool, json, blob, embedding, nullable } = col;
const role = oneOf<Role>();
type Status = Record<string, unknown> | null;

export const persons = table<Person>("persons", {
  id: text,
  name: text,
  kind: oneOf<PersonKind>(),
  list: nullable(oneOf<ListName>()),
  meta: json<Record<string, unknown>>({}),
  autoNumber: nullable(num),
  cameraId: nullable(text),
  createdAt: num,
  updatedAt: num,
  lastSeenAt: nullable(num),
  sightingCount: num,
});

export const faces = table<FaceWithEmbedding>("faces", {
  id: num,
  personId: text,
  source: oneOf<FaceWithEmbedding["source"]>(),
  cameraId: nullable(text),
  quality: num,
  sightingId: nullable(text),
  createdAt: num,
  embedding,
});
/** A face without its embedding. */
export const FACE_FIELDS = faces.fields.filter((f) => f !== "embedding") as Array<
  Exclude<keyof FaceWithEmbedding, "embedding">
>;

export const sightings = table<Sighting>("sightings", {
  id: text,
  personId: nullable(text),
  cameraId: text,
  agentId: text,
  trackId: text,
  capturedAt: num,
  lastSeenAt: num,
  day: num,
  similarity: nullable(num),
  quality: num,
  box: json<Box>(),
  frame: json<Sighting["frame"]>(),
  verdict: oneOf<Verdict>(),
  eventId: text,
  shots: num,
  hasContext: bool,
  attributes: json<Sighting["attributes"]>(),
  createdAt: num,
  clockSkewed: bool,
  grade: nullable(oneOf<Grade>()),
  unlinkedReason: nullable(text),
  indexId: nullable(num),
  contextBox: json<Box | null>(),
});
/** `s.a, s.b, ...`: sightings read without their embedding (2 kB a row, only the history index needs it). */
export const SIGHTING_SELECT = sightings.fields.map((f) => `s.${sightings.column(f)}`).join(", ");

export const deadLetters = table<DeadLetter>("dead_letters", {
  id: text,
  receivedAt: num,
  topic: text,
  error: text,
  payload: blob,
  size: num,
});

export const alerts = table<Alert>("alerts", {
  id: text,
  type: oneOf<AlertType>(),
  personId: nullable(text),
  sightingId: text,
  cameraId: text,
  agentId: text,
  capturedAt: num,
  similarity: nullable(num),
  grade: nullable(oneOf<Grade>()),
  createdAt: num,
  ackedAt: nullable(num),
  ackedBy: nullable(text),
  ackNote: nullable(text),
  mutedBy: nullable(text),
});

export const mutes = table<Mute>("mutes", {
  id: text,
  targetKind: oneOf<Mute["targetKind"]>(),
  targetId: text,
  includeFoe: bool,
  until: num,
  reason: nullable(text),
  createdAt: num,
  createdBy: text,
});

export const agents = table<Agent>("agents", {
  id: text,
  passwordHash: text,
  createdAt: num,
  status: json<Status>(),
  statusAt: nullable(num),
  lastSeenAt: nullable(num),
});

export const integrations = table<Integration>("integrations", {
  id: text,
  description: nullable(text),
  scopes: json<IntegrationScope[]>([]),
  passwordHash: text,
  createdAt: num,
  credentialsAt: num,
  lastConnectedAt: nullable(num),
});

export const cameras = table<Camera>("cameras", {
  agentId: text,
  id: text,
  name: nullable(text),
  configName: nullable(text),
  sensitive: bool,
  status: json<Status>(),
  statusAt: nullable(num),
  stateSince: nullable(num),
  lastEventAt: nullable(num),
  eventCount: num,
  snapshotAt: nullable(num),
});

export const tokens = table<Token>("tokens", {
  id: text,
  hash: text,
  role,
  name: text,
  createdAt: num,
  lastUsedAt: nullable(num),
  revokedAt: nullable(num),
});

export const users = table<User>("users", {
  id: text,
  name: text,
  role,
  passwordHash: text,
  createdAt: num,
  updatedAt: num,
  disabledAt: nullable(num),
  lastLoginAt: nullable(num),
});

export const sessions = table<Session>("sessions", {
  id: text,
  userId: text,
  createdAt: num,
  expiresAt: num,
  lastSeenAt: num,
});

export const webhooks = table<Webhook>("webhooks", {
  id: text,
  url: text,
  secret: text,
  events: json<AlertType[]>([]),
  enabled: bool,
  createdAt: num,
});

export const deliveries = table<Delivery>("deliveries", {
  id: text,
  webhookId: text,
  alertId: text,
  status: oneOf<DeliveryStatus>(),
  attempts: num,
  nextAttemptAt: num,
  lastError: nullable(text),
  createdAt: num,
  updatedAt: num,
});

export const audit = table<AuditEntry>("audit", {
  id: num,
  at: num,
  actor: json<AuditEntry["actor"]>(),
  action: text,
  targetType: text,
  targetId: text,
  before: json<unknown>(),
  after: json<unknown>(),
});

export const exclusions = table<Exclusion>("exclusions", {
  trackKey: text,
  personId: text,
  sightingId: nullable(text),
  createdAt: num,
  createdBy: text,
});

export const proposals = table<Proposal>("proposals", {
  id: text,
  kind: oneOf<ProposalKind>(),
  a: text,
  b: text,
  score: num,
  status: oneOf<ProposalStatus>(),
  createdAt: num,
  decidedAt: nullable(num),
  decidedBy: nullable(text),
  jobId: nullable(text),
});

export const jobs = table<Job>("jobs", {
  id: text,
  kind: text,
  status: oneOf<JobStatus>(),
  progress: num,
  message: nullable(text),
  result: json<unknown>(),
  error: nullable(text),
  createdAt: num,
  startedAt: nullable(num),
  finishedAt: nullable(num),
  createdBy: nullable(text),
});
