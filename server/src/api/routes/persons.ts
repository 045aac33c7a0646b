import Router from "@koa/router";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { faceView, personView, sightingView } from "../../views.ts";
import { requireRole } from "../auth.ts";
import { parseQuery, readImages, readJson } from "../body.ts";
import { ApiError, notFound } from "../errors.ts";
import { limitParam, sightingFilterQuery, toFilter } from "./common.ts";

const list = z.enum(["friend", "foe"]);
const name = z.string().trim().min(1, "must not be empty").max(200);
const meta = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "must be at most 16 kB of JSON");

export function personRoutes(s: Services): Router {
  const r = new Router();
  const json = s.config.http.maxJsonBytes;
  /** A face to show for the person (an enrolled photo, else the best learned face), from the in-memory index. */
  const faceUrl = (id: string) => {
    const best = s.gallery
      .repMeta(id)
      .sort((a, b) => Number(b.source === "enrol") - Number(a.source === "enrol") || b.quality - a.quality)[0];
    return best ? `/api/v1/faces/${best.id}/image` : null;
  };

  r.post("/persons", requireRole("operator"), async (ctx) => {
    const body = await readJson(
      ctx,
      z.object({ name, list: list.nullable().optional(), meta: meta.optional() }).strict(),
      json,
    );
    const p = await s.personService.create(body);
    ctx.status = 201;
    ctx.body = personView(p);
  });

  r.get("/persons", requireRole("viewer"), async (ctx) => {
    const q = parseQuery(
      ctx,
      z.object({
        list: z.enum(["friend", "foe", "none"]).optional(),
        kind: z.enum(["auto", "enrolled"]).optional(),
        q: z.string().max(200).optional(),
        sort: z.enum(["created", "lastSeen", "sightings"]).optional(),
        cursor: z.string().optional(),
        limit: limitParam,
      }),
    );
    const page = await s.store.persons.list(q, q.cursor, q.limit);
    ctx.body = {
      items: page.items.map((p) => ({ ...personView(p), faceUrl: faceUrl(p.id) })),
      nextCursor: page.nextCursor,
    };
  });

  r.get("/persons/:id", requireRole("viewer"), async (ctx) => {
    const p = await s.personService.get(ctx.params.id);
    const [regularAt, faces] = await Promise.all([s.regulars.regularAt(p.id), s.store.persons.listFaces(p.id)]);
    ctx.body = { ...personView(p, { regularAt }), faceUrl: faceUrl(p.id), faces: faces.map(faceView) };
  });

  r.patch("/persons/:id", requireRole("operator"), async (ctx) => {
    const body = await readJson(
      ctx,
      z
        .object({ name: name.optional(), list: list.nullable().optional(), meta: meta.optional() })
        .strict()
        .refine((b) => Object.keys(b).length > 0, "give at least one of name, list, meta"),
      json,
    );
    ctx.body = personView(await s.personService.update(ctx.params.id, body));
  });

  r.delete("/persons/:id", requireRole("operator"), async (ctx) => {
    await s.personService.delete(ctx.params.id);
    ctx.status = 204;
  });

  r.post("/persons/:id/merge", requireRole("operator"), async (ctx) => {
    const body = await readJson(ctx, z.object({ from: z.string().min(1) }).strict(), json);
    ctx.body = personView(await s.personService.merge(ctx.params.id, body.from));
  });

  r.post("/persons/:id/faces", requireRole("operator"), async (ctx) => {
    const { image } = await readImages(ctx, ["image"], s.config.http.maxUploadBytes);
    const r2 = await s.personService.enrol(ctx.params.id, image);
    ctx.status = 201;
    ctx.body = { face: faceView(r2.face), quality: r2.quality, person: personView(r2.person) };
  });

  r.get("/persons/:id/faces", requireRole("viewer"), async (ctx) => {
    await s.personService.get(ctx.params.id);
    ctx.body = { items: (await s.store.persons.listFaces(ctx.params.id)).map(faceView) };
  });

  r.delete("/persons/:id/faces/:faceId", requireRole("operator"), async (ctx) => {
    const faceId = Number(ctx.params.faceId);
    if (!Number.isInteger(faceId))
      throw new ApiError(400, "INVALID_ARGUMENT", "faceId: must be an integer", { field: "faceId" });
    await s.personService.deleteFace(ctx.params.id, faceId);
    ctx.status = 204;
  });

  r.get("/faces/:id/image", requireRole("viewer"), async (ctx) => {
    const id = Number(ctx.params.id);
    const img = Number.isInteger(id) ? await s.crops.get("faces", id) : undefined;
    if (!img) throw notFound("face image", ctx.params.id);
    ctx.type = "image/jpeg";
    ctx.set("cache-control", "private, max-age=86400, immutable");
    ctx.body = img;
  });

  r.get("/persons/:id/sightings", requireRole("viewer"), async (ctx) => {
    const p = await s.personService.get(ctx.params.id);
    const q = parseQuery(ctx, sightingFilterQuery.omit({ personId: true }));
    const page = await s.store.sightings.list({ ...toFilter(q), personId: p.id }, q.cursor, q.limit);
    ctx.body = { items: page.items.map((x) => sightingView(x, p)), nextCursor: page.nextCursor };
  });

  return r;
}
