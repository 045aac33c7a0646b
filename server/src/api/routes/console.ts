/** What the console needs besides the basics: each camera's latest snapshot. */
import { notFound } from "../../domain/errors.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";

export function consoleRoutes(r: Routes, s: Services): void {
  r.add("cameraSnapshot", async (ctx, { params }) => {
    const snap = await s.snapshots.get(params.agentId, params.cameraId);
    if (!snap) throw notFound("snapshot of camera", `${params.agentId}/${params.cameraId}`);
    // Revalidated on each use (it changes every few seconds); unchanged, it costs a 304.
    ctx.set("cache-control", "private, no-cache");
    ctx.set("etag", snap.etag);
    ctx.lastModified = new Date(snap.at);
    ctx.type = "image/jpeg";
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = snap.jpeg;
  });
}
