import type { SightingFilterQuerySchema } from "@argus/shared/api/index";
import type { z } from "zod";
import { type Person, parseCameraRef, type Sighting } from "../../domain/types.ts";
import type { SightingFilter } from "../../store/types.ts";
import { sightingView } from "../../views/views.ts";
import type { Services } from "../services.ts";

export function toFilter(q: Partial<z.output<typeof SightingFilterQuerySchema>>): SightingFilter {
  return {
    personId: q.personId,
    cameras: q.cameraId?.map(parseCameraRef),
    from: q.from,
    to: q.to,
    list: q.list,
    kind: q.kind,
    grade: q.grade,
  };
}

/** A page of sightings with each one's person (name, list) attached. */
export async function sightingsPage(s: Services, filter: SightingFilter, cursor: string | undefined, limit: number) {
  const page = await s.store.sightings.list(filter, cursor, limit);
  const ids = [...new Set(page.items.map((x) => x.personId).filter((x): x is string => !!x))];
  const persons = new Map<string, Person | undefined>(
    await Promise.all(ids.map(async (id) => [id, await s.persons.get(id)] as const)),
  );
  return {
    items: page.items.map((x: Sighting) => sightingView(x, x.personId ? (persons.get(x.personId) ?? null) : null)),
    nextCursor: page.nextCursor,
  };
}
