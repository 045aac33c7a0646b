/** Bulk enrolment: a zip archive at once, or one named file at a time. */
import { BulkArchiveQuerySchema, BulkFileQuerySchema, BulkFileResultSchema, BulkReportSchema } from "../enrol.ts";
import { archive, image, ok, op } from "./types.ts";

export const enrolOperations = {
  enrolBulk: op({
    method: "post",
    path: "/api/v1/enrol/bulk",
    summary:
      "Enrol the photos of a zip archive (multipart field `archive` or a raw application/zip body), named `Name/photo.jpg` or `Name_1.jpg`",
    description:
      "Each file goes to the person its path names (created when nobody has that exact name; refused AMBIGUOUS_NAME when several do), through the same enrolment as POST /persons/{id}/faces (quality floor, dominant face, warnings), one photo at a time. The report has one line per entry: enrolled (with the quality and the other persons it matches: possible duplicates), refused with the reason, or ignored (folders, __MACOSX/, .DS_Store). 413 above http.bulk.maxArchiveBytes; 422 ARCHIVE_INVALID, ARCHIVE_TOO_MANY_FILES (http.bulk.maxFiles), ARCHIVE_TOO_LARGE (unpacked, http.bulk.maxUnpackedBytes); an entry above http.maxUploadBytes unpacked, or inflating beyond its declared size, is refused alone. ?dryRun=true only plans.",
    role: "operator",
    query: BulkArchiveQuerySchema,
    body: archive,
    response: ok(BulkReportSchema),
    errors: [413, 415, 422, 503],
  }),
  enrolBulkFile: op({
    method: "post",
    path: "/api/v1/enrol/file",
    summary:
      "Enrol one photo into the person with this exact name, created when nobody has it (multipart field `image` or a raw image body)",
    description:
      "The per-file step of a bulk enrolment (the console and `enrol-folder` call it once per file, for progress): the same outcome as one line of POST /enrol/bulk's report, with a refusal (no face, several faces, low quality, not an image...) as a 200 line, not an error. 413 above http.maxUploadBytes; 503 BUSY when the photo queue is full.",
    role: "operator",
    query: BulkFileQuerySchema,
    body: image,
    response: ok(BulkFileResultSchema),
    errors: [413, 415, 503],
  }),
};
