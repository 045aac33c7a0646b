/** Persons: create, list, read, rename/list, delete, merge, their photos and their sightings. */

import { faceState, personState } from "../../audit/audit.ts";
import { notFound } from "../../domain/errors.ts";
import type { Person } from "../../domain/types.ts";
import { faceView, personBrief, personView, sightingView } from "../../views/views.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { toFilter } from "./common.ts";
import { actorOf } from "./identities.ts";

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

  r.add("createPerson", async (ctx, { body }) => {
    const p = await s.personService.create(body);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "person.create",
      targetType: "person",
      targetId: p.id,
      before: null,
      after: personState(p),
    });
    return view(p);
  });

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

  r.add("updatePerson", async (ctx, { params, body }) => {
    const before = await s.personService.get(params.id);
    const p = await s.personService.update(params.id, body);
    // The action says what changed: a rename, a list change, or other (meta).
    const action =
      body.name !== undefined && body.name !== before.name
        ? "person.rename"
        : body.list !== undefined && body.list !== before.list
          ? "person.list"
          : "person.update";
    await s.audit.record({
      actor: actorOf(ctx),
      action,
      targetType: "person",
      targetId: p.id,
      before: personState(before),
      after: personState(p),
    });
    return view(p);
  });

  r.add("deletePerson", async (ctx, { params }) => {
    await s.corrections.deletePerson(params.id, actorOf(ctx));
  });

  r.add("mergePerson", async (ctx, { params, body }) =>
    view(await s.corrections.merge(params.id, body.from, actorOf(ctx))),
  );

  r.add("enrolFace", async (ctx, { params, query, body }) => {
    const before = await s.personService.get(params.id);
    const e = await s.personService.enrol(params.id, body.image, { force: query.force });
    await s.audit.record({
      actor: actorOf(ctx),
      action: "face.enrol",
      targetType: "person",
      targetId: params.id,
      before: personState(before),
      after: { ...personState(e.person), face: faceState(e.face), ...(e.forced ? { forced: true } : {}) },
    });
    const warnings = [];
    for (const w of e.warnings) {
      const person = await s.persons.get(w.personId);
      if (person) warnings.push({ person: personBrief(person)!, similarity: w.similarity, grade: w.grade });
    }
    return {
      face: faceView(e.face),
      quality: e.quality,
      person: await view(e.person),
      box: [...e.box] as [number, number, number, number],
      facesFound: e.facesFound,
      forced: e.forced,
      warnings,
    };
  });

  r.add("listPersonFaces", async (_ctx, { params }) => {
    await s.personService.get(params.id);
    return { items: (await s.store.persons.listFaces(params.id)).map(faceView) };
  });

  r.add("deletePersonFace", async (ctx, { params }) => {
    const f = await s.store.persons.getFace(params.faceId);
    await s.personService.deleteFace(params.id, params.faceId);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "face.delete",
      targetType: "person",
      targetId: params.id,
      before: f ? faceState(f) : null,
      after: null,
    });
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
