/**
 * Every operation of the REST API, described once: method, path, the role it needs, its inputs and
 * its response. The server registers its routes from this table (and validates inputs with it), the
 * OpenAPI document is generated from it, and the console's types come from it.
 */
import { z } from "zod";
import type { Role } from "./enums.ts";
import {
  AgentCreateSchema,
  AgentCredentialsSchema,
  AgentSchema,
  AlertListQuerySchema,
  AlertSchema,
  CameraListSchema,
  CameraPatchSchema,
  CameraSchema,
  DeadLetterPageSchema,
  DeliverySchema,
  DeviceIdSchema,
  EnrolResultSchema,
  FaceSchema,
  HealthSchema,
  IdentifyQuerySchema,
  items,
  MergeSchema,
  PageQuerySchema,
  PasswordChangeSchema,
  PersonCreateSchema,
  PersonDetailSchema,
  PersonListItemSchema,
  PersonListQuerySchema,
  PersonPatchSchema,
  PersonSchema,
  PersonSightingsQuerySchema,
  PrincipalSchema,
  page,
  RebuildResultSchema,
  SearchResultSchema,
  SightingFilterQuerySchema,
  SightingSchema,
  SightingsCsvQuerySchema,
  SignedInSchema,
  SignInSchema,
  StatsSchema,
  StreamQuerySchema,
  TokenCreatedSchema,
  TokenCreateSchema,
  TokenSchema,
  UserCreateSchema,
  UserPatchSchema,
  UserSchema,
  VerifyResultSchema,
  WebhookCreatedSchema,
  WebhookCreateSchema,
  WebhookSchema,
} from "./schemas.ts";

export type Method = "get" | "post" | "patch" | "delete";

export type Body =
  | { type: "json"; schema: z.ZodType }
  /** multipart/form-data file fields; with one field, a raw image/* body is accepted too. */
  | { type: "image"; fields: readonly string[] };

export type Response =
  | { status: 200 | 201; schema: z.ZodType }
  | { status: 204 }
  /** A non-JSON body (crops, CSV, the event stream, metrics, docs). */
  | {
      status: 200;
      type: "image/jpeg" | "text/csv" | "text/event-stream" | "text/plain" | "text/html" | "application/json";
    };

export interface Operation {
  method: Method;
  /** OpenAPI form: /api/v1/persons/{id}. */
  path: string;
  summary: string;
  description?: string;
  /** The least role that may call it; null: no credentials needed. */
  role: Role | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Body;
  response: Response;
  /** Error statuses besides the generic ones (400 for bad input, 401/403 for roles). */
  errors?: readonly number[];
}

const op = <const O extends Operation>(o: O): O => o;

/** Path parameters: ids are bounded strings; their exact format is checked where they are used. */
const id = z.string().min(1).max(128);
const idParams = z.object({ id });
const deviceParams = z.object({ id: DeviceIdSchema });
const numericId = z
  .string()
  .regex(/^\d{1,15}$/, "must be a positive integer")
  .transform(Number);

const json = <S extends z.ZodType>(schema: S) => ({ type: "json", schema }) as const;
const ok = <S extends z.ZodType>(schema: S) => ({ status: 200, schema }) as const;
const created = <S extends z.ZodType>(schema: S) => ({ status: 201, schema }) as const;
const done = { status: 204 } as const;
const image = { type: "image", fields: ["image"] } as const;
const jpeg = { status: 200, type: "image/jpeg" } as const;

export const operations = {
  // ---------------------------------------------------------------- open
  health: op({
    method: "get",
    path: "/health",
    summary: "Liveness and dependencies (no credentials)",
    role: null,
    response: ok(HealthSchema),
    errors: [503],
  }),
  metrics: op({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (no credentials)",
    role: null,
    response: { status: 200, type: "text/plain" },
  }),
  openapi: op({
    method: "get",
    path: "/openapi.json",
    summary: "This API's OpenAPI 3.1 document",
    role: null,
    response: { status: 200, type: "application/json" },
  }),
  docs: op({
    method: "get",
    path: "/docs",
    summary: "This API's documentation page",
    role: null,
    response: { status: 200, type: "text/html" },
  }),
  signIn: op({
    method: "post",
    path: "/api/v1/session",
    summary: "Console sign-in",
    description:
      "Sets the httpOnly SameSite=Strict `argus_session` cookie. Needs the `X-Argus-CSRF: 1` header (as do all cookie-authenticated changes); failed attempts are rate-limited (429 with Retry-After).",
    role: null,
    body: json(SignInSchema),
    response: ok(SignedInSchema),
    errors: [401, 403, 429],
  }),
  signOut: op({
    method: "delete",
    path: "/api/v1/session",
    summary: "Sign out: ends the session on the server and clears the cookie",
    role: null,
    response: done,
    errors: [403],
  }),

  // ---------------------------------------------------------------- the caller
  me: op({
    method: "get",
    path: "/api/v1/me",
    summary: "The calling principal and its role",
    role: "viewer",
    response: ok(PrincipalSchema),
  }),
  changePassword: op({
    method: "post",
    path: "/api/v1/session/password",
    summary: "Change the signed-in user's own password (the user's other sessions end)",
    role: "viewer",
    body: json(PasswordChangeSchema),
    response: done,
  }),

  // ---------------------------------------------------------------- persons
  createPerson: op({
    method: "post",
    path: "/api/v1/persons",
    summary: "Create an enrolled person",
    role: "operator",
    body: json(PersonCreateSchema),
    response: created(PersonSchema),
  }),
  listPersons: op({
    method: "get",
    path: "/api/v1/persons",
    summary: "List persons, newest first (or by lastSeen / sightings)",
    role: "viewer",
    query: PersonListQuerySchema,
    response: ok(page(PersonListItemSchema)),
  }),
  getPerson: op({
    method: "get",
    path: "/api/v1/persons/{id}",
    summary: "A person with faces and the cameras where they are a regular",
    role: "viewer",
    params: idParams,
    response: ok(PersonDetailSchema),
    errors: [404],
  }),
  updatePerson: op({
    method: "patch",
    path: "/api/v1/persons/{id}",
    summary: "Rename, change list (friend/foe/null) or meta; naming an automatic person makes it enrolled",
    role: "operator",
    params: idParams,
    body: json(PersonPatchSchema),
    response: ok(PersonSchema),
    errors: [404],
  }),
  deletePerson: op({
    method: "delete",
    path: "/api/v1/persons/{id}",
    summary: "Delete a person with their faces, sightings, crops and alerts",
    role: "operator",
    params: idParams,
    response: done,
    errors: [404],
  }),
  mergePerson: op({
    method: "post",
    path: "/api/v1/persons/{id}/merge",
    summary: "Merge person `from` into this one (sightings and faces move; the index follows)",
    role: "operator",
    params: idParams,
    body: json(MergeSchema),
    response: ok(PersonSchema),
    errors: [404],
  }),
  enrolFace: op({
    method: "post",
    path: "/api/v1/persons/{id}/faces",
    summary: "Enrol a photo with exactly one face (multipart field `image` or a raw image body)",
    role: "operator",
    params: idParams,
    body: image,
    response: created(EnrolResultSchema),
    errors: [404, 413, 415, 422],
  }),
  listPersonFaces: op({
    method: "get",
    path: "/api/v1/persons/{id}/faces",
    summary: "The person's representative faces",
    role: "viewer",
    params: idParams,
    response: ok(items(FaceSchema)),
    errors: [404],
  }),
  deletePersonFace: op({
    method: "delete",
    path: "/api/v1/persons/{id}/faces/{faceId}",
    summary: "Remove a face",
    role: "operator",
    params: z.object({ id, faceId: numericId }),
    response: done,
    errors: [404],
  }),
  faceImage: op({
    method: "get",
    path: "/api/v1/faces/{id}/image",
    summary: "A face's aligned crop (JPEG)",
    role: "viewer",
    params: z.object({ id: numericId }),
    response: jpeg,
    errors: [404],
  }),
  personSightings: op({
    method: "get",
    path: "/api/v1/persons/{id}/sightings",
    summary: "The person's sightings, newest first",
    role: "viewer",
    params: idParams,
    query: PersonSightingsQuerySchema,
    response: ok(page(SightingSchema)),
    errors: [404],
  }),
  personSightingsCsv: op({
    method: "get",
    path: "/api/v1/persons/{id}/sightings.csv",
    summary:
      "The person's sightings as CSV (newest first, at most 100,000 rows), times in UTC and in the time zone `tz`",
    role: "viewer",
    params: idParams,
    query: SightingsCsvQuerySchema,
    response: { status: 200, type: "text/csv" },
    errors: [404],
  }),

  // ---------------------------------------------------------------- sightings and search
  listSightings: op({
    method: "get",
    path: "/api/v1/sightings",
    summary: "Sightings, newest first, filtered",
    role: "viewer",
    query: SightingFilterQuerySchema,
    response: ok(page(SightingSchema)),
  }),
  getSighting: op({
    method: "get",
    path: "/api/v1/sightings/{id}",
    summary: "One sighting",
    role: "viewer",
    params: idParams,
    response: ok(SightingSchema),
    errors: [404],
  }),
  sightingFace: op({
    method: "get",
    path: "/api/v1/sightings/{id}/face",
    summary: "The sighting's face crop (JPEG)",
    role: "viewer",
    params: idParams,
    response: jpeg,
    errors: [404],
  }),
  sightingContext: op({
    method: "get",
    path: "/api/v1/sightings/{id}/context",
    summary: "The sighting's context crop (JPEG)",
    role: "viewer",
    params: idParams,
    response: jpeg,
    errors: [404],
  }),
  identify: op({
    method: "post",
    path: "/api/v1/identify",
    summary: "Every face in the photo with its candidate persons (at or above the identification threshold)",
    description: "Defaults: limit 5, minSimilarity the identification threshold, sightings 0.",
    role: "viewer",
    query: IdentifyQuerySchema,
    body: image,
    response: ok(SearchResultSchema),
    errors: [413, 415, 422],
  }),
  search: op({
    method: "post",
    path: "/api/v1/search",
    summary: "Search by photo: matching persons (down to the verification threshold) with their recent sightings",
    description: "Defaults: limit 10, minSimilarity the verification threshold, sightings 5.",
    role: "viewer",
    query: IdentifyQuerySchema,
    body: image,
    response: ok(SearchResultSchema),
    errors: [413, 415, 422],
  }),
  verify: op({
    method: "post",
    path: "/api/v1/verify",
    summary: "Are the faces of two photos (multipart `image1`, `image2`) the same person?",
    role: "viewer",
    body: { type: "image", fields: ["image1", "image2"] },
    response: ok(VerifyResultSchema),
    errors: [413, 415, 422],
  }),

  // ---------------------------------------------------------------- agents, cameras, alerts
  createAgent: op({
    method: "post",
    path: "/api/v1/agents",
    summary: "Register an agent; returns its MQTT credentials once",
    role: "admin",
    body: json(AgentCreateSchema),
    response: created(AgentCredentialsSchema),
    errors: [409],
  }),
  listAgents: op({
    method: "get",
    path: "/api/v1/agents",
    summary: "Registered agents with their last status",
    role: "viewer",
    response: ok(items(AgentSchema)),
  }),
  rotateAgent: op({
    method: "post",
    path: "/api/v1/agents/{id}/credentials",
    summary: "Issue a new MQTT password for an agent (its connections are closed)",
    role: "admin",
    params: deviceParams,
    response: ok(AgentCredentialsSchema),
    errors: [404],
  }),
  deleteAgent: op({
    method: "delete",
    path: "/api/v1/agents/{id}",
    summary: "Revoke an agent (disconnects it)",
    role: "admin",
    params: deviceParams,
    response: done,
    errors: [404],
  }),
  listCameras: op({
    method: "get",
    path: "/api/v1/cameras",
    summary: "Cameras and agents seen, with their last status and event rate",
    role: "viewer",
    response: ok(CameraListSchema),
  }),
  updateCamera: op({
    method: "patch",
    path: "/api/v1/cameras/{id}",
    summary: "Name a camera or mark it sensitive (unknown persons there raise alerts)",
    role: "operator",
    params: deviceParams,
    body: json(CameraPatchSchema),
    response: ok(CameraSchema),
  }),
  listAlerts: op({
    method: "get",
    path: "/api/v1/alerts",
    summary: "Alerts, newest first",
    role: "viewer",
    query: AlertListQuerySchema,
    response: ok(page(AlertSchema)),
  }),
  ackAlert: op({
    method: "post",
    path: "/api/v1/alerts/{id}/ack",
    summary: "Acknowledge an alert",
    role: "operator",
    params: idParams,
    response: ok(AlertSchema),
    errors: [404],
  }),
  stream: op({
    method: "get",
    path: "/api/v1/stream",
    summary: "Server-sent events: sighting, alert, alert-ack, person, camera, agent",
    description:
      "JSON data (shapes: StreamEventSchemas in shared/src/api/schemas.ts), increasing ids; Last-Event-ID resumes.",
    role: "viewer",
    query: StreamQuerySchema,
    response: { status: 200, type: "text/event-stream" },
  }),

  // ---------------------------------------------------------------- administration
  createToken: op({
    method: "post",
    path: "/api/v1/tokens",
    summary: "Create an API token (shown once)",
    role: "admin",
    body: json(TokenCreateSchema),
    response: created(TokenCreatedSchema),
  }),
  listTokens: op({
    method: "get",
    path: "/api/v1/tokens",
    summary: "API tokens (no secrets)",
    role: "admin",
    response: ok(items(TokenSchema)),
  }),
  revokeToken: op({
    method: "delete",
    path: "/api/v1/tokens/{id}",
    summary: "Revoke a token",
    role: "admin",
    params: idParams,
    response: done,
    errors: [404],
  }),
  createWebhook: op({
    method: "post",
    path: "/api/v1/webhooks",
    summary: "Add an alert webhook",
    description:
      "Bodies (WebhookBodySchema) are signed: X-Argus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' + body)>.",
    role: "admin",
    body: json(WebhookCreateSchema),
    response: created(WebhookCreatedSchema),
  }),
  listWebhooks: op({
    method: "get",
    path: "/api/v1/webhooks",
    summary: "Webhooks",
    role: "admin",
    response: ok(items(WebhookSchema)),
  }),
  deleteWebhook: op({
    method: "delete",
    path: "/api/v1/webhooks/{id}",
    summary: "Remove a webhook",
    role: "admin",
    params: idParams,
    response: done,
    errors: [404],
  }),
  listDeliveries: op({
    method: "get",
    path: "/api/v1/webhooks/{id}/deliveries",
    summary: "Delivery attempts and failures",
    role: "admin",
    params: idParams,
    query: PageQuerySchema,
    response: ok(page(DeliverySchema)),
  }),
  listDeadLetters: op({
    method: "get",
    path: "/api/v1/dead-letters",
    summary: "Invalid messages received over MQTT",
    role: "admin",
    query: PageQuerySchema,
    response: ok(DeadLetterPageSchema),
  }),
  rebuildIndex: op({
    method: "post",
    path: "/api/v1/admin/rebuild-index",
    summary: "Rebuild the face index from the database",
    role: "admin",
    response: ok(RebuildResultSchema),
  }),
  stats: op({
    method: "get",
    path: "/api/v1/admin/stats",
    summary: "Gallery and ingestion figures",
    role: "viewer",
    response: ok(StatsSchema),
  }),
  listUsers: op({
    method: "get",
    path: "/api/v1/users",
    summary: "Console users (no password hashes)",
    role: "admin",
    response: ok(items(UserSchema)),
  }),
  createUser: op({
    method: "post",
    path: "/api/v1/users",
    summary: "Create a console user",
    role: "admin",
    body: json(UserCreateSchema),
    response: created(UserSchema),
    errors: [409],
  }),
  updateUser: op({
    method: "patch",
    path: "/api/v1/users/{id}",
    summary:
      "Change a user's role, password or enabled state; ends the user's sessions. The last enabled admin stays (409)",
    role: "admin",
    params: idParams,
    body: json(UserPatchSchema),
    response: ok(UserSchema),
    errors: [404, 409],
  }),
  deleteUser: op({
    method: "delete",
    path: "/api/v1/users/{id}",
    summary: "Delete a user and their sessions",
    role: "admin",
    params: idParams,
    response: done,
    errors: [404, 409],
  }),
} satisfies Record<string, Operation>;

export type Operations = typeof operations;
export type OperationId = keyof Operations;
