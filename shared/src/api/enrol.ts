/**
 * Bulk enrolment: a zip archive, or one named file at a time (the console and the command line, for
 * progress per file). Which person a file is a photo of comes from its path (shared/src/enrol/names.ts).
 */
import { z } from "zod";
import { GradeSchema } from "./common.ts";
import { personName } from "./requests.ts";
import { PersonBriefSchema } from "./responses.ts";

const count = z.number().int().nonnegative();
const path = z.string().max(1024);

export const BulkFileQuerySchema = z.object({
  name: personName.describe(
    "The person's exact name (as the path rules give it: shared/src/enrol/names.ts); created when nobody has it",
  ),
  file: path.optional().describe("The file's path in the folder or archive, for the report and the audit log"),
});

export const BulkArchiveQuerySchema = z.object({
  dryRun: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .describe("true: only say which person each file would go to (no decoding, nothing enrolled)"),
});

export const BULK_STATUSES = ["enrolled", "refused", "ignored", "planned"] as const;

export const BulkFileResultSchema = z
  .object({
    file: path.describe("The path in the archive or folder"),
    status: z
      .enum(BULK_STATUSES)
      .describe(
        "enrolled; refused (see error); ignored (a folder or system file: __MACOSX/, .DS_Store...); planned (dry run)",
      ),
    name: z.string().nullable().describe("The person's name the path gives (null when it gives none)"),
    person: PersonBriefSchema.nullable().describe("The person enrolled into (or who would be, in a dry run)"),
    created: z.boolean().describe("The person was created for this file"),
    faceId: z.number().int().nullable(),
    quality: z.number().nullable().describe("The enrolled face's quality in [0, 1]"),
    facesFound: count.nullable(),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe(
        "Why it was refused: NOT_AN_IMAGE, NO_NAME, AMBIGUOUS_NAME (several persons have the name), NO_FACE, MULTIPLE_FACES, LOW_QUALITY, IMAGE_UNSUPPORTED, IMAGE_CORRUPT, IMAGE_TOO_LARGE, IMAGE_TOO_MANY_PIXELS, ENTRY_TOO_LARGE, ENTRY_CORRUPT, ENTRY_UNSUPPORTED, BUSY",
      ),
    duplicates: z
      .array(z.object({ person: PersonBriefSchema, similarity: z.number(), grade: GradeSchema.nullable() }))
      .describe("Other persons this photo matches (a possible duplicate: the same person under two names?)"),
  })
  .meta({ id: "BulkFileResult" });

export const BulkReportSchema = z
  .object({
    files: z.array(BulkFileResultSchema),
    summary: z.object({
      files: count.describe("Entries in the archive"),
      enrolled: count,
      possibleDuplicates: count.describe("Enrolled photos that match another person"),
      refused: count,
      ignored: count,
      personsCreated: count,
    }),
  })
  .meta({ id: "BulkReport" });
