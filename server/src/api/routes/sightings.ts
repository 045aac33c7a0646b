/** Sightings and their crops; search by photo (identify, search) and verification. */
import type { Operations } from "@argus/shared/api/index";
import type { Context } from "koa";
import { notFound } from "../../domain/errors.ts";
import { runtimeCalibration } from "../../identify/calibrated.ts";
import { personBrief, sightingView } from "../../views/views.ts";
import type { Input, Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { sightingsPage, toFilter } from "./common.ts";

export function sightingRoutes(r: Routes, s: Services): void {
  r.add("listSightings", async (_ctx, { query: q }) => sightingsPage(s, toFilter(q), q.cursor, q.limit));

  r.add("getSighting", async (_ctx, { params }) => {
    const x = await s.store.sightings.get(params.id);
    if (!x) throw notFound("sighting", params.id);
    const person = x.personId ? ((await s.persons.get(x.personId)) ?? null) : null;
    return sightingView(x, person);
  });

  const crop = (kind: "sightings" | "context", what: string) => async (ctx: Context, id: string) => {
    const img = await s.crops.get(kind, id);
    if (!img) throw notFound(what, id);
    ctx.type = "image/jpeg";
    ctx.set("cache-control", "private, max-age=86400");
    ctx.body = img;
  };
  const face = crop("sightings", "face crop of sighting");
  const context = crop("context", "context crop of sighting");
  r.add("sightingFace", (ctx, { params }) => face(ctx, params.id));
  r.add("sightingContext", (ctx, { params }) => context(ctx, params.id));

  /**
   * Every face of the photo with its candidate persons, each graded (calibrated at the gallery's size,
   * with the margin to the next person); `match`: at or above the operating threshold.
   */
  const identify =
    (defaults: { limit: number; minSimilarity: (threshold: number) => number; sightings: number }) =>
    async (_ctx: Context, { query, body }: Pick<Input<Operations["identify"]>, "query" | "body">) => {
      const conf = runtimeCalibration(s.config.identify);
      const galleryFaces = s.gallery.searchSize();
      const threshold = conf.threshold(galleryFaces);
      const limit = query.limit ?? defaults.limit;
      const minSimilarity = query.minSimilarity ?? defaults.minSimilarity(threshold);
      const sightings = query.sightings ?? defaults.sightings;
      const faces = await s.personService.facesIn(body.image);
      const out = [];
      for (const f of faces) {
        const candidates = [];
        // One more than asked: the last one's grade needs the next person.
        const found = s.personService.candidates(f.embedding, limit + 1, Number.NEGATIVE_INFINITY);
        for (const [i, c] of found.slice(0, limit).entries()) {
          if (c.similarity < minSimilarity) continue;
          const person = await s.persons.get(c.personId);
          if (!person) continue;
          const recent = sightings
            ? (await sightingsPage(s, { personId: c.personId }, undefined, sightings)).items
            : undefined;
          candidates.push({
            person: personBrief(person)!,
            similarity: c.similarity,
            match: c.similarity >= threshold,
            grade: conf.grade(c.similarity, found[i + 1]?.similarity ?? null, galleryFaces),
            ...(recent ? { sightings: recent } : {}),
          });
        }
        out.push({ box: f.box, score: f.score, quality: f.quality, candidates });
      }
      return { threshold, faces: out };
    };

  r.add("identify", identify({ limit: 5, minSimilarity: (t) => t, sightings: 0 }));
  // Search by photo: a lower floor (the verification threshold) and each match's recent sightings.
  r.add("search", identify({ limit: 10, minSimilarity: () => s.config.identify.verifyThreshold, sightings: 5 }));

  r.add("verify", async (_ctx, { body }) => {
    const a = await s.personService.oneFace(body.image1, "image1");
    const b = await s.personService.oneFace(body.image2, "image2");
    let sim = 0;
    for (let i = 0; i < a.embedding.length; i++) sim += a.embedding[i] * b.embedding[i];
    const threshold = s.config.identify.verifyThreshold;
    return {
      similarity: sim,
      threshold,
      match: sim >= threshold,
      faces: [
        { box: a.box, quality: a.quality },
        { box: b.box, quality: b.quality },
      ],
    };
  });
}
