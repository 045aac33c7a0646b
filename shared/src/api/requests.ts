/** What clients send: query parameters and JSON bodies (validated by the server with these). */
import { z } from "zod";
import { AlertTypeSchema, DeviceIdSchema, GradeSchema, ListSchema, PersonKindSchema, RoleSchema } from "./common.ts";
import { LISTS, PERSON_KINDS, STREAM_EVENTS } from "./enums.ts";

// ------------------------------------------------------------------ query parameters

/** A decimal integer in a query string (no hex, exponents or signs). */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A decimal number in a query string. */
export const queryNumber = (min: number, max: number) =>
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

export const cursorParam = z.string().max(512).optional().describe("`nextCursor` of the previous page");

/** A camera key `agent/camera`, or a bare camera id (that camera at any agent). */
const cameraRef = z
  .string()
  .max(129)
  .regex(
    /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be agent/camera or a camera id",
  );

/** cameraId=a/x,b/y or cameraId=a/x&cameraId=b/y */
export const cameraRefs = z
  .union([z.string().max(4096), z.array(z.string().max(4096)).max(100)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(",")).filter(Boolean))
  .pipe(z.array(cameraRef).max(100))
  .optional()
  .describe("cameras: keys agent/camera (or bare camera ids: that camera at any agent), comma-separated or repeated");

export const PageQuerySchema = z.object({ cursor: cursorParam, limit: limitParam() });

export const SightingFilterQuerySchema = z.object({
  personId: z.string().max(64).optional().describe("person id"),
  cameraId: cameraRefs,
  from: timeParam.optional().describe("captured at or after (ISO 8601 or epoch ms)"),
  to: timeParam.optional().describe("captured before (ISO 8601 or epoch ms)"),
  list: z
    .enum([...LISTS, "none"])
    .optional()
    .describe("the person's list"),
  kind: z
    .enum([...PERSON_KINDS, "unidentified"])
    .optional()
    .describe(
      "the person's kind; unidentified: sightings of no person (candidates waiting to recur, low quality faces, non-faces)",
    ),
  grade: GradeSchema.optional().describe("the grade of the match that linked the sighting to its person"),
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

/** GET /sightings.csv: the filters of GET /sightings (no paging) and the time zone of the local-time column. */
export const AllSightingsCsvQuerySchema = SightingFilterQuerySchema.omit({ cursor: true, limit: true }).extend({
  tz: timeZone,
});

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
  muted: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .describe("true: only alerts raised while muted; false: only the others"),
  personId: z.string().max(64).optional(),
  cameraId: cameraRef.optional().describe("a camera key agent/camera, or a bare camera id"),
  cursor: cursorParam,
  limit: limitParam(),
});

/** Search by photo: defaults depend on the endpoint and the server's thresholds. */
export const IdentifyQuerySchema = z.object({
  limit: queryInt(1, 50).optional().describe("candidates per face"),
  minSimilarity: queryNumber(-1, 1).optional().describe("similarity floor"),
  sightings: queryInt(0, 50).optional().describe("recent sightings per candidate"),
});

/** Enrolment: a photo below the quality floor is refused unless forced. */
export const EnrolQuerySchema = z.object({
  force: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .describe("true: enrol a face below the quality floor (identify.enrol.minQuality) anyway"),
});

export const StreamQuerySchema = z.object({
  types: z
    .string()
    .max(200)
    .optional()
    .describe(`comma-separated event types (${STREAM_EVENTS.join(", ")}); default all`),
});

// ------------------------------------------------------------------ request bodies

export const personName = z.string().trim().min(1, "must not be empty").max(200);
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
