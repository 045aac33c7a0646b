/**
 * What the server answers: the wire shapes of the API, also sent over the event stream (SSE), the
 * MQTT alerts topic and webhooks. Times are ISO 8601 UTC strings. Schemas with an `id` become named
 * components of the OpenAPI document.
 */
import { z } from "zod";
import {
  AlertTypeSchema,
  BoxSchema,
  count,
  GradeSchema,
  ListSchema,
  maybeTime,
  PersonKindSchema,
  page,
  RoleSchema,
  similarity,
  status,
  time,
  VerdictSchema,
} from "./common.ts";
import { DELIVERY_STATUSES, FACE_SOURCES } from "./enums.ts";

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
    camera: z.string().nullable().describe("camera key agent/camera where an automatic person was first seen"),
    createdAt: time,
    updatedAt: time,
    lastSeenAt: maybeTime,
    firstSeenAt: maybeTime
      .optional()
      .describe(
        "capture time of the person's earliest sighting (null: never seen); computed when the person is read, so absent only from the event stream's person events",
      ),
    sightingCount: count,
  })
  .meta({ id: "Person" });

export const FaceSchema = z
  .object({
    id: z.number().int(),
    personId: z.string(),
    source: z.enum(FACE_SOURCES),
    camera: z.string().nullable().describe("camera key agent/camera of the sighting the face was learned from"),
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
    contextBox: BoxSchema.nullable().describe(
      "the region of the frame [x1, y1, x2, y2] (frame pixels) that the context image shows, scaled to its size; null: not sent by the agent (older agents)",
    ),
    grade: GradeSchema.nullable().describe(
      "of the link to the person; null: the face founded the person, or no person",
    ),
    unlinkedReason: z
      .string()
      .nullable()
      .describe(
        "why there is no person: not_a_face:<check>, low_quality, candidate (waiting for more evidence), unlinked (an operator's 'not X')",
      ),
    clockSkewed: z
      .boolean()
      .describe(
        "true: a shot's capture time from the agent was outside the server's accepted clock skew, and the server's receive time stands in for it in capturedAt/lastSeenAt (check the agent's clock)",
      ),
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
    grade: GradeSchema.nullable(),
    createdAt: time,
    ackedAt: maybeTime,
    ackedBy: z.string().nullable(),
    ackNote: z.string().nullable().describe("the note given with the acknowledgement"),
    muted: z
      .boolean()
      .describe("raised while a mute matched: stored, but not announced (no webhook, MQTT, sound or notification)"),
    mutedBy: z.string().nullable().describe("the id of the mute that matched"),
    faceUrl: z.string(),
    sighting: SightingSchema.optional(),
  })
  .meta({ id: "Alert" });

export const CameraSchema = z
  .object({
    agentId: z.string(),
    id: z.string().describe("the camera's id at its agent (agents name their own cameras)"),
    key: z.string().describe("agent/camera: names the camera in filters and URLs"),
    name: z.string().nullable().describe("the operator's name, else the name in the agent's camera file"),
    configName: z.string().nullable().describe("the name in the agent's camera file"),
    sensitive: z.boolean(),
    status: status.nullable().describe("the agent's last retained status message for the camera"),
    statusAt: maybeTime.describe("the last status report"),
    stateSince: maybeTime.describe("when the status's state last changed"),
    lastEventAt: maybeTime,
    eventCount: count,
    eventsPerMinute: z.number().optional(),
    snapshotAt: maybeTime.describe("when the agent's latest snapshot of the camera's view arrived (null: none kept)"),
    snapshotUrl: z
      .string()
      .nullable()
      .describe("the latest snapshot (JPEG), with a version parameter that changes with each new one; null: none"),
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
  status: z
    .enum(["ok", "degraded", "starting"])
    .describe("starting: the face index is loading (every other route answers 503 STARTING until it is ready)"),
  store: z.object({ kind: z.enum(["sqlite", "mongo"]), status: z.string() }),
  broker: z.object({ embedded: z.boolean(), status: z.string() }),
  index: z.object({
    persons: count,
    faces: count,
    loading: z
      .object({
        phase: z.enum(["pending", "snapshot", "database", "catch-up"]),
        done: count.describe("catch-up: faces added to the index so far"),
        total: count.describe("catch-up: faces missing from the snapshot"),
        seconds: z.number().nonnegative().describe("since the load began"),
      })
      .optional()
      .describe(
        "While the index loads: snapshot opened, database read (the graphs meanwhile), then the catch-up of missing faces",
      ),
  }),
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
  grade: GradeSchema.nullable().describe(
    "how sure (the calibrated chance a stranger scores as high in this gallery, one grade weaker when the next person is within the margin); null: weaker than possible",
  ),
  sightings: z.array(SightingSchema).optional(),
});

export const SearchResultSchema = z
  .object({
    threshold: z.number().describe("the operating threshold at the gallery's current size"),
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

export const EnrolResultSchema = z.object({
  face: FaceSchema,
  quality: z.number(),
  person: PersonSchema,
  box: BoxSchema.describe("the enrolled face in the photo (the dominant one when there were several)"),
  facesFound: count.describe("faces found in the photo"),
  forced: z.boolean().describe("enrolled below the quality floor because ?force=true"),
  warnings: z
    .array(
      z.object({
        person: PersonBriefSchema,
        similarity,
        grade: GradeSchema.nullable(),
      }),
    )
    .describe("other persons this photo matches (at or above the operating threshold): the same person twice?"),
});

export const CameraListSchema = z.object({ cameras: z.array(CameraSchema), agents: z.array(AgentSchema) });

export const RebuildResultSchema = z.object({ faces: count, ms: count });

export const DeadLetterPageSchema = page(DeadLetterSchema).extend({ total: count });

// ------------------------------------------------------------------ the event stream (SSE)

/** `data` of each event type of GET /api/v1/stream (the sighting/alert shapes also go to MQTT and webhooks). */
export const StreamEventSchemas = {
  sighting: SightingSchema.extend({ isNew: z.boolean().describe("false: a later shot updated the sighting") }),
  alert: AlertSchema,
  "alert-ack": z.object({
    id: z.string(),
    ackedAt: time,
    ackedBy: z.string().nullable(),
    ackNote: z.string().nullable().optional(),
  }),
  person: z.object({
    action: z.enum(["created", "updated", "merged", "deleted"]),
    personId: z.string(),
    into: z.string().optional(),
    person: PersonSchema.optional(),
  }),
  camera: CameraSchema.partial().extend({ id: z.string() }),
  agent: z.object({ agentId: z.string(), status: status }),
  /**
   * Sent on reconnection instead of a replay when the events since Last-Event-ID are no longer kept
   * (or that id was never handed out): reload everything. Sent whatever `types` asked for.
   */
  reset: z.object({ lastEventId: z.number().int().nullable().describe("the newest event id; null if unknown") }),
} as const;

/** The body of an alert webhook delivery (signed: see the webhooks operation). */
export const WebhookBodySchema = z.object({ event: z.literal("alert"), deliveryId: z.string(), alert: AlertSchema });
