/**
 * One sighting: the context image with the face box, the face crop, camera, time, similarity and the
 * person; open the person, or search the whole history with this face.
 */
import { useState } from "preact/hooks";
import { api, can, type HistorySearchResult, type Me, type SearchResult, type Sighting } from "../api.ts";
import { cameraKeyOf, useCameraName } from "../cameras.ts";
import { Crop, ErrorBox, ListBadge, Loading, PersonLink, Time, useLoad } from "../components.tsx";
import { percent, personLabel, plural } from "../format.ts";
import { Link } from "../router.tsx";
import { Candidates, ThresholdNote } from "../search/results.tsx";
import { Similarity } from "../similarity.tsx";
import { ContextImage } from "./context.tsx";
import { MoveSightings } from "./move.tsx";
import { SightingThumb, sightingWhat } from "./thumb.tsx";

const VERDICTS: Record<Sighting["verdict"], string> = {
  foe: "foe list",
  friend: "friend list",
  regular: "a regular at this camera",
  none: "no list",
};

export function SightingDetail({
  id,
  initial,
  onClose,
  titleId,
  me,
}: {
  id: string;
  initial?: Sighting;
  me: Me;
  onClose?: () => void;
  titleId?: string;
}) {
  // What the page had shows at once; the server's current copy (later shots, a renamed person) replaces it.
  const s = useLoad(() => api<Sighting>("GET", `/api/v1/sightings/${encodeURIComponent(id)}`), [id]);
  const camera = useCameraName();
  const x = s.data ?? initial;
  return (
    <article class="sighting-detail" data-sighting-detail={id}>
      <header class="sd-head">
        <h2 id={titleId}>{x ? `${personLabel(x.person)} at ${camera(cameraKeyOf(x))}` : "Sighting"}</h2>
        {onClose && (
          <button type="button" class="close" onClick={onClose} aria-label="Close">
            ×
          </button>
        )}
      </header>
      {s.error && !x ? (
        <ErrorBox error={s.error} retry={s.reload} />
      ) : !x ? (
        <Loading what="the sighting" />
      ) : (
        <>
          <div class="sd-body">
            <ContextImage s={x} />
            <div class="sd-side">
              <Crop src={x.faceUrl} alt={`face of ${personLabel(x.person)}`} size={112} />
              <dl class="facts-list">
                <dt>Person</dt>
                <dd>
                  <PersonLink person={x.person} /> {x.person && <ListBadge list={x.person.list} />}
                </dd>
                <dt>Camera</dt>
                <dd data-camera-name>
                  {camera(cameraKeyOf(x))}
                  {camera(cameraKeyOf(x)) !== x.cameraId && <span class="muted small"> ({x.cameraId})</span>}
                </dd>
                <dt>Seen</dt>
                <dd>
                  <Time iso={x.capturedAt} full />
                  {x.shots > 1 && (
                    <span class="muted small">
                      {" "}
                      until <Time iso={x.lastSeenAt} /> ({plural(x.shots, "shot")})
                    </span>
                  )}
                </dd>
                <dt>Similarity</dt>
                <dd>
                  <Similarity value={x.similarity} founded={!!x.person} grade={x.grade} />
                </dd>
                <dt>Verdict</dt>
                <dd>{VERDICTS[x.verdict]}</dd>
                <dt>Face quality</dt>
                <dd>{percent(x.quality)}</dd>
              </dl>
            </div>
          </div>
          <FaceSearch s={x} me={me} onMoved={s.reload} />
        </>
      )}
    </article>
  );
}

/** The actions: open the person, search the history with this face, and (operators) "not this person". */
function FaceSearch({ s, me, onMoved }: { s: Sighting; me: Me; onMoved?: () => void }) {
  const [moving, setMoving] = useState(false);
  const [moved, setMoved] = useState<string | null>(null);
  const [state, setState] = useState<{
    busy?: boolean;
    error?: unknown;
    result?: SearchResult;
    history?: HistorySearchResult;
  }>({});
  const camera = useCameraName();
  const search = async () => {
    setState({ busy: true });
    try {
      const res = await fetch(s.faceUrl, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`The face crop could not be loaded (${res.status}).`);
      const form = new FormData();
      form.append("image", await res.blob(), "face.jpg");
      const result = await api<SearchResult>("POST", "/api/v1/search?sightings=3", form);
      // Every sighting with this face, unidentified ones included (the history index).
      const history = await api<HistorySearchResult>("POST", "/api/v1/search/sightings?limit=12", form).catch(
        () => undefined,
      );
      setState({ result, history });
    } catch (e) {
      setState({ error: e });
    }
  };
  const face = state.result?.faces[0];
  return (
    <section class="sd-actions" aria-label="Actions">
      <div class="row">
        {s.person && (
          <Link class="button primary" href={`/persons/${s.person.id}`}>
            Open {s.person.name}
          </Link>
        )}
        <button type="button" onClick={search} disabled={state.busy}>
          {state.busy ? "Searching…" : "Search history with this face"}
        </button>
        <Link class="button" href={`/sightings/${s.id}`}>
          Link to this sighting
        </Link>
      </div>
      {can(me, "operator") &&
        (moving ? (
          <MoveSightings
            ids={[s.id]}
            fromName={s.person?.name}
            fromId={s.personId}
            onCancel={() => setMoving(false)}
            onDone={(r) => {
              setMoving(false);
              setMoved(
                r.person
                  ? `Moved to ${r.person.name}.`
                  : `Unlinked: this sighting belongs to no one${s.person ? ` (never again ${s.person.name} for this track)` : ""}.`,
              );
              onMoved?.();
            }}
          />
        ) : (
          <div class="row">
            <button type="button" onClick={() => setMoving(true)} data-action="not-this-person">
              Not this person…
            </button>
            {moved && (
              <span class="state ok small" role="status">
                {moved}
              </span>
            )}
          </div>
        ))}
      {state.error !== undefined && <ErrorBox error={state.error} />}
      {state.result && (
        <div class="sd-search" data-testid="face-search-results">
          <h3>Persons with this face</h3>
          {face ? (
            <>
              <Candidates candidates={face.candidates} />
              <ThresholdNote threshold={state.result.threshold} />
            </>
          ) : (
            <p class="muted">The server found no face in this crop (too small or blurred to search with).</p>
          )}
          {state.history && state.history.items.length > 0 && (
            <>
              <h3>Sightings with this face</h3>
              <ul class="history-hits" data-testid="history-hits">
                {state.history.items
                  .filter((h) => h.sighting.id !== s.id)
                  .map((h) => (
                    <li key={h.sighting.id} data-sighting={h.sighting.id}>
                      <SightingThumb
                        s={h.sighting}
                        faceUrl={h.sighting.faceUrl}
                        size={56}
                        what={sightingWhat(
                          personLabel(h.sighting.person),
                          camera(cameraKeyOf(h.sighting)),
                          h.sighting.capturedAt,
                        )}
                      />
                      <span class="small">
                        {personLabel(h.sighting.person)} · <Time iso={h.sighting.capturedAt} short />
                      </span>
                      <span class="muted small">similarity {h.similarity.toFixed(2)}</span>
                    </li>
                  ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}
