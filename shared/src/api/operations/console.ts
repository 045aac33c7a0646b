/** What the staff console needs besides the basics: camera snapshots and the sightings export. */
import { z } from "zod";
import { DeviceIdSchema } from "../common.ts";
import { AllSightingsCsvQuerySchema } from "../requests.ts";
import { jpeg, type Operation, op } from "./types.ts";

export const consoleOperations = {
  cameraSnapshot: op({
    method: "get",
    path: "/api/v1/cameras/{agentId}/{cameraId}/snapshot",
    summary: "The camera's latest snapshot (a small JPEG the agent publishes every snapshot.everySeconds)",
    description:
      "404 when none is kept. Answers with an ETag and `Cache-Control: private, no-cache` (revalidate each time: " +
      "`If-None-Match` gets 304 while the snapshot is unchanged). `v` is ignored: the console puts the camera's " +
      "`snapshotAt` there so that a new snapshot is a new URL.",
    role: "viewer",
    params: z.object({ agentId: DeviceIdSchema, cameraId: DeviceIdSchema }),
    query: z.object({ v: z.string().max(64).optional().describe("ignored (a cache-busting version)") }),
    response: jpeg,
    errors: [404],
  }),
  listSightingsCsv: op({
    method: "get",
    path: "/api/v1/sightings.csv",
    summary:
      "Sightings as CSV with the filters of GET /sightings (newest first, at most 100,000 rows), times in UTC and in the time zone `tz`",
    description:
      "Columns: sighting_id, captured_at_utc, captured_at_local, last_seen_at_utc, camera_id, camera_name, agent_id, " +
      "person_id, person_name, person_kind, list, similarity, grade, quality, shots, verdict, unlinked_reason. The body is streamed; when the " +
      "filters match more than 100,000 sightings only the newest are sent and the `X-Argus-Truncated` header says so.",
    role: "viewer",
    query: AllSightingsCsvQuerySchema,
    response: { status: 200, type: "text/csv" },
  }),
} satisfies Record<string, Operation>;
