/**
 * The REST API's shapes, defined once: the server validates requests and shapes responses with
 * them, the OpenAPI document is generated from them, and the console uses their inferred types.
 * The same shapes travel over the event stream (SSE), the MQTT alerts topic and webhooks.
 *
 * Times are ISO 8601 UTC strings on the wire. Schemas with an `id` become named components of the
 * OpenAPI document.
 */
import { z } from "zod";
import {
  ALERT_TYPES,
  DELIVERY_STATUSES,
  FACE_SOURCES,
  LISTS,
  PERSON_KINDS,
  ROLES,
  STREAM_EVENTS,
  VERDICTS,
} from "./enums.ts";

// ------------------------------------------------------------------ building blocks

export const RoleSchema = z.enum(ROLES);
export const ListSchema = z.enum(LISTS);
export const PersonKindSchema = z.enum(PERSON_KINDS);
export const VerdictSchema = z.enum(VERDICTS);
export const AlertTypeSchema = z.enum(ALERT_TYPES);

const time = z.iso.datetime();
const maybeTime = time.nullable();
const count = z.number().int().nonnegative();
/** Cosine similarity of two embeddings (-1 to 1, give or take float rounding). */
const similarity = z.number();
/** [x1, y1, x2, y2] in pixels of the frame or photo. */
export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
/** The last retained status message of an agent or camera (the agent's own JSON: `state` at least). */
const status = z.object({ state: z.string(), reason: z.string().optional() }).catchall(z.unknown());

/** Agent and camera ids: the MQTT topic segment (no '/', '+', '#'). */
export const DeviceIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces), at most 64");

/** A page of a newest-first list; pass `nextCursor` back as `?cursor=` for the next (older) page. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable machine-readable code, e.g. INVALID_ARGUMENT, NOT_FOUND, NO_FACE"),
      message: z.string().describe("For humans; names the offending field where there is one"),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "Error" });

// ------------------------------------------------------------------ query parameters

/** A decimal integer in a query string (no hex, exponents or signs). */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A decimal number in a query string. */
const queryNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d{1,9}(\.\d{1,9})?$/, "must be a decimal number")
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** Latest time a query may name: year 9999 (JavaScript dates go further; people do not). */
const MAX_TIME_MS = 253_402_300_799_999;

/** ISO 8601 or epoch milliseconds, turned into epoch milliseconds. */
export const timeParam = z
  .string()
  .max(40)
  .transform((v, c) => {
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : Number.NaN;
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) {
      c.addIssue({ code: "custom", message: "must be an ISO 8601 time or epoch milliseconds (years 1970-9999)" });
      return z.NEVER;
    }
    return ms;
  })
  .describe("ISO 8601 time or epoch milliseconds");

export const limitParam = (max = 500, dflt = 50) =>
  queryInt(1, max)
    .optional()
    .transform((v) => v ?? dflt)
    .describe(`page size, 1-${max} (default ${dflt})`);

const cursorParam = z.string().max(512).optional().describe("`nextCursor` of the previous page");

/** cameraId=a,b or cameraId=a&cameraId=b */
const cameraIds = z
  .union([z.string().max(4096), z.array(z.string().max(4096)).max(100)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(",")).filter(Boolean))
  .optional()
  .describe("camera id(s), comma-separated or repeated");

export const PageQuerySchema = z.object({ cursor: cursorParam, limit: limitParam() });

export const SightingFilterQuerySchema = z.object({
  personId: z.string().max(64).optional().describe("person id"),
  cameraId: cameraIds,
  from: timeParam.optional().describe("captured at or after (ISO 8601 or epoch ms)"),
  to: timeParam.optional().describe("captured before (ISO 8601 or epoch ms)"),
  list: z
    .enum([...LISTS, "none"])
    .optional()
    .describe("the person's list"),
  kind: PersonKindSchema.optional().describe("the person's kind"),
  cursor: cursorParam,
  limit: limitParam(),
});
export const PersonSightingsQuerySchema = SightingFilterQuerySchema.omit({ personId: true });

const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as Europe/Paris")
  .default("UTC")
  .describe("IANA time zone of the captured_at_local column (default UTC)");

export const SightingsCsvQuerySchema = SightingFilterQuerySchema.omit({
  personId: true,
  cursor: true,
  limit: true,
}).extend({ tz: timeZone });

export const PersonListQuerySchema = z.object({
  list: z.enum([...LISTS, "none"]).optional(),
  kind: PersonKindSchema.optional(),
  q: z.string().max(200).optional().describe("name contains (case-insensitive)"),
  sort: z.enum(["created", "lastSeen", "sightings"]).optional().describe("newest first by this key (default created)"),
  cursor: cursorParam,
  limit: limitParam(),
});

export const AlertListQuerySchema = z.object({
  type: AlertTypeSchema.optional(),
  acked: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  personId: z.string().max(64).optional(),
  cameraId: z.string().max(64).optional(),
  cursor: cursorParam,
  limit: limitParam(),
});

/** Search by photo: defaults depend on the endpoint and the server's thresholds. */
export const IdentifyQuerySchema = z.object({
  limit: queryInt(1, 50).optional().describe("candidates per face"),
  minSimilarity: queryNumber(-1, 1).optional().describe("similarity floor"),
  sightings: queryInt(0, 50).optional().describe("recent sightings per candidate"),
});

export const StreamQuerySchema = z.object({
  types: z
    .string()
    .max(200)
    .optional()
    .describe(`comma-separated event types (${STREAM_EVENTS.join(", ")}); default all`),
});

// ------------------------------------------------------------------ request bodies

const personName = z.string().trim().min(1, "must not be empty").max(200);
const meta = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "must be at most 16 kB of JSON");

export const PersonCreateSchema = z
  .object({ name: personName, list: ListSchema.nullable().optional(), meta: meta.optional() })
  .strict();

export const PersonPatchSchema = z
  .object({ name: personName.optional(), list: ListSchema.nullable().optional(), meta: meta.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "give at least one of name, list, meta");

export const MergeSchema = z
  .object({ from: z.string().min(1).describe("id of the person merged into this one") })
  .strict();

export const AgentCreateSchema = z.object({ id: DeviceIdSchema }).strict();

export const CameraPatchSchema = z
  .object({ name: z.string().trim().max(200).nullable().optional(), sensitive: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "give name and/or sensitive");

export const TokenCreateSchema = z.object({ role: RoleSchema, name: z.string().trim().min(1).max(100) }).strict();

export const WebhookCreateSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL"),
    secret: z.string().min(16, "at least 16 characters").max(200).optional().describe("generated when absent"),
    events: z.array(AlertTypeSchema).default([]).describe("alert types delivered (default all)"),
  })
  .strict();

/** Bounds the input only; the server checks the length rules (10-200) with clear messages. */
const password = z.string().max(201);

export const SignInSchema = z
  .object({ name: z.string().min(1, "must not be empty").max(64), password: password })
  .strict();
export const PasswordChangeSchema = z.object({ current: password, password }).strict();
export const UserCreateSchema = z
  .object({
    name: z.string().max(64).describe("1-64 of a-z 0-9 . _ @ - (case-insensitive)"),
    role: RoleSchema,
    password,
  })
  .strict();
export const UserPatchSchema = z
  .object({ role: RoleSchema.optional(), password: password.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "give at least one of role, password, disabled");

// ------------------------------------------------------------------ responses

export const PersonBriefSchema = z
  .object({ id: z.string(), name: z.string(), kind: PersonKindSchema, list: ListSchema.nullable() })
  .meta({ id: "PersonBrief" });

export const PersonSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: PersonKindSchema.describe(
      "auto: founded by the server for an unmatched face; enrolled: made or named by an operator",
    ),
    list: ListSchema.nullable(),
    meta: z.record(z.string(), z.unknown()),
    autoNumber: z.number().int().nullable().describe("the N of 'Unknown #N'"),
    cameraId: z.string().nullable().describe("where an automatic person was first seen"),
    createdAt: time,
    updatedAt: time,
    lastSeenAt: maybeTime,
    sightingCount: count,
  })
  .meta({ id: "Person" });

export const FaceSchema = z
  .object({
    id: z.number().int(),
    personId: z.string(),
    source: z.enum(FACE_SOURCES),
    cameraId: z.string().nullable(),
    quality: z.number(),
    sightingId: z.string().nullable(),
    createdAt: time,
    imageUrl: z.string(),
  })
  .meta({ id: "Face" });

/** A person in lists: with the URL of a face to show. */
export const PersonListItemSchema = PersonSchema.extend({ faceUrl: z.string().nullable() }).meta({
  id: "PersonListItem",
});

export const PersonDetailSchema = PersonSchema.extend({
  regularAt: z.array(z.string()).describe("cameras where the person is a regular"),
  faceUrl: z.string().nullable(),
  faces: z.array(FaceSchema),
}).meta({ id: "PersonDetail" });

export const SightingSchema = z
  .object({
    id: z.string(),
    personId: z.string().nullable(),
    person: PersonBriefSchema.nullable().optional(),
    cameraId: z.string(),
    agentId: z.string(),
    trackId: z.string(),
    capturedAt: time.describe("first shot of the track"),
    lastSeenAt: time.describe("latest shot of the track"),
    similarity: similarity.nullable().describe("to the matched person (null: founded a person, or none)"),
    quality: z.number(),
    box: BoxSchema,
    frame: z.object({ width: z.number().int(), height: z.number().int() }),
    verdict: VerdictSchema,
    shots: z.number().int().positive(),
    attributes: z.object({ age: z.number().optional(), gender: z.enum(["male", "female"]).optional() }).nullable(),
    faceUrl: z.string(),
    contextUrl: z.string().nullable(),
  })
  .meta({ id: "Sighting" });

export const AlertSchema = z
  .object({
    id: z.string(),
    type: AlertTypeSchema,
    personId: z.string().nullable(),
    person: PersonBriefSchema.nullable().optional(),
    sightingId: z.string(),
    cameraId: z.string(),
    agentId: z.string(),
    capturedAt: time,
    similarity: similarity.nullable(),
    createdAt: time,
    ackedAt: maybeTime,
    ackedBy: z.string().nullable(),
    faceUrl: z.string(),
    sighting: SightingSchema.optional(),
  })
  .meta({ id: "Alert" });

export const CameraSchema = z
  .object({
    id: z.string(),
    agentId: z.string().nullable(),
    name: z.string().nullable(),
    sensitive: z.boolean(),
    status: status.nullable().describe("the agent's last retained status message for the camera"),
    statusAt: maybeTime,
    lastEventAt: maybeTime,
    eventCount: count,
    eventsPerMinute: z.number().optional(),
  })
  .meta({ id: "Camera" });

export const AgentSchema = z
  .object({
    id: z.string(),
    createdAt: time,
    status: status.nullable(),
    statusAt: maybeTime,
    lastSeenAt: maybeTime,
    online: z.boolean().optional(),
  })
  .meta({ id: "Agent" });

export const AgentCredentialsSchema = z
  .object({
    id: z.string(),
    mqtt: z.object({
      url: z.string(),
      username: z.string(),
      password: z.string().nullable().describe("shown once; null when an external broker holds the logins"),
      note: z.string().optional(),
    }),
  })
  .meta({ id: "AgentCredentials" });

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: time,
    lastUsedAt: maybeTime,
    revokedAt: maybeTime,
  })
  .meta({ id: "Token" });
export const TokenCreatedSchema = TokenSchema.extend({ token: z.string().describe("shown once") });

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    disabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
    lastLoginAt: maybeTime,
  })
  .meta({ id: "User" });

export const WebhookSchema = z
  .object({ id: z.string(), url: z.string(), events: z.array(AlertTypeSchema), enabled: z.boolean(), createdAt: time })
  .meta({ id: "Webhook" });
export const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().describe("the signing secret, shown once"),
});

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    alertId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: count,
    nextAttemptAt: time,
    lastError: z.string().nullable(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: "Delivery" });

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    receivedAt: time,
    topic: z.string(),
    error: z.string(),
    size: count.describe("bytes received"),
    payloadPreview: z.string(),
  })
  .meta({ id: "DeadLetter" });

export const PrincipalSchema = z
  .object({ kind: z.enum(["token", "session"]), id: z.string(), name: z.string(), role: RoleSchema })
  .meta({ id: "Principal" });

export const SignedInSchema = z.object({
  user: z.object({ id: z.string(), name: z.string(), role: RoleSchema }),
});

export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  store: z.object({ kind: z.enum(["sqlite", "mongo"]), status: z.string() }),
  broker: z.object({ embedded: z.boolean(), status: z.string() }),
  index: z.object({ persons: count, faces: count }),
  ingestBacklog: count,
  uptimeSeconds: count,
});

export const StatsSchema = z.object({
  persons: count,
  faces: count,
  scopes: z.array(z.object({ scope: z.string(), size: count, capacity: count })),
  sightings: count,
  deadLetters: count,
  ingestBacklog: count,
  sseClients: count,
});

export const CandidateSchema = z.object({
  person: PersonBriefSchema,
  similarity,
  match: z.boolean().describe("at or above the identification threshold"),
  sightings: z.array(SightingSchema).optional(),
});

export const SearchResultSchema = z
  .object({
    threshold: z.number(),
    faces: z.array(
      z.object({ box: BoxSchema, score: z.number(), quality: z.number(), candidates: z.array(CandidateSchema) }),
    ),
  })
  .meta({ id: "SearchResult" });

export const VerifyResultSchema = z.object({
  similarity,
  threshold: z.number(),
  match: z.boolean(),
  faces: z.array(z.object({ box: BoxSchema, quality: z.number() })),
});

export const EnrolResultSchema = z.object({ face: FaceSchema, quality: z.number(), person: PersonSchema });

export const CameraListSchema = z.object({ cameras: z.array(CameraSchema), agents: z.array(AgentSchema) });

export const RebuildResultSchema = z.object({ faces: count, ms: count });

export const DeadLetterPageSchema = page(DeadLetterSchema).extend({ total: count });

export const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

// ------------------------------------------------------------------ the event stream (SSE)

/** `data` of each event type of GET /api/v1/stream (the sighting/alert shapes also go to MQTT and webhooks). */
export const StreamEventSchemas = {
  sighting: SightingSchema.extend({ isNew: z.boolean().describe("false: a later shot updated the sighting") }),
  alert: AlertSchema,
  "alert-ack": z.object({ id: z.string(), ackedAt: time, ackedBy: z.string().nullable() }),
  person: z.object({
    action: z.enum(["created", "updated", "merged", "deleted"]),
    personId: z.string(),
    into: z.string().optional(),
    person: PersonSchema.optional(),
  }),
  camera: CameraSchema.partial().extend({ id: z.string() }),
  agent: z.object({ agentId: z.string(), status: status }),
} as const;

/** The body of an alert webhook delivery (signed: see the webhooks operation). */
export const WebhookBodySchema = z.object({ event: z.literal("alert"), deliveryId: z.string(), alert: AlertSchema });
