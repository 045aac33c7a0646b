/**
 * A person's sighting history: camera and time range filters, paging, CSV export; thumbnails open the
 * sighting. Shown by sighting or by visit (sightings at one camera within a short gap, one entry each).
 * Operators select sightings to move them (another person, a new one, no one) or split them off.
 */
import { useEffect, useState } from "preact/hooks";
import { api, can, type Me, type MoveResult, type Page, type Person, qs, type Sighting, type Visit } from "../api.ts";
import { cameraKeyOf, useCameraName, useCameras } from "../cameras.ts";
import { Empty, ErrorBox, Loading, Time, TimeRangeFields, useLoad } from "../components.tsx";
import { cameraLabel, isoToLocalInput, localInputToIso, plural, timeZone } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { MoveSightings } from "../sighting/move.tsx";
import { SightingThumb, sightingWhat } from "../sighting/thumb.tsx";
import { Similarity } from "../similarity.tsx";

export function Timeline({ p, me, onChange }: { p: Person; me?: Me; onChange?: () => void }) {
  const loc = useLocation();
  const byVisit = loc.query.get("view") === "visits";
  const camera = loc.query.get("camera") ?? "";
  const from = loc.query.get("from") ?? "";
  const to = loc.query.get("to") ?? "";
  const [draft, setDraft] = useState({ camera, from: isoToLocalInput(from), to: isoToLocalInput(to) });
  useEffect(() => setDraft({ camera, from: isoToLocalInput(from), to: isoToLocalInput(to) }), [camera, from, to]);
  const cameras = useCameras();
  const cameraName = useCameraName();
  const filter = { cameraId: camera, from, to };
  const [pages, setPages] = useState<{ items: Sighting[]; next: string | null }>({ items: [], next: null });
  const first = useLoad(
    () => api<Page<Sighting>>("GET", `/api/v1/persons/${p.id}/sightings${qs({ ...filter, limit: 25 })}`),
    [p.id, p.sightingCount, camera, from, to],
  );
  const [moreError, setMoreError] = useState<unknown>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [done, setDone] = useState<string | null>(null);
  const operator = can(me, "operator");
  const toggle = (id: string) =>
    setSelected((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const changed = (message: string) => {
    setDone(message);
    setSelected(new Set());
    first.reload();
    onChange?.();
  };
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, next: first.data.nextCursor });
    setMoreError(undefined); // a new list: an older page's error is no longer true
  }, [first.data]);

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(
      `/persons/${p.id}${qs({ camera: draft.camera, from: localInputToIso(draft.from), to: localInputToIso(draft.to), view: byVisit && "visits" })}`,
      true,
    );
  };
  const more = async () => {
    setMoreError(undefined);
    try {
      const r = await api<Page<Sighting>>(
        "GET",
        `/api/v1/persons/${p.id}/sightings${qs({ ...filter, limit: 25, cursor: pages.next })}`,
      );
      setPages((x) => ({ items: [...x.items, ...r.items], next: r.nextCursor }));
    } catch (err) {
      setMoreError(err);
    }
  };
  const csv = `/api/v1/persons/${p.id}/sightings.csv${qs({ ...filter, tz: timeZone })}`;
  return (
    <section class="timeline" aria-labelledby="history-title">
      <div class="row tl-head">
        <h2 id="history-title">Sighting history</h2>
        <fieldset class="view-toggle" aria-label="Show">
          <label>
            <input
              type="radio"
              name="tl-view"
              checked={!byVisit}
              onChange={() => navigate(`/persons/${p.id}${qs({ camera, from, to })}`, true)}
            />{" "}
            by sighting
          </label>
          <label>
            <input
              type="radio"
              name="tl-view"
              checked={byVisit}
              onChange={() => navigate(`/persons/${p.id}${qs({ camera, from, to, view: "visits" })}`, true)}
            />{" "}
            by visit
          </label>
        </fieldset>
      </div>
      <form class="filters row" onSubmit={apply}>
        <label>
          Camera
          <select
            name="camera"
            value={draft.camera}
            onChange={(e) => setDraft({ ...draft, camera: e.currentTarget.value })}
          >
            <option value="">all cameras</option>
            {cameras.data?.cameras.map((c) => (
              <option key={c.key} value={c.key}>
                {cameraLabel(c)}
              </option>
            ))}
          </select>
        </label>
        <TimeRangeFields value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
        <button type="submit">Apply</button>
        {(camera || from || to) && (
          <button
            type="button"
            class="link"
            onClick={() => navigate(`/persons/${p.id}${qs({ view: byVisit && "visits" })}`, true)}
          >
            Clear
          </button>
        )}
        <a class="button" href={csv} download>
          Export CSV
        </a>
      </form>
      {operator && selected.size > 0 && !byVisit && (
        <Selection p={p} ids={[...selected]} onClear={() => setSelected(new Set())} onDone={changed} />
      )}
      {done && (
        <p class="state ok" role="status" data-testid="timeline-notice">
          {done}
        </p>
      )}
      {byVisit ? (
        <Visits p={p} filter={filter} />
      ) : first.error ? (
        <ErrorBox error={first.error} retry={first.reload} />
      ) : first.loading && !pages.items.length ? (
        <Loading what="sightings" />
      ) : pages.items.length === 0 ? (
        <Empty>
          {camera || from || to
            ? "No sightings match these filters."
            : "This person has not been seen by a camera yet."}
        </Empty>
      ) : (
        <>
          <ol class="timeline-list">
            {pages.items.map((s) => (
              <li key={s.id} class={`tl-item ${s.verdict === "foe" ? "is-foe" : ""}`} data-sighting={s.id}>
                {operator && (
                  <input
                    type="checkbox"
                    class="tl-select"
                    aria-label={`Select the sighting of ${new Date(s.capturedAt).toLocaleString()}`}
                    checked={selected.has(s.id)}
                    onChange={() => toggle(s.id)}
                  />
                )}
                <SightingThumb
                  s={s}
                  faceUrl={s.faceUrl}
                  size={56}
                  what={sightingWhat(p.name, cameraName(cameraKeyOf(s)), s.capturedAt)}
                />
                <div class="tl-meta">
                  <strong>
                    <Time iso={s.capturedAt} full />
                  </strong>
                  <div class="muted">
                    camera <span class="cam">{cameraName(cameraKeyOf(s))}</span>
                    {s.shots > 1 && (
                      <>
                        {" "}
                        · {plural(s.shots, "shot")} until <Time iso={s.lastSeenAt} />
                      </>
                    )}
                  </div>
                  <Similarity value={s.similarity} founded grade={s.grade} />
                </div>
              </li>
            ))}
          </ol>
          {pages.next ? (
            <button type="button" class="more" onClick={more}>
              Load older sightings
            </button>
          ) : (
            <p class="muted small">End of the history ({pages.items.length} shown).</p>
          )}
          {moreError !== undefined && <ErrorBox error={moreError} />}
        </>
      )}
    </section>
  );
}

/** The selected sightings: move them (another person, a new one, no one) or split them off as a new person. */
function Selection({
  p,
  ids,
  onClear,
  onDone,
}: {
  p: Person;
  ids: string[];
  onClear: () => void;
  onDone: (message: string) => void;
}) {
  const [mode, setMode] = useState<"move" | "split" | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const finish = (message: string) => {
    setMode(null);
    onDone(message);
  };
  const split = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<MoveResult>("POST", `/api/v1/persons/${p.id}/split`, {
        sightingIds: ids,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      finish(`Split off as ${r.person?.name}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="tl-selection" data-testid="timeline-selection">
      <div class="row">
        <strong>{plural(ids.length, "sighting")} selected</strong>
        <button type="button" onClick={() => setMode("move")}>
          Move…
        </button>
        <button type="button" onClick={() => setMode("split")}>
          Split into a new person…
        </button>
        <button type="button" class="link" onClick={onClear}>
          Clear selection
        </button>
      </div>
      {mode === "move" && (
        <MoveSightings
          ids={ids}
          fromName={p.name}
          fromId={p.id}
          onCancel={() => setMode(null)}
          onDone={(r) => finish(r.person ? `Moved to ${r.person.name}.` : "Unlinked: they belong to no one.")}
        />
      )}
      {mode === "split" && (
        <form class="row" onSubmit={split} aria-label="Split">
          <label class="inline-label">
            New person's name (optional)
            <input
              name="split-name"
              value={name}
              placeholder="Unknown #N"
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Splitting…" : `Split ${plural(ids.length, "sighting")} off`}
          </button>
        </form>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}

/** The history by visit: one entry per visit (camera, first and last seen, the best shot, how many). */
function Visits({ p, filter }: { p: Person; filter: { cameraId: string; from: string; to: string } }) {
  const cameraName = useCameraName();
  const [pages, setPages] = useState<{ items: Visit[]; next: string | null }>({ items: [], next: null });
  const first = useLoad(
    () => api<Page<Visit>>("GET", `/api/v1/persons/${p.id}/visits${qs({ ...filter, limit: 20 })}`),
    [p.id, p.sightingCount, filter.cameraId, filter.from, filter.to],
  );
  const [moreError, setMoreError] = useState<unknown>();
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, next: first.data.nextCursor });
  }, [first.data]);
  const more = async () => {
    setMoreError(undefined);
    try {
      const r = await api<Page<Visit>>(
        "GET",
        `/api/v1/persons/${p.id}/visits${qs({ ...filter, limit: 20, cursor: pages.next })}`,
      );
      setPages((x) => ({ items: [...x.items, ...r.items], next: r.nextCursor }));
    } catch (err) {
      setMoreError(err);
    }
  };
  if (first.error) return <ErrorBox error={first.error} retry={first.reload} />;
  if (first.loading && !pages.items.length) return <Loading what="visits" />;
  if (!pages.items.length) return <Empty>No visits match.</Empty>;
  return (
    <>
      <ol class="timeline-list visits-list">
        {pages.items.map((v) => (
          <li key={`${v.best.id}`} class="tl-item tl-visit" data-visit={v.best.id} data-count={v.count}>
            <SightingThumb
              s={v.best}
              faceUrl={v.best.faceUrl}
              size={56}
              what={sightingWhat(p.name, cameraName(v.camera), v.firstSeenAt)}
            />
            <div class="tl-meta">
              <strong>
                <Time iso={v.firstSeenAt} full /> – <Time iso={v.lastSeenAt} />
              </strong>
              <div class="muted">
                camera <span class="cam">{cameraName(v.camera)}</span> · {plural(v.count, "sighting")}
              </div>
            </div>
          </li>
        ))}
      </ol>
      {pages.next ? (
        <button type="button" class="more" onClick={more}>
          Load older visits
        </button>
      ) : (
        <p class="muted small">End of the history ({plural(pages.items.length, "visit")} shown).</p>
      )}
      {moreError !== undefined && <ErrorBox error={moreError} />}
    </>
  );
}
