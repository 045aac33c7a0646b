/**
 * CSV of sightings made in the browser (the server exports one person's history, not a filtered list
 * over all cameras). Same columns and quoting as the server's export, plus the camera's name and the
 * person's kind.
 */
import type { Sighting } from "./api.ts";

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet does not run a name as a formula. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === "string") s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const COLUMNS = [
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
  "quality",
  "shots",
  "verdict",
];

function localTime(timeZone: string): (iso: string) => string {
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
  return (iso) => {
    const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
}

export function sightingsCsv(items: Sighting[], cameraName: (key: string) => string, timeZone: string): string {
  const local = localTime(timeZone);
  const lines = [COLUMNS.join(",")];
  for (const x of items)
    lines.push(
      [
        x.id,
        x.capturedAt,
        local(x.capturedAt),
        x.lastSeenAt,
        x.cameraId,
        cameraName(`${x.agentId}/${x.cameraId}`),
        x.agentId,
        x.personId ?? "",
        x.person?.name ?? "",
        x.person?.kind ?? "",
        x.person?.list ?? "",
        x.similarity === null ? "" : x.similarity.toFixed(4),
        x.quality.toFixed(3),
        x.shots,
        x.verdict,
      ]
        .map(csvCell)
        .join(","),
    );
  return `${lines.join("\r\n")}\r\n`;
}

/** Hands the text to the browser as a file download. */
export function download(text: string, filename: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
