/**
 * CSV export of a person's sighting history (the console's "Export CSV"), with the same filters as
 * GET /persons/{id}/sightings. Times in UTC (ISO 8601) and, with `tz`, also in that time zone.
 */

import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { toFilter } from "./common.ts";

/** More than a year of one person's sightings at any realistic rate; a bound on one response. */
export const CSV_MAX_ROWS = 100_000;

const COLUMNS = [
  "sighting_id",
  "captured_at_utc",
  "captured_at_local",
  "last_seen_at_utc",
  "camera_id",
  "agent_id",
  "person_id",
  "person_name",
  "list",
  "similarity",
  "quality",
  "shots",
  "verdict",
];

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet does not run a name as a formula. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === "string") s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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

export function exportRoutes(r: Routes, s: Services): void {
  r.add("personSightingsCsv", async (ctx, { params, query: q }) => {
    const p = await s.personService.get(params.id);
    const local = localTime(q.tz);
    const filter = { ...toFilter(q), personId: p.id };
    const lines = [COLUMNS.join(",")];
    let cursor: string | undefined;
    do {
      const page = await s.store.sightings.list(filter, cursor, 500);
      for (const x of page.items) {
        lines.push(
          [
            x.id,
            new Date(x.capturedAt).toISOString(),
            local(x.capturedAt),
            new Date(x.lastSeenAt).toISOString(),
            x.cameraId,
            x.agentId,
            p.id,
            p.name,
            p.list ?? "",
            x.similarity === null ? "" : x.similarity.toFixed(4),
            x.quality.toFixed(3),
            x.shots,
            x.verdict,
          ]
            .map(csvCell)
            .join(","),
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && lines.length <= CSV_MAX_ROWS);
    const safeName = p.name.replace(/[^\w.-]+/g, "_").slice(0, 60) || "person";
    ctx.type = "text/csv; charset=utf-8";
    ctx.set("content-disposition", `attachment; filename="sightings-${safeName}.csv"`);
    ctx.set("cache-control", "no-store");
    if (cursor) ctx.set("x-argus-truncated", `only the newest ${CSV_MAX_ROWS} sightings; narrow the time range`);
    ctx.body = `${lines.join("\r\n")}\r\n`;
  });
}
