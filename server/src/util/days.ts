/** Calendar days as YYYYMMDD integers in a time zone (the regulars rule counts distinct days). */
const formatters = new Map<string, Intl.DateTimeFormat>();

const recent = new Map<string, number>();

export function dayOf(ms: number, timeZone = "UTC"): number {
  // Days change only on minute boundaries in every time zone: one Intl call per minute, not per event.
  const key = `${timeZone}|${Math.floor(ms / 60_000)}`;
  const hit = recent.get(key);
  if (hit !== undefined) return hit;
  const d = computeDay(ms, timeZone);
  if (recent.size > 4096) recent.clear();
  recent.set(key, d);
  return d;
}

function computeDay(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, f);
  }
  const p = f.formatToParts(new Date(ms));
  const get = (t: string) => Number(p.find((x) => x.type === t)!.value);
  return get("year") * 10000 + get("month") * 100 + get("day");
}

/** The first day of a window of `days` days ending with the day of `ms`. */
export function windowStartDay(ms: number, days: number, timeZone = "UTC"): number {
  return dayOf(ms - (days - 1) * 86_400_000, timeZone);
}

export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat("en", { timeZone }); // throws RangeError for an unknown zone
}
