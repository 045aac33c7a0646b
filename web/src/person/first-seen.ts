/**
 * When a person was first seen: the capture time of their oldest sighting. The person record says
 * when the record was made (`createdAt`), which after a merge or an enrolment is not when the person
 * was first seen, and the API has no `firstSeenAt` yet (see web/README.md): the oldest sighting is at
 * the end of the newest-first history, so walk its pages (500 a request), up to a bound.
 */
import { api, type Page, type Person, qs, type Sighting } from "../api.ts";
import { useLoad } from "../components.tsx";

const PAGE = 500;
const MAX_PAGES = 4;

export interface FirstSeen {
  at: string | null;
  /** More sightings than were read: `at` is the oldest read, the first is earlier. */
  partial: boolean;
}

export function useFirstSeen(p: Person) {
  return useLoad<FirstSeen>(async () => {
    if (p.sightingCount === 0) return { at: null, partial: false };
    let cursor: string | null = null;
    let oldest: string | null = null;
    for (let i = 0; i < MAX_PAGES; i++) {
      // a short history is one small request
      const limit = i === 0 ? Math.max(1, Math.min(PAGE, p.sightingCount)) : PAGE;
      const r: Page<Sighting> = await api<Page<Sighting>>(
        "GET",
        `/api/v1/persons/${encodeURIComponent(p.id)}/sightings${qs({ limit, cursor })}`,
      );
      oldest = r.items.at(-1)?.capturedAt ?? oldest;
      cursor = r.nextCursor;
      if (!cursor) return { at: oldest, partial: false };
    }
    return { at: oldest, partial: true };
  }, [p.id, p.sightingCount]);
}
