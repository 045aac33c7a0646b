/**
 * One visit, one entry: a person's sightings grouped at query time. Walking the person's sightings
 * newest first, a sighting joins the visit being built when it is at the same camera and the gap from
 * its last shot to the visit's first is at most `gapMs` (a track the agent lost and found again, a
 * person lingering); anything else starts a new visit. Nothing is stored: the grouping follows every
 * move, merge and deletion at once.
 *
 * Keyset paging over visits: the cursor is the store's cursor of the last sighting of the page's last
 * visit, so the next page starts with the next older sighting. A visit with more than `maxScan`
 * sightings is cut there (its rest is the next page's first visit); a visit lists at most
 * `maxListed` of its sightings (count says how many it has).
 */
import type { Sighting } from "../domain/types.ts";
import { encodeCursor } from "../store/cursor.ts";
import type { SightingFilter, Store } from "../store/types.ts";

export interface Visit {
  agentId: string;
  cameraId: string;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Sightings in the visit. */
  count: number;
  /** The best shot (highest quality). */
  best: Sighting;
  /** Newest first, at most maxListed. */
  sightings: Sighting[];
}

export interface VisitQuery {
  gapMs: number;
  limit: number;
  cursor?: string;
  filter?: Omit<SightingFilter, "personId">;
  /** Sightings read per request at most (default 10,000). */
  maxScan?: number;
  /** Sightings listed per visit at most (default 100). */
  maxListed?: number;
}

const CHUNK = 250;

export async function visitsPage(
  store: Store,
  personId: string,
  q: VisitQuery,
): Promise<{ items: Visit[]; nextCursor: string | null }> {
  const maxScan = q.maxScan ?? 10_000;
  const maxListed = q.maxListed ?? 100;
  const items: Visit[] = [];
  let cur: Visit | undefined;
  let last: Sighting | undefined;
  let cursor = q.cursor;
  let scanned = 0;
  const close = () => {
    if (cur) items.push(cur);
    cur = undefined;
  };
  for (;;) {
    const page = await store.sightings.list({ ...q.filter, personId }, cursor, CHUNK);
    for (const s of page.items) {
      const joins =
        cur &&
        cur.agentId === s.agentId &&
        cur.cameraId === s.cameraId &&
        cur.firstSeenAt - s.lastSeenAt <= q.gapMs &&
        scanned < maxScan;
      if (!joins) {
        close();
        if (items.length === q.limit || scanned >= maxScan)
          return { items, nextCursor: last ? encodeCursor(last.capturedAt, last.id) : null };
        cur = {
          agentId: s.agentId,
          cameraId: s.cameraId,
          firstSeenAt: s.capturedAt,
          lastSeenAt: s.lastSeenAt,
          count: 0,
          best: s,
          sightings: [],
        };
      }
      const v = cur!;
      v.count++;
      v.firstSeenAt = Math.min(v.firstSeenAt, s.capturedAt);
      v.lastSeenAt = Math.max(v.lastSeenAt, s.lastSeenAt);
      if (s.quality > v.best.quality) v.best = s;
      if (v.sightings.length < maxListed) v.sightings.push(s);
      last = s;
      scanned++;
    }
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  close();
  return { items, nextCursor: null };
}
