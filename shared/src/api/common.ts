/** Building blocks of the REST contract's shapes, shared by requests and responses. */
import { z } from "zod";
import { ALERT_TYPES, GRADES, LISTS, PERSON_KINDS, ROLES, VERDICTS } from "./enums.ts";

// ------------------------------------------------------------------ building blocks

export const RoleSchema = z.enum(ROLES);
export const ListSchema = z.enum(LISTS);
export const PersonKindSchema = z.enum(PERSON_KINDS);
export const VerdictSchema = z.enum(VERDICTS);
export const AlertTypeSchema = z.enum(ALERT_TYPES);
export const GradeSchema = z
  .enum(GRADES)
  .describe(
    "how sure the match is: strong, likely or possible (the chance a stranger scores as high in this gallery, and the margin to the second person)",
  );

export const time = z.iso.datetime();
export const maybeTime = time.nullable();
export const count = z.number().int().nonnegative();
/** Cosine similarity of two embeddings (-1 to 1, give or take float rounding). */
export const similarity = z.number();
/** [x1, y1, x2, y2] in pixels of the frame or photo. */
export const BoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
/** The last retained status message of an agent or camera (the agent's own JSON: `state` at least). */
export const status = z.object({ state: z.string(), reason: z.string().optional() }).catchall(z.unknown());

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

export const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
