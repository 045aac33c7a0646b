/**
 * The identity work's shapes: corrections (move, split), the audit log, search by photo over all
 * history, clustering proposals and jobs, visits. Operations: operations/identities.ts.
 */
import { z } from "zod";
import { BoxSchema, count, ListSchema, maybeTime, PersonKindSchema, page, similarity, time } from "./common.ts";
import { uuid } from "./operations/types.ts";
import { cameraRefs, cursorParam, personName, queryInt, queryNumber, timeParam } from "./requests.ts";
import { PersonSchema, SightingSchema } from "./responses.ts";

export const JOB_STATUSES = ["queued", "running", "done", "failed"] as const;
export const PROPOSAL_KINDS = ["merge_persons", "link_sightings"] as const;
export const PROPOSAL_STATUSES = ["open", "accepted", "rejected"] as const;

const pageSize = (max: number, dflt: number) =>
  queryInt(1, max)
    .optional()
    .transform((v) => v ?? dflt)
    .describe(`page size, 1-${max} (default ${dflt})`);

// ------------------------------------------------------------------ corrections

const sightingIds = z.array(uuid).min(1).max(500).describe("sighting ids (1-500)");

export const MoveTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("person"), personId: z.string().min(1).max(128) }).strict(),
  z
    .object({
      kind: z.literal("new"),
      name: personName.optional().describe("default: 'Unknown #N' (an automatic person)"),
      list: ListSchema.nullable().optional(),
    })
    .strict(),
  z
    .object({ kind: z.literal("none") })
    .strict()
    .describe("'not this person': the sightings belong to no one"),
]);

export const MoveSchema = z
  .object({
    sightingIds,
    to: MoveTargetSchema.describe("another person, a new person, or no one"),
  })
  .strict();

export const SplitSchema = z
  .object({
    sightingIds,
    name: personName.optional().describe("the new person's name (default 'Unknown #N')"),
    list: ListSchema.nullable().optional(),
  })
  .strict();

export const MoveResultSchema = z
  .object({
    person: PersonSchema.nullable().describe("the person the sightings now belong to (null: no one)"),
    from: z.array(PersonSchema).describe("the persons they came from, as they are now"),
    sightings: z.array(SightingSchema),
    removedFaces: z.array(z.number().int()).describe("faces learned from the sightings that left their old persons"),
    learnedFaces: z.array(z.number().int()).describe("faces the target person learned from them"),
  })
  .meta({ id: "MoveResult" });

// ------------------------------------------------------------------ audit log

export const AuditQuerySchema = z.object({
  action: z.string().max(64).optional().describe("e.g. person.rename, sighting.move, user.create"),
  targetType: z.string().max(32).optional().describe("person, sighting, face, user, token, camera, alert, proposal"),
  targetId: z.string().max(200).optional(),
  actor: z.string().max(100).optional().describe("the user's or token's name"),
  from: timeParam.optional().describe("at or after (ISO 8601 or epoch ms)"),
  to: timeParam.optional().describe("before (ISO 8601 or epoch ms)"),
  cursor: cursorParam,
  limit: pageSize(500, 50),
});

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: time,
    actor: z.object({ kind: z.enum(["token", "session", "system"]), id: z.string(), name: z.string() }),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    before: z.unknown().describe("the state before (null: created)"),
    after: z.unknown().describe("the state after (null: deleted)"),
  })
  .meta({ id: "AuditEntry" });

// ------------------------------------------------------------------ search by photo over all history

export const HistorySearchQuerySchema = z.object({
  cameraId: cameraRefs,
  from: timeParam.optional().describe("captured at or after (ISO 8601 or epoch ms)"),
  to: timeParam.optional().describe("captured before (ISO 8601 or epoch ms)"),
  minSimilarity: queryNumber(-1, 1).optional().describe("similarity floor (default the verification threshold)"),
  cursor: z.string().max(64).optional().describe("`nextCursor` of the previous page (send the same photo and filters)"),
  limit: pageSize(100, 20),
});

export const HistoryHitSchema = z.object({ similarity, sighting: SightingSchema });

export const HistorySearchResultSchema = z
  .object({
    face: z
      .object({ box: BoxSchema, score: z.number(), quality: z.number() })
      .nullable()
      .describe("the face searched for: the photo's best (null: none found)"),
    faces: count.describe("faces found in the photo"),
    minSimilarity: z.number(),
    items: z.array(HistoryHitSchema).describe("most similar first"),
    nextCursor: z.string().nullable(),
    index: z.object({
      ready: z.boolean().describe("false while the history index loads: results cover what is loaded"),
      sightings: count,
      loading: z.object({ done: count, total: count, seconds: z.number() }).optional(),
    }),
  })
  .meta({ id: "HistorySearchResult" });

// ------------------------------------------------------------------ jobs

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: z.number().min(0).max(1),
    message: z.string().nullable(),
    result: z.unknown(),
    error: z.string().nullable(),
    createdAt: time,
    startedAt: maybeTime,
    finishedAt: maybeTime,
    createdBy: z.string().nullable(),
  })
  .meta({ id: "Job" });

export const JobListQuerySchema = z.object({ limit: pageSize(200, 20) });

// ------------------------------------------------------------------ proposals

export const ProposalSideSchema = z.object({
  type: z.enum(["person", "sighting"]),
  id: z.string(),
  person: z
    .object({
      id: z.string(),
      name: z.string(),
      kind: PersonKindSchema,
      list: ListSchema.nullable(),
      sightingCount: count,
      faceUrl: z.string().nullable(),
    })
    .nullable()
    .optional(),
  sighting: SightingSchema.nullable().optional(),
});

export const ProposalSchema = z
  .object({
    id: z.string(),
    kind: z.enum(PROPOSAL_KINDS),
    score: similarity,
    status: z.enum(PROPOSAL_STATUSES),
    a: ProposalSideSchema,
    b: ProposalSideSchema,
    createdAt: time,
    decidedAt: maybeTime,
    decidedBy: z.string().nullable(),
    jobId: z.string().nullable(),
  })
  .meta({ id: "Proposal" });

export const ProposalQuerySchema = z.object({
  status: z.enum(PROPOSAL_STATUSES).optional().describe("default open"),
  kind: z.enum(PROPOSAL_KINDS).optional(),
  cursor: cursorParam,
  limit: pageSize(200, 50),
});

export const DecisionSchema = z.object({ proposal: ProposalSchema, person: PersonSchema.nullable() });

// ------------------------------------------------------------------ visits

export const VisitsQuerySchema = z.object({
  gapSeconds: queryInt(0, 86_400).optional().describe("default: the server's visits.gapSeconds"),
  cameraId: cameraRefs,
  from: timeParam.optional(),
  to: timeParam.optional(),
  cursor: cursorParam,
  limit: pageSize(100, 20),
});

export const VisitSchema = z
  .object({
    camera: z.string().describe("agent/camera"),
    agentId: z.string(),
    cameraId: z.string(),
    firstSeenAt: time,
    lastSeenAt: time,
    count: count.describe("sightings in the visit"),
    best: SightingSchema.describe("the best shot"),
    sightings: z.array(SightingSchema).describe("newest first, at most 100"),
  })
  .meta({ id: "Visit" });

export const VisitPageSchema = page(VisitSchema);
