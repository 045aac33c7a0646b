/** Unknown persons: the automatic persons, newest or most seen first, to review, name, list or merge. */
import { useState } from "preact/hooks";
import { api, can, type ListName, type Me, type Page, type PersonListItem, qs } from "../api.ts";
import { useCameraName } from "../cameras.ts";
import {
  ActionButton,
  Crop,
  Empty,
  ErrorBox,
  ListBadge,
  Loading,
  Time,
  useLoad,
  useThrottled,
} from "../components.tsx";
import { plural } from "../format.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { useStream } from "../stream.ts";

export function UnknownPage({ me }: { me: Me }) {
  const loc = useLocation();
  const sort = loc.query.get("sort") === "sightings" ? "sightings" : "created";
  const [extra, setExtra] = useState<{ items: PersonListItem[]; next: string | null } | null>(null);
  const page = useLoad(() => {
    setExtra(null);
    return api<Page<PersonListItem>>("GET", `/api/v1/persons${qs({ kind: "auto", sort, limit: 48 })}`);
  }, [sort]);
  // Named, listed-and-named or merged persons leave this page; new unknowns arrive.
  const refresh = useThrottled(page.reload, 2000);
  useStream("person", refresh);
  const items = [...(page.data?.items ?? []), ...(extra?.items ?? [])];
  const next = extra ? extra.next : (page.data?.nextCursor ?? null);

  return (
    <div class="unknown">
      <h1>Unknown persons</h1>
      <p class="muted">
        Faces the server did not recognize become “Unknown #N” and collect their later sightings. Review them: give a
        name (the person becomes enrolled), put them on a list, or merge duplicates.
      </p>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={sort === "created"} onClick={() => navigate("/unknown", true)}>
          Newest first
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={sort === "sightings"}
          onClick={() => navigate("/unknown?sort=sightings", true)}
        >
          Most seen first
        </button>
      </div>
      {page.error ? (
        <ErrorBox error={page.error} retry={page.reload} />
      ) : !page.data ? (
        <Loading what="unknown persons" />
      ) : items.length === 0 ? (
        <Empty>No unknown persons: every face seen so far belongs to a reviewed person.</Empty>
      ) : (
        <>
          <ul class="unknown-grid">
            {items.map((p) => (
              <UnknownCard key={p.id} p={p} me={me} others={items} onChange={page.reload} />
            ))}
          </ul>
          {next && (
            <ActionButton
              class="more"
              run={async () => {
                const r = await api<Page<PersonListItem>>(
                  "GET",
                  `/api/v1/persons${qs({ kind: "auto", sort, limit: 48, cursor: next })}`,
                );
                setExtra((x) => ({ items: [...(x?.items ?? []), ...r.items], next: r.nextCursor }));
              }}
            >
              Show more
            </ActionButton>
          )}
        </>
      )}
    </div>
  );
}

function UnknownCard({
  p,
  me,
  others,
  onChange,
}: {
  p: PersonListItem;
  me: Me;
  others: PersonListItem[];
  onChange: () => void;
}) {
  const [name, setName] = useState("");
  const [target, setTarget] = useState("");
  const [error, setError] = useState<unknown>();
  const operator = can(me, "operator");
  const cameraName = useCameraName();
  const act = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <li class="unknown-card" data-person={p.id}>
      <Link href={`/persons/${p.id}`}>
        <Crop src={p.faceUrl} alt={p.name} size={120} />
      </Link>
      <div>
        <Link href={`/persons/${p.id}`}>
          <strong>{p.name}</strong>
        </Link>{" "}
        <ListBadge list={p.list} />
      </div>
      <div class="muted small">
        {plural(p.sightingCount, "sighting")}
        {p.camera ? ` · first at ${cameraName(p.camera)}` : ""}
        <br />
        first <Time iso={p.createdAt} /> · last <Time iso={p.lastSeenAt} />
      </div>
      {operator && (
        <div class="card-actions">
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim()) void act(() => api("PATCH", `/api/v1/persons/${p.id}`, { name: name.trim() }));
            }}
          >
            <input
              name="name"
              placeholder="Name…"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              aria-label={`Name ${p.name}`}
            />
            <button type="submit" disabled={!name.trim()}>
              Name
            </button>
          </form>
          <div class="row">
            <select
              aria-label={`List of ${p.name}`}
              value={p.list ?? ""}
              onChange={(e) =>
                void act(() =>
                  api("PATCH", `/api/v1/persons/${p.id}`, { list: (e.currentTarget.value || null) as ListName | null }),
                )
              }
            >
              <option value="">no list</option>
              <option value="friend">friend</option>
              <option value="foe">foe</option>
            </select>
            <select
              aria-label={`Merge ${p.name} into`}
              value={target}
              onChange={(e) => setTarget(e.currentTarget.value)}
            >
              <option value="">merge into…</option>
              {others
                .filter((o) => o.id !== p.id)
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
            </select>
            <button
              type="button"
              disabled={!target}
              onClick={() => {
                const into = others.find((o) => o.id === target);
                if (into && window.confirm(`Merge “${p.name}” into “${into.name}”?`))
                  void act(() => api("POST", `/api/v1/persons/${target}/merge`, { from: p.id }));
              }}
            >
              Merge
            </button>
          </div>
          <p class="muted small">To merge into an enrolled person, use “Merge a duplicate” on that person's page.</p>
        </div>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </li>
  );
}
