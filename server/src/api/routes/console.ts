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
    // If-None-Match decides alone (a client that sends it along with Cache-Control: no-cache, as
    // fetch() does, still has the bytes): a 304 without a body.
    if (etagMatches(ctx.get("if-none-match"), snap.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.type = "image/jpeg";
    ctx.body = snap.jpeg;
  });
}

/** Whether an If-None-Match header names this ETag (`*`, or a list, weak or strong). */
export function etagMatches(header: string, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}
