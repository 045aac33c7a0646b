/**
 * Identity corrections (move, split), the audit log, search by photo over all history, duplicates
 * (the clustering job, proposals) and visits. Every change is audited by the services it calls.
 */

import type { Context } from "koa";
import { invalidArgument, notFound } from "../../domain/errors.ts";
import type { Actor, Person, Sighting } from "../../domain/types.ts";
import { parseCameraRef } from "../../domain/types.ts";
import type { MoveResult } from "../../identify/corrections.ts";
import { visitsPage } from "../../identify/visits.ts";
import { auditView, jobView, proposalSide, proposalView, visitView } from "../../views/identities.ts";
import { personView, sightingView } from "../../views/views.ts";
import { principalOf } from "../auth.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";

/** The caller as the audit log records them. */
export const actorOf = (ctx: Context): Actor => {
  const p = principalOf(ctx);
  return { kind: p.kind, id: p.id, name: p.name };
};

/** A history search cursor: the offset of the next page. */
const offsetOf = (cursor: string | undefined): number => {
  if (cursor === undefined || cursor === "") return 0;
  const m = /^o(\d{1,6})$/.exec(cursor);
  if (!m) throw invalidArgument("cursor", "cursor is malformed");
  return Number(m[1]);
};

export function identityRoutes(r: Routes, s: Services): void {
  const faceUrl = (id: string) => {
    const best = s.gallery
      .repMeta(id)
      .sort((a, b) => Number(b.source === "enrol") - Number(a.source === "enrol") || b.quality - a.quality)[0];
    return best ? `/api/v1/faces/${best.id}/image` : null;
  };
  const moveView = (m: MoveResult) => ({
    person: m.person ? personView(m.person) : null,
    from: m.from.map(personView),
    sightings: m.sightings.map((x) => sightingView(x, x.personId === m.person?.id ? m.person : null)),
    removedFaces: m.removedFaces,
    learnedFaces: m.learnedFaces,
  });

  // ------------------------------------------------------------------ corrections
  r.add("moveSightings", async (ctx, { body }) =>
    moveView(await s.corrections.move(body.sightingIds, body.to, actorOf(ctx))),
  );

  r.add("splitPerson", async (ctx, { params, body }) =>
    moveView(
      await s.corrections.split(params.id, body.sightingIds, { name: body.name, list: body.list }, actorOf(ctx)),
    ),
  );

  // ------------------------------------------------------------------ audit log
  r.add("listAudit", async (_ctx, { query: q }) => {
    const page = await s.store.audit.list(
      { action: q.action, targetType: q.targetType, targetId: q.targetId, actor: q.actor, from: q.from, to: q.to },
      q.cursor,
      q.limit,
    );
    return { items: page.items.map(auditView), nextCursor: page.nextCursor };
  });

  // ------------------------------------------------------------------ search all history by photo
  r.add("searchSightings", async (_ctx, { query: q, body }) => {
    const offset = offsetOf(q.cursor);
    const maxDepth = s.config.history.maxDepth;
    if (offset + q.limit > maxDepth)
      throw invalidArgument("cursor", `results go ${maxDepth} deep at most (history.maxDepth); narrow the filters`);
    const minSimilarity = q.minSimilarity ?? s.config.identify.verifyThreshold;
    const faces = await s.personService.facesIn(body.image);
    const h = s.history;
    const index = {
      ready: h.ready,
      sightings: h.size,
      ...(h.ready ? {} : { loading: { done: h.loading.done, total: h.loading.total, seconds: h.loading.seconds } }),
    };
    if (!faces.length) return { face: null, faces: 0, minSimilarity, items: [], nextCursor: null, index };
    // The photo's best face: the most confident detection, then the best quality.
    const f = [...faces].sort((a, b) => b.quality * b.score - a.quality * a.score)[0];
    const want = offset + q.limit + 1;
    const hits = h
      .search(f.embedding, { k: want, cameras: q.cameraId?.map(parseCameraRef), from: q.from, to: q.to })
      .filter((x) => x.similarity >= minSimilarity);
    const pageHits = hits.slice(offset, offset + q.limit);
    const items = [];
    const persons = new Map<string, Person | null>();
    for (const hit of pageHits) {
      const x = await s.store.sightings.get(hit.sightingId);
      if (!x) {
        h.removeLabel(hit.indexId); // deleted since the index's snapshot
        continue;
      }
      if (x.personId && !persons.has(x.personId)) persons.set(x.personId, (await s.persons.get(x.personId)) ?? null);
      items.push({
        similarity: hit.similarity,
        sighting: sightingView(x, x.personId ? (persons.get(x.personId) ?? null) : null),
      });
    }
    return {
      face: { box: f.box, score: f.score, quality: f.quality },
      faces: faces.length,
      minSimilarity,
      items,
      nextCursor: hits.length > offset + q.limit && offset + q.limit < maxDepth ? `o${offset + q.limit}` : null,
      index,
    };
  });

  // ------------------------------------------------------------------ duplicates: jobs and proposals
  r.add("startCluster", async (ctx) => {
    const a = actorOf(ctx);
    const job = await s.jobs.start("cluster", `${a.kind}:${a.name}`);
    return jobView(job);
  });
  r.add("listJobs", async (_ctx, { query }) => ({ items: (await s.store.jobs.list(query.limit)).map(jobView) }));
  r.add("getJob", async (_ctx, { params }) => {
    const j = await s.store.jobs.get(params.id);
    if (!j) throw notFound("job", params.id);
    return jobView(j);
  });

  const side = async (id: string, as: "person" | "sighting" | "either") => {
    const person = as === "sighting" ? undefined : await s.store.persons.get(id);
    if (person || as === "person")
      return person ? proposalSide(id, person, undefined, faceUrl) : { type: "person" as const, id, person: null };
    const x: Sighting | undefined = await s.store.sightings.get(id);
    const p = x?.personId ? ((await s.persons.get(x.personId)) ?? null) : null;
    return proposalSide(id, undefined, x ? { s: x, person: p } : undefined, faceUrl);
  };
  const view = async (p: import("../../domain/types.ts").Proposal) =>
    p.kind === "merge_persons"
      ? proposalView(p, await side(p.a, "person"), await side(p.b, "person"))
      : proposalView(p, await side(p.a, "either"), await side(p.b, "sighting"));

  r.add("listProposals", async (_ctx, { query: q }) => {
    const page = await s.store.proposals.list({ status: q.status ?? "open", kind: q.kind }, q.cursor, q.limit);
    const items = [];
    for (const p of page.items) items.push(await view(p));
    return { items, nextCursor: page.nextCursor };
  });
  r.add("acceptProposal", async (ctx, { params }) => {
    const d = await s.proposals.accept(params.id, actorOf(ctx));
    return { proposal: await view(d.proposal), person: d.person ? personView(d.person) : null };
  });
  r.add("rejectProposal", async (ctx, { params }) => {
    const d = await s.proposals.reject(params.id, actorOf(ctx));
    return { proposal: await view(d.proposal), person: null };
  });

  // ------------------------------------------------------------------ visits
  r.add("personVisits", async (_ctx, { params, query: q }) => {
    const p = await s.personService.get(params.id);
    const page = await visitsPage(s.store, p.id, {
      gapMs: (q.gapSeconds ?? s.config.visits.gapSeconds) * 1000,
      limit: q.limit,
      cursor: q.cursor,
      filter: { cameras: q.cameraId?.map(parseCameraRef), from: q.from, to: q.to },
    });
    return { items: page.items.map((v) => visitView(v, p)), nextCursor: page.nextCursor };
  });
}
