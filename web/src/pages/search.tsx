/** Search: persons by name, and by photo (drop or choose a photo; matching persons with their similarity). */
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type Page, type PersonListItem, qs, type SearchResult } from "../api.ts";
import { Crop, Empty, ErrorBox, ListBadge, Loading, PersonLink, Time, useLoad } from "../components.tsx";
import { percent } from "../format.ts";
import { Link, navigate, useLocation } from "../router.tsx";

export function SearchPage() {
  return (
    <div class="search">
      <h1>Search</h1>
      <div class="two-col">
        <NameSearch />
        <PhotoSearch />
      </div>
    </div>
  );
}

function NameSearch() {
  const loc = useLocation();
  const q = loc.query.get("q") ?? "";
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const result = useLoad(
    () =>
      q
        ? api<Page<PersonListItem>>("GET", `/api/v1/persons${qs({ q, limit: 50, sort: "lastSeen" })}`)
        : Promise.resolve(null),
    [q],
  );
  return (
    <section aria-label="Search by name">
      <h2>By name</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/search${qs({ q: text.trim() })}`);
        }}
      >
        <input
          type="search"
          name="q"
          placeholder="Name, or part of it"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      {!q ? (
        <Empty>Type a name (or "Unknown #12") and press Search.</Empty>
      ) : result.error ? (
        <ErrorBox error={result.error} retry={result.reload} />
      ) : result.loading || !result.data ? (
        <Loading what="persons" />
      ) : result.data.items.length === 0 ? (
        <Empty>No person's name contains “{q}”.</Empty>
      ) : (
        <ul class="person-list">
          {result.data.items.map((p) => (
            <PersonRow key={p.id} p={p} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function PersonRow({ p }: { p: PersonListItem }) {
  return (
    <li class="person-row">
      <Crop src={p.faceUrl} alt={p.name} size={48} />
      <div>
        <Link href={`/persons/${p.id}`}>{p.name}</Link> <ListBadge list={p.list} />
        <div class="muted small">
          {p.sightingCount} sightings · last seen <Time iso={p.lastSeenAt} />
        </div>
      </div>
    </li>
  );
}

const MESSAGES: Record<string, string> = {
  PAYLOAD_TOO_LARGE: "The photo is too large for the server.",
  IMAGE_TOO_LARGE: "The photo is too large for the server.",
  IMAGE_TOO_MANY_PIXELS: "The photo has too many pixels; use a smaller one.",
  IMAGE_UNSUPPORTED: "This is not a JPEG, PNG or WebP photo.",
  UNSUPPORTED_MEDIA_TYPE: "This is not a JPEG, PNG or WebP photo.",
  IMAGE_CORRUPT: "The photo could not be read (corrupt or truncated).",
};

function PhotoSearch() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string>("");
  const [over, setOver] = useState(false);
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; result?: SearchResult }>({});

  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);

  const run = async (f: File) => {
    setFile(f);
    setPreview(URL.createObjectURL(f));
    setState({ busy: true });
    const form = new FormData();
    form.append("image", f, f.name);
    try {
      setState({ result: await api<SearchResult>("POST", "/api/v1/search?sightings=3", form) });
    } catch (e) {
      setState({ error: e instanceof ApiError && MESSAGES[e.code] ? new Error(MESSAGES[e.code]) : e });
    }
  };

  return (
    <section aria-label="Search by photo">
      <h2>By photo</h2>
      <label
        class={`dropzone ${over ? "over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files?.[0];
          if (f) void run(f);
        }}
      >
        <input
          type="file"
          accept="image/jpeg,image/png,image/webp"
          name="photo"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) void run(f);
            e.currentTarget.value = "";
          }}
        />
        {preview ? <img class="preview" src={preview} alt="the face searched for" /> : null}
        <span>
          {file
            ? `${file.name}: drop another photo or click to choose`
            : "Drop a photo of a face here, or click to choose one"}
        </span>
      </label>
      {state.busy && <Loading what="matches (finding faces in the photo)" />}
      {state.error !== undefined && <ErrorBox error={state.error} />}
      {state.result && <PhotoResults result={state.result} />}
    </section>
  );
}

function PhotoResults({ result }: { result: SearchResult }) {
  if (result.faces.length === 0)
    return <Empty>No face was found in this photo. Try a clearer, front-facing one.</Empty>;
  return (
    <div class="photo-results" data-testid="photo-results">
      {result.faces.map((f, i) => (
        <div class="face-result" key={`${f.box.join(",")}`}>
          {result.faces.length > 1 && <h3>Face {i + 1}</h3>}
          {f.candidates.length === 0 ? (
            <Empty>No enrolled or previously seen person looks like this face.</Empty>
          ) : (
            <ol class="candidates">
              {f.candidates.map((c) => (
                <li key={c.person.id} class={c.match ? "match" : "maybe"}>
                  <div class="cand-head">
                    <PersonLink person={c.person} /> <ListBadge list={c.person.list} />
                    <span class="similarity" title="cosine similarity of the faces">
                      {percent(c.similarity)} {c.match ? "match" : "possible"}
                    </span>
                  </div>
                  {c.sightings?.length ? (
                    <div class="thumbs">
                      {c.sightings.map((s) => (
                        <span key={s.id} class="thumb">
                          <Crop src={s.faceUrl} alt="recent sighting" size={48} />
                          <span class="muted small">
                            {s.cameraId}
                            <br />
                            <Time iso={s.capturedAt} />
                          </span>
                        </span>
                      ))}
                    </div>
                  ) : (
                    <span class="muted small">not seen by a camera yet</span>
                  )}
                </li>
              ))}
            </ol>
          )}
        </div>
      ))}
      <p class="muted small">A match is at or above the identification threshold ({percent(result.threshold)}).</p>
    </div>
  );
}
