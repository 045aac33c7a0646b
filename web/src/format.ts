/** Times in the viewer's own time zone (the browser's), and the labels the pages share. */
import type { Camera, PersonBrief } from "./api.ts";

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? timeOnly.format(d) : dateTime.format(d);
}

const shortDay = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
/** For tight places (cards): the time today, else the day and minute without the year. */
export function formatShort(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? timeOnly.format(d) : shortDay.format(d);
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "never";
}

const rel = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return rel.format(s, "second");
  if (abs < 3600) return rel.format(Math.round(s / 60), "minute");
  if (abs < 86400) return rel.format(Math.round(s / 3600), "hour");
  return rel.format(Math.round(s / 86400), "day");
}

export const percent = (x: number | null | undefined) =>
  x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`;

/** The person's name ("Unknown #12" for automatic persons), or a plain word when no person was made. */
export function personLabel(p: PersonBrief | null | undefined): string {
  return p ? p.name : "Unidentified face";
}

/** <input type="datetime-local"> value (local time) -> ISO instant, and back. */
export function localInputToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "1 sighting", "3 sightings", "1 person", "2 persons": the one place the console pluralises. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Cosine similarity with two decimals ("0.46"): a percent would read as a probability of a match. */
export const similarityValue = (x: number) => x.toFixed(2);

/** A camera's display name: the name given in the console, else the agent's own name for it (the server merges both), or its id. */
export function cameraLabel(c: Pick<Camera, "id" | "name" | "configName">): string {
  return c.name || c.configName || c.id;
}
