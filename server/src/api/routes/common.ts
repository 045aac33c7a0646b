import { z } from "zod";
import type { Person, Sighting } from "../../domain/types.ts";
import type { Services } from "../../services.ts";
import type { SightingFilter } from "../../store/types.ts";
import { sightingView } from "../../views.ts";

export const limitParam = z.coerce.number().int().min(1).max(500).default(50);

/** ISO 8601 or epoch milliseconds. */
export const timeParam = z
  .string()
  .transform((v, c) => {
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      c.addIssue({ code: "custom", message: "must be an ISO 8601 time or epoch milliseconds" });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

/** cameraId=a,b or cameraId=a&cameraId=b */
const cameraIds = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(",")).filter(Boolean))
  .optional();

export const sightingFilterQuery = z.object({
  personId: z.string().optional(),
  cameraId: cameraIds,
  from: timeParam,
  to: timeParam,
  list: z.enum(["friend", "foe", "none"]).optional(),
  kind: z.enum(["auto", "enrolled"]).optional(),
  cursor: z.string().optional(),
  limit: limitParam,
});

export function toFilter(q: z.infer<typeof sightingFilterQuery>): SightingFilter {
  return { personId: q.personId, cameraIds: q.cameraId, from: q.from, to: q.to, list: q.list, kind: q.kind };
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
