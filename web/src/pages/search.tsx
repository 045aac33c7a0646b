/** Search: persons by name, and by photo (search/photo.tsx); operators start a new person here. */
import { useEffect, useState } from "preact/hooks";
import { api, can, type Me, type Page, type PersonListItem, qs } from "../api.ts";
import { Crop, Empty, ErrorBox, ListBadge, Loading, Time, useLoad } from "../components.tsx";
import { plural } from "../format.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { PhotoSearch } from "../search/photo.tsx";

export function SearchPage({ me }: { me: Me }) {
  const deleted = useLocation().query.get("deleted");
  return (
    <div class="search">
      <div class="page-head">
        <h1>Search</h1>
        {can(me, "operator") && (
          <div class="row">
            <Link class="button" href="/persons/bulk">
              Bulk enrolment
            </Link>
            <Link class="button primary" href="/persons/new">
              + New person
            </Link>
          </div>
        )}
      </div>
      {deleted && (
        <p class="state ok" role="status">
          Deleted {deleted} with their photos, sightings and alerts.
        </p>
      )}
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
    <section aria-labelledby="by-name">
      <h2 id="by-name">By name</h2>
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
          aria-label="Name"
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
          {plural(p.sightingCount, "sighting")} · last seen <Time iso={p.lastSeenAt} />
        </div>
      </div>
    </li>
  );
}
