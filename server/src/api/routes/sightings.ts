import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { personBrief, sightingView } from "../../views.ts";
import { requireRole } from "../auth.ts";
import { parseQuery, readImages } from "../body.ts";
import { notFound } from "../errors.ts";
import { sightingFilterQuery, sightingsPage, toFilter } from "./common.ts";

export function sightingRoutes(s: Services): Router {
  const r = new Router();
  const upload = s.config.http.maxUploadBytes;

  r.get("/sightings", requireRole("viewer"), async (ctx) => {
    const q = parseQuery(ctx, sightingFilterQuery);
    ctx.body = await sightingsPage(s, toFilter(q), q.cursor, q.limit);
  });

  r.get("/sightings/:id", requireRole("viewer"), async (ctx) => {
    const x = await s.store.sightings.get(ctx.params.id);
    if (!x) throw notFound("sighting", ctx.params.id);
    const person = x.personId ? ((await s.persons.get(x.personId)) ?? null) : null;
    ctx.body = sightingView(x, person);
  });

  for (const kind of ["face", "context"] as const) {
    r.get(`/sightings/:id/${kind}`, requireRole("viewer"), async (ctx) => {
      const img = await s.crops.get(kind === "face" ? "sightings" : "context", ctx.params.id);
      if (!img) throw notFound(`${kind} crop of sighting`, ctx.params.id);
      ctx.type = "image/jpeg";
      ctx.set("cache-control", "private, max-age=86400");
      ctx.body = img;
    });
  }

  /** Every face of the photo with its candidate persons. */
  const identify = (defaults: { limit: number; minSimilarity: number; sightings: number }) => async (ctx: Context) => {
    const q = parseQuery(
      ctx,
      z.object({
        limit: z.coerce.number().int().min(1).max(50).default(defaults.limit),
        minSimilarity: z.coerce.number().min(-1).max(1).default(defaults.minSimilarity),
        sightings: z.coerce.number().int().min(0).max(50).default(defaults.sightings),
      }),
    );
    const { image } = await readImages(ctx, ["image"], upload);
    const faces = await s.personService.facesIn(image);
    const out = [];
    for (const f of faces) {
      const cands = s.personService.candidates(f.embedding, q.limit, q.minSimilarity);
      const candidates = [];
      for (const c of cands) {
        const person = await s.persons.get(c.personId);
        if (!person) continue;
        const recent = q.sightings
          ? (await sightingsPage(s, { personId: c.personId }, undefined, q.sightings)).items
          : undefined;
        candidates.push({
          person: personBrief(person),
          similarity: c.similarity,
          match: c.similarity >= s.config.identify.threshold,
          ...(recent ? { sightings: recent } : {}),
        });
      }
      out.push({ box: f.box, score: f.score, quality: f.quality, candidates });
    }
    ctx.body = { threshold: s.config.identify.threshold, faces: out };
  };

  r.post(
    "/identify",
    requireRole("viewer"),
    identify({ limit: 5, minSimilarity: s.config.identify.threshold, sightings: 0 }),
  );
  // Search by photo: a lower floor (the verification threshold) and each match's recent sightings.
  r.post(
    "/search",
    requireRole("viewer"),
    identify({ limit: 10, minSimilarity: s.config.identify.verifyThreshold, sightings: 5 }),
  );

  r.post("/verify", requireRole("viewer"), async (ctx) => {
    const imgs = await readImages(ctx, ["image1", "image2"], upload);
    const a = await s.personService.oneFace(imgs.image1, "image1");
    const b = await s.personService.oneFace(imgs.image2, "image2");
    let sim = 0;
    for (let i = 0; i < a.embedding.length; i++) sim += a.embedding[i] * b.embedding[i];
    const threshold = s.config.identify.verifyThreshold;
    ctx.body = {
      similarity: sim,
      threshold,
      match: sim >= threshold,
      faces: [
        { box: a.box, quality: a.quality },
        { box: b.box, quality: b.quality },
      ],
    };
  });

  return r;
}
