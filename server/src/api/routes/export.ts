/**
 * CSV exports: a person's sighting history (the person page's "Export CSV"), with the same filters as
 * GET /persons/{id}/sightings, and the sightings of every camera (the Sightings page's), with those of
 * GET /sightings plus the camera's name and the person's kind. Times in UTC (ISO 8601) and, with
 * `tz`, also in that time zone.
 */
import { Readable } from "node:stream";
import { csvCell } from "@argus/shared";
import { cameraKey, type Person, type Sighting } from "../../domain/types.ts";
import type { SightingFilter } from "../../store/types.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { toFilter } from "./common.ts";

/** More than a year of one person's sightings at any realistic rate; a bound on one response. */
export const CSV_MAX_ROWS = 100_000;
/** Sightings read from the store at a time while an export streams. */
const CSV_PAGE = 500;

/** The columns of both exports (all sightings, one person's). */
export const SIGHTINGS_COLUMNS = [
  "sighting_id",
  "captured_at_utc",
  "captured_at_local",
  "last_seen_at_utc",
  "camera_id",
  "camera_name",
  "agent_id",
  "person_id",
  "person_name",
  "person_kind",
  "list",
  "similarity",
  "grade",
  "quality",
  "shots",
  "verdict",
  "unlinked_reason",
];

function localTime(timeZone: string) {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  return (ms: number) => {
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
}

/**
 * The CSV of every sighting matching `filter`, newest first, at most `max` rows, as text chunks (one
 * page of the store at a time): the response streams it, so memory stays one page whatever the size.
 */
async function* sightingsCsv(
  s: Services,
  filter: SightingFilter,
  timeZone: string,
  max: number,
): AsyncGenerator<string> {
  const local = localTime(timeZone);
  const names = new Map(
    (await s.store.cameras.list()).map((c) => [cameraKey(c.agentId, c.id), c.name ?? c.configName ?? ""]),
  );
  const persons = new Map<string, Person | null>();
  const personOf = async (x: Sighting) => {
    if (!x.personId) return null;
    if (!persons.has(x.personId)) {
      if (persons.size >= 10_000) persons.clear();
      persons.set(x.personId, (await s.persons.get(x.personId)) ?? null);
    }
    return persons.get(x.personId) ?? null;
  };
  yield `${SIGHTINGS_COLUMNS.join(",")}\r\n`;
  let sent = 0;
  let cursor: string | undefined;
  do {
    const page = await s.store.sightings.list(filter, cursor, Math.min(CSV_PAGE, max - sent));
    let chunk = "";
    for (const x of page.items) {
      const p = await personOf(x);
      chunk += `${[
        x.id,
        new Date(x.capturedAt).toISOString(),
        local(x.capturedAt),
        new Date(x.lastSeenAt).toISOString(),
        x.cameraId,
        names.get(cameraKey(x.agentId, x.cameraId)) ?? "",
        x.agentId,
        x.personId ?? "",
        p?.name ?? "",
        p?.kind ?? "",
        p?.list ?? "",
        x.similarity === null ? "" : x.similarity.toFixed(4),
        x.grade ?? "",
        x.quality.toFixed(3),
        x.shots,
        x.verdict,
        x.unlinkedReason ?? "",
      ]
        .map(csvCell)
        .join(",")}\r\n`;
    }
    sent += page.items.length;
    if (chunk) yield chunk;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && sent < max);
}

export function exportRoutes(r: Routes, s: Services): void {
  r.add("listSightingsCsv", async (ctx, { query: q }) => {
    const filter = toFilter(q);
    // Counted first (up to one past the bound) so that the header can say the export is cut short.
    const truncated = (await s.store.sightings.countUpTo(filter, CSV_MAX_ROWS + 1)) > CSV_MAX_ROWS;
    const camera = q.cameraId?.length === 1 ? q.cameraId[0].replace(/[^\w.-]+/g, "_") : "all";
    ctx.type = "text/csv; charset=utf-8";
    ctx.set("content-disposition", `attachment; filename="sightings-${camera}.csv"`);
    ctx.set("cache-control", "no-store");
    if (truncated)
      ctx.set("x-argus-truncated", `only the newest ${CSV_MAX_ROWS} sightings; narrow the filters for the rest`);
    ctx.body = Readable.from(sightingsCsv(s, filter, q.tz, CSV_MAX_ROWS), { objectMode: false });
  });

  r.add("personSightingsCsv", async (ctx, { params, query: q }) => {
    const p = await s.personService.get(params.id);
    const filter = { ...toFilter(q), personId: p.id };
    const truncated = (await s.store.sightings.countUpTo(filter, CSV_MAX_ROWS + 1)) > CSV_MAX_ROWS;
    const safeName = p.name.replace(/[^\w.-]+/g, "_").slice(0, 60) || "person";
    ctx.type = "text/csv; charset=utf-8";
    ctx.set("content-disposition", `attachment; filename="sightings-${safeName}.csv"`);
    ctx.set("cache-control", "no-store");
    if (truncated) ctx.set("x-argus-truncated", `only the newest ${CSV_MAX_ROWS} sightings; narrow the time range`);
    ctx.body = Readable.from(sightingsCsv(s, filter, q.tz, CSV_MAX_ROWS), { objectMode: false });
  });
}
