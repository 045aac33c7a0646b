/** Bulk enrolment: a zip archive, or one named file at a time (identify/bulkEnrol.ts). */
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { actorOf } from "./identities.ts";

export function enrolRoutes(r: Routes, s: Services): void {
  r.add("enrolBulk", async (ctx, { query, body }) =>
    s.bulkEnrolment.enrolArchive(actorOf(ctx), body.archive, {
      dryRun: query.dryRun,
      // A client that hung up gets no report: the photos not enrolled yet stay so (each one done is audited).
      gone: () => ctx.req.socket.destroyed,
    }),
  );

  r.add("enrolBulkFile", async (ctx, { query, body }) =>
    s.bulkEnrolment.enrolFile(actorOf(ctx), query.file ?? query.name, query.name, body.image),
  );
}
