/** A person's sighting history: camera and time range filters, paging, CSV export; thumbnails open the sighting. */
import { useEffect, useState } from "preact/hooks";
import { api, type Page, type Person, qs, type Sighting } from "../api.ts";
import { cameraKeyOf, useCameraName, useCameras } from "../cameras.ts";
import { Empty, ErrorBox, Loading, Time, useLoad } from "../components.tsx";
import { cameraLabel, isoToLocalInput, localInputToIso, plural, timeZone } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { SightingThumb, sightingWhat } from "../sighting/thumb.tsx";
import { Similarity } from "../similarity.tsx";

export function Timeline({ p }: { p: Person }) {
  const loc = useLocation();
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
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, next: first.data.nextCursor });
    setMoreError(undefined); // a new list: an older page's error is no longer true
  }, [first.data]);

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(
      `/persons/${p.id}${qs({ camera: draft.camera, from: localInputToIso(draft.from), to: localInputToIso(draft.to) })}`,
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
      <h2 id="history-title">Sighting history</h2>
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
        <label>
          From
          <input
            type="datetime-local"
            name="from"
            value={draft.from}
            onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            name="to"
            value={draft.to}
            onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
          />
        </label>
        <button type="submit">Apply</button>
        {(camera || from || to) && (
          <button type="button" class="link" onClick={() => navigate(`/persons/${p.id}`, true)}>
            Clear
          </button>
        )}
        <a class="button" href={csv} download>
          Export CSV
        </a>
      </form>
      {first.error ? (
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
                  <Similarity value={s.similarity} founded />
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
