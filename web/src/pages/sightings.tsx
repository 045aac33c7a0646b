/**
 * Sightings over all cameras, filtered by camera, a day and a time range, the person's kind and list,
 * and the grade of the match (strong, likely, possible):
 * "who passed camera X between 14:00 and 15:00?" is the camera and two times. Paging, CSV export
 * of the filtered list (made by the server: GET /api/v1/sightings.csv), and every thumbnail opens the
 * sighting.
 */
import { useState } from "preact/hooks";
import { api, apiText, type Page, qs, type Sighting } from "../api.ts";
import { useCameras } from "../cameras.ts";
import { ActionButton, Empty, ErrorBox, Loading, useLoad } from "../components.tsx";
import { download } from "../csv.ts";
import { cameraLabel, plural, timeZone } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { SightingCard } from "./live.tsx";

const PAGE = 60;

const pad = (n: number) => String(n).padStart(2, "0");
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/**
 * A day (YYYY-MM-DD, local) and times (HH:MM) -> the ISO range. A time without a day means today; an
 * end at or before the start is on the next day (a night shift); a day alone is the whole day.
 */
export function timeRange(day: string, start: string, end: string): { from?: string; to?: string } {
  if (!day && !start && !end) return {};
  const d = day || localDate(new Date());
  const at = (t: string, plusDays = 0) => {
    const x = new Date(`${d}T${t}`);
    x.setDate(x.getDate() + plusDays);
    return x.toISOString();
  };
  const from = at(start || "00:00");
  const to = end ? at(end, start && end <= start ? 1 : 0) : at("00:00", 1);
  return { from, to };
}

export function SightingsPage() {
  const loc = useLocation();
  const q = loc.query;
  const f = {
    camera: q.get("camera") ?? "",
    day: q.get("day") ?? "",
    start: q.get("start") ?? "",
    end: q.get("end") ?? "",
    kind: q.get("kind") ?? "",
    list: q.get("list") ?? "",
    grade: q.get("grade") ?? "",
  };
  const key = JSON.stringify(f);
  const { from, to } = timeRange(f.day, f.start, f.end);
  const filter = { cameraId: f.camera, from, to, kind: f.kind, list: f.list, grade: f.grade };
  const cameras = useCameras();
  const [more, setMore] = useState<{ items: Sighting[]; next: string | null } | null>(null);
  const first = useLoad(() => {
    setMore(null);
    return api<Page<Sighting>>("GET", `/api/v1/sightings${qs({ ...filter, limit: PAGE })}`);
  }, [key]);
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : (first.data?.nextCursor ?? null);
  const [exporting, setExporting] = useState<string>("");

  const set = (patch: Partial<typeof f>) => {
    const n = { ...f, ...patch };
    // a time without a day: today, shown as such
    if ((n.start || n.end) && !n.day) n.day = localDate(new Date());
    navigate(`/sightings${qs(n)}`, true);
  };
  const filtered = Object.values(f).some(Boolean);

  /** The server's CSV of the filtered list (times also in this browser's zone), handed over as a file. */
  const exportCsv = async () => {
    setExporting("Preparing the file…");
    const csv = await apiText(`/api/v1/sightings.csv${qs({ ...filter, tz: timeZone })}`).catch((e) => {
      setExporting("");
      throw e;
    });
    const rows = csvRows(csv.text);
    download(csv.text, `sightings-${f.camera.replace(/[^\w.-]+/g, "_") || "all"}-${f.day || "all"}.csv`);
    setExporting(
      csv.headers.has("x-argus-truncated")
        ? `Exported the newest ${plural(rows, "row")}; narrow the filters for the rest.`
        : `Exported ${plural(rows, "row")}.`,
    );
  };

  return (
    <div class="sightings-page">
      <h1>Sightings</h1>
      <form class="filters row" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Camera
          <select name="camera" value={f.camera} onChange={(e) => set({ camera: e.currentTarget.value })}>
            <option value="">all cameras</option>
            {cameras.data?.cameras.map((c) => (
              <option key={c.key} value={c.key}>
                {cameraLabel(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Day
          <input type="date" name="day" value={f.day} onChange={(e) => set({ day: e.currentTarget.value })} />
        </label>
        <label>
          From
          <input type="time" name="start" value={f.start} onChange={(e) => set({ start: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="time" name="end" value={f.end} onChange={(e) => set({ end: e.currentTarget.value })} />
        </label>
        <label>
          Person
          <select name="kind" value={f.kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
            <option value="">enrolled and unknown</option>
            <option value="enrolled">enrolled</option>
            <option value="auto">unknown (automatic)</option>
          </select>
        </label>
        <label>
          List
          <select name="list" value={f.list} onChange={(e) => set({ list: e.currentTarget.value })}>
            <option value="">any</option>
            <option value="foe">foe</option>
            <option value="friend">friend</option>
            <option value="none">no list</option>
          </select>
        </label>
        <label>
          Match
          <select name="grade" value={f.grade} onChange={(e) => set({ grade: e.currentTarget.value })}>
            <option value="">any grade</option>
            <option value="strong">strong</option>
            <option value="likely">likely</option>
            <option value="possible">possible</option>
          </select>
        </label>
        {filtered && (
          <button type="button" class="link" onClick={() => navigate("/sightings", true)}>
            Clear
          </button>
        )}
      </form>
      <RangeNote from={from} to={to} />
      {first.error ? (
        <ErrorBox error={first.error} retry={first.reload} />
      ) : !first.data ? (
        <Loading what="sightings" />
      ) : items.length === 0 ? (
        <Empty>{filtered ? "No sighting matches these filters." : "No sightings yet."}</Empty>
      ) : (
        <>
          <div class="row result-bar">
            <span data-testid="sightings-count">
              {plural(items.length, "sighting")} shown{next ? " (more below)" : ""}
            </span>
            <ActionButton run={exportCsv}>Export CSV</ActionButton>
            {exporting && (
              <span class="muted small" role="status">
                {exporting}
              </span>
            )}
          </div>
          <ul class="sighting-grid">
            {items.map((s) => (
              <SightingCard key={s.id} s={s} />
            ))}
          </ul>
          {next ? (
            <ActionButton
              class="more"
              run={async () => {
                const r = await api<Page<Sighting>>(
                  "GET",
                  `/api/v1/sightings${qs({ ...filter, limit: PAGE, cursor: next })}`,
                );
                setMore((m) => ({ items: [...(m?.items ?? []), ...r.items], next: r.nextCursor }));
              }}
            >
              Load older sightings
            </ActionButton>
          ) : (
            <p class="muted small">End of the list.</p>
          )}
        </>
      )}
    </div>
  );
}

/** The data rows of a CSV text (its records less the header; a quoted cell may hold a line break). */
export function csvRows(text: string): number {
  let records = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\n" && !quoted) records++;
  }
  if (text.length && !text.endsWith("\n")) records++;
  return Math.max(0, records - 1);
}

/** The range in words, so that "14:00 to 15:00" is visibly the day meant. */
function RangeNote({ from, to }: { from?: string; to?: string }) {
  const [fmt] = useState(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }));
  if (!from || !to) return null;
  return (
    <p class="muted small" data-testid="range-note">
      From {fmt.format(new Date(from))} to {fmt.format(new Date(to))} ({timeZone})
    </p>
  );
}
