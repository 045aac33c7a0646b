/** Persons: create, list, read, rename/list, delete, merge, their photos and their sightings. */
import { notFound } from "../../domain/errors.ts";
import type { Person } from "../../domain/types.ts";
import { faceView, personView, sightingView } from "../../views/views.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { toFilter } from "./common.ts";

export function personRoutes(r: Routes, s: Services): void {
  /** A face to show for the person (an enrolled photo, else the best learned face), from the in-memory index. */
  const faceUrl = (id: string) => {
    const best = s.gallery
      .repMeta(id)
      .sort((a, b) => Number(b.source === "enrol") - Number(a.source === "enrol") || b.quality - a.quality)[0];
    return best ? `/api/v1/faces/${best.id}/image` : null;
  };

  /** The person with `firstSeenAt`, from their earliest sighting. */
  const view = async (p: Person) => personView(p, (await s.store.persons.firstSeen([p.id])).get(p.id) ?? null);

  r.add("createPerson", async (_ctx, { body }) => view(await s.personService.create(body)));

  r.add("listPersons", async (_ctx, { query: q }) => {
    const page = await s.store.persons.list(q, q.cursor, q.limit);
    const first = await s.store.persons.firstSeen(page.items.map((p) => p.id));
    return {
      items: page.items.map((p) => ({ ...personView(p, first.get(p.id) ?? null), faceUrl: faceUrl(p.id) })),
      nextCursor: page.nextCursor,
    };
  });

  r.add("getPerson", async (_ctx, { params }) => {
    const p = await s.personService.get(params.id);
    const [regularAt, faces, person] = await Promise.all([
      s.regulars.regularAt(p.id),
      s.store.persons.listFaces(p.id),
      view(p),
    ]);
    return { ...person, regularAt, faceUrl: faceUrl(p.id), faces: faces.map(faceView) };
  });

  r.add("updatePerson", async (_ctx, { params, body }) => view(await s.personService.update(params.id, body)));

  r.add("deletePerson", async (_ctx, { params }) => {
    await s.personService.delete(params.id);
  });

  r.add("mergePerson", async (_ctx, { params, body }) => view(await s.personService.merge(params.id, body.from)));

  r.add("enrolFace", async (_ctx, { params, body }) => {
    const e = await s.personService.enrol(params.id, body.image);
    return { face: faceView(e.face), quality: e.quality, person: await view(e.person) };
  });

  r.add("listPersonFaces", async (_ctx, { params }) => {
    await s.personService.get(params.id);
    return { items: (await s.store.persons.listFaces(params.id)).map(faceView) };
  });

  r.add("deletePersonFace", async (_ctx, { params }) => {
    await s.personService.deleteFace(params.id, params.faceId);
  });

  r.add("faceImage", async (ctx, { params }) => {
    const img = await s.crops.get("faces", params.id);
    if (!img) throw notFound("face image", params.id);
    ctx.type = "image/jpeg";
    ctx.set("cache-control", "private, max-age=86400, immutable");
    ctx.body = img;
  });

  r.add("personSightings", async (_ctx, { params, query: q }) => {
    const p = await s.personService.get(params.id);
    const page = await s.store.sightings.list({ ...toFilter(q), personId: p.id }, q.cursor, q.limit);
    return { items: page.items.map((x) => sightingView(x, p)), nextCursor: page.nextCursor };
  });
}
