/** Pick another person (by name) and merge them into this one. */
import { useState } from "preact/hooks";
import { api, type Page, type Person, type PersonListItem, qs } from "../api.ts";
import { ActionButton, Crop, Empty, ErrorBox, ListBadge } from "../components.tsx";
import { plural } from "../format.ts";
import { Link } from "../router.tsx";

export function Merge({ into, onDone }: { into: Person; onDone: () => void }) {
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
    <section class="merge" aria-labelledby="merge-title">
      <h2 id="merge-title">Merge a duplicate into {into.name}</h2>
      <form class="row" onSubmit={search}>
        <input
          name="merge-q"
          aria-label="Name of the duplicate"
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
                  <div class="muted small">{plural(d.sightingCount, "sighting")}</div>
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
