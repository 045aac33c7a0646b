/**
 * Person: photos and best sightings, list membership, the sighting timeline (camera and time range,
 * paging, CSV export). Operators rename, add or remove photos, change the list and merge a duplicate in.
 */
import { useEffect, useState } from "preact/hooks";
import {
  api,
  can,
  type Face,
  type ListName,
  type Me,
  type Page,
  type Person,
  type PersonDetail,
  type PersonListItem,
  qs,
  type ResponseOf,
  type Sighting,
} from "../api.ts";
import { ActionButton, Crop, Empty, ErrorBox, ListBadge, Loading, Time, useLoad } from "../components.tsx";
import { isoToLocalInput, localInputToIso, percent, timeZone } from "../format.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { useStream } from "../stream.ts";

export function PersonPage({ me, id }: { me: Me; id: string }) {
  const person = useLoad(() => api<PersonDetail>("GET", `/api/v1/persons/${encodeURIComponent(id)}`), [id]);
  // Another console merging this person away, or renaming it, shows here at once.
  useStream(
    "person",
    (e) => {
      if (e.personId !== id) return;
      if (e.action === "merged" && e.into) navigate(`/persons/${e.into}`, true);
      else person.reload();
    },
    [id],
  );

  if (person.error) return <ErrorBox error={person.error} retry={person.reload} />;
  if (!person.data) return <Loading what="the person" />;
  const p = person.data;
  const operator = can(me, "operator");
  return (
    <div class="person" data-person={p.id}>
      <header class="person-head">
        <Crop src={p.faceUrl} alt={p.name} size={112} />
        <div>
          {operator ? <Rename p={p} onDone={person.reload} /> : <h1>{p.name}</h1>}
          <div class="facts">
            <span>{p.kind === "auto" ? "automatic (not yet reviewed)" : "enrolled"}</span>
            <span>{p.sightingCount} sightings</span>
            <span>
              last seen <Time iso={p.lastSeenAt} full />
            </span>
            <span>
              first recorded <Time iso={p.createdAt} full />
            </span>
            {p.regularAt?.length ? <span>regular at {p.regularAt.join(", ")}</span> : null}
          </div>
          <ListControl p={p} me={me} onDone={person.reload} />
        </div>
      </header>
      <Photos p={p} me={me} onChange={person.reload} />
      {operator && <Merge into={p} onDone={person.reload} />}
      <Timeline p={p} />
    </div>
  );
}

function Rename({ p, onDone }: { p: Person; onDone: () => void }) {
  const [name, setName] = useState(p.name);
  const [error, setError] = useState<unknown>();
  useEffect(() => setName(p.name), [p.name]);
  return (
    <form
      class="rename"
      aria-label="Rename"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          await api("PATCH", `/api/v1/persons/${p.id}`, { name: name.trim() });
          onDone();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <input
        class="name-input"
        name="name"
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
        aria-label="Name"
      />
      <button type="submit" disabled={!name.trim() || name.trim() === p.name}>
        Rename
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  );
}

function ListControl({ p, me, onDone }: { p: Person; me: Me; onDone: () => void }) {
  const [error, setError] = useState<unknown>();
  if (!can(me, "operator"))
    return (
      <div class="list-control" data-testid="list-readonly">
        List: <ListBadge list={p.list} /> <span class="muted small">(operators change lists)</span>
      </div>
    );
  return (
    <div class="list-control">
      <label>
        List{" "}
        <select
          name="list"
          value={p.list ?? ""}
          onChange={async (e) => {
            const list = (e.currentTarget.value || null) as ListName | null;
            setError(undefined);
            try {
              await api("PATCH", `/api/v1/persons/${p.id}`, { list });
              onDone();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <option value="">none</option>
          <option value="friend">friend</option>
          <option value="foe">foe</option>
        </select>
      </label>{" "}
      <ListBadge list={p.list} />
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}

function Photos({ p, me, onChange }: { p: PersonDetail; me: Me; onChange: () => void }) {
  const operator = can(me, "operator");
  const enrolled = p.faces.filter((f) => f.source === "enrol");
  const learned = p.faces.filter((f) => f.source === "sighting").sort((a, b) => b.quality - a.quality);
  const [upload, setUpload] = useState<{ busy?: boolean; error?: unknown }>({});
  const face = (f: Face) => (
    <figure key={f.id} class="face" data-face={f.id}>
      <Crop src={f.imageUrl} alt={`face ${f.id}`} size={96} />
      <figcaption class="small muted">
        quality {percent(f.quality)}
        {f.camera ? ` · ${f.camera}` : ""}
        <br />
        <Time iso={f.createdAt} />
      </figcaption>
      {operator && (
        <ActionButton
          class="small danger"
          confirm="Remove this photo? It stops being used to recognize the person."
          run={async () => {
            await api("DELETE", `/api/v1/persons/${p.id}/faces/${f.id}`);
            onChange();
          }}
        >
          Remove
        </ActionButton>
      )}
    </figure>
  );
  return (
    <section class="photos">
      <h2>Enrolled photos</h2>
      <div class="faces">
        {enrolled.length ? enrolled.map(face) : <Empty>No enrolled photo.</Empty>}
        {operator && (
          <label class="add-photo">
            <input
              type="file"
              name="enrol"
              accept="image/jpeg,image/png,image/webp"
              onChange={async (e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = "";
                if (!file) return;
                const form = new FormData();
                form.append("image", file, file.name);
                setUpload({ busy: true });
                try {
                  await api("POST", `/api/v1/persons/${p.id}/faces`, form);
                  setUpload({});
                  onChange();
                } catch (err) {
                  setUpload({ error: err });
                }
              }}
            />
            {upload.busy ? "Adding…" : "+ Add photo"}
          </label>
        )}
      </div>
      {upload.error !== undefined && <ErrorBox error={upload.error} />}
      <h2>Best sightings</h2>
      <p class="muted small">The clearest faces cameras recorded; the server also uses them to recognize the person.</p>
      <div class="faces">{learned.length ? learned.map(face) : <Empty>None yet.</Empty>}</div>
    </section>
  );
}

/** Pick another person (by name) and move them into this one. */
function Merge({ into, onDone }: { into: Person; onDone: () => void }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<PersonListItem[] | null>(null);
  const [error, setError] = useState<unknown>();
  const search = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const r = await api<Page<PersonListItem>>(
        "GET",
        `/api/v1/persons${qs({ q: q.trim(), limit: 20, sort: "lastSeen" })}`,
      );
      setFound(r.items.filter((x) => x.id !== into.id));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="merge" aria-label="Merge a duplicate">
      <h2>Merge a duplicate into {into.name}</h2>
      <form class="row" onSubmit={search}>
        <input
          name="merge-q"
          placeholder="Name of the duplicate (e.g. Unknown #3)"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit">Find</button>
      </form>
      {error !== undefined && <ErrorBox error={error} />}
      {found &&
        (found.length === 0 ? (
          <Empty>No other person matches “{q}”.</Empty>
        ) : (
          <ul class="person-list">
            {found.map((d) => (
              <li key={d.id} class="person-row">
                <Crop src={d.faceUrl} alt={d.name} size={40} />
                <div>
                  <Link href={`/persons/${d.id}`}>{d.name}</Link> <ListBadge list={d.list} />
                  <div class="muted small">{d.sightingCount} sightings</div>
                </div>
                <ActionButton
                  class="merge-btn"
                  confirm={`Merge “${d.name}” into “${into.name}”? Its sightings and photos move here and “${d.name}” is removed.`}
                  run={async () => {
                    await api("POST", `/api/v1/persons/${into.id}/merge`, { from: d.id });
                    setFound(null);
                    setQ("");
                    onDone();
                  }}
                >
                  Merge into this person
                </ActionButton>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}

function Timeline({ p }: { p: Person }) {
  const loc = useLocation();
  const camera = loc.query.get("camera") ?? "";
  const from = loc.query.get("from") ?? "";
  const to = loc.query.get("to") ?? "";
  const [draft, setDraft] = useState({ camera, from: isoToLocalInput(from), to: isoToLocalInput(to) });
  useEffect(() => setDraft({ camera, from: isoToLocalInput(from), to: isoToLocalInput(to) }), [camera, from, to]);
  const cameras = useLoad(() => api<ResponseOf<"listCameras">>("GET", "/api/v1/cameras"), []);
  const filter = { cameraId: camera, from, to };
  const [pages, setPages] = useState<{ items: Sighting[]; next: string | null; more?: boolean }>({
    items: [],
    next: null,
  });
  const first = useLoad(
    () => api<Page<Sighting>>("GET", `/api/v1/persons/${p.id}/sightings${qs({ ...filter, limit: 25 })}`),
    [p.id, p.sightingCount, camera, from, to],
  );
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, next: first.data.nextCursor });
  }, [first.data]);
  const [moreError, setMoreError] = useState<unknown>();

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
    <section class="timeline" aria-label="Sighting history">
      <h2>Sighting history</h2>
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
              <option key={c.id} value={c.id}>
                {c.name ?? c.id}
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
                <Crop src={s.faceUrl} alt="sighting" size={56} />
                <div>
                  <strong>
                    <Time iso={s.capturedAt} full />
                  </strong>
                  <div class="muted">
                    camera {s.cameraId} ·{" "}
                    {s.similarity !== null ? `match ${percent(s.similarity)}` : "founded this person"}
                    {s.shots > 1 ? ` · ${s.shots} shots until ` : ""}
                    {s.shots > 1 && <Time iso={s.lastSeenAt} />}
                  </div>
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
