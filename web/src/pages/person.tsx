/**
 * Person: photos and best sightings, list membership, the sighting timeline. Operators rename, add
 * or remove photos, change the list, merge a duplicate in, or delete the person. One notice line
 * reports the last action (a later success clears an earlier error).
 */
import { useEffect, useState } from "preact/hooks";
import { api, can, type ListName, type Me, type Person, type PersonDetail } from "../api.ts";
import { ActionButton, Crop, ErrorBox, ListBadge, Loading, Notice, Time, useLoad, useNotice } from "../components.tsx";
import { plural } from "../format.ts";
import { Merge } from "../person/merge.tsx";
import { Photos } from "../person/photos.tsx";
import { Timeline } from "../person/timeline.tsx";
import { navigate } from "../router.tsx";
import { useStream } from "../stream.ts";

type Notices = ReturnType<typeof useNotice>;

export function PersonPage({ me, id }: { me: Me; id: string }) {
  const person = useLoad(() => api<PersonDetail>("GET", `/api/v1/persons/${encodeURIComponent(id)}`), [id]);
  const notice = useNotice();
  // Another console merging this person away, deleting or renaming it, shows here at once.
  useStream(
    "person",
    (e) => {
      if (e.personId !== id) return;
      if (e.action === "merged" && e.into) navigate(`/persons/${e.into}`, true);
      else if (e.action !== "deleted") person.reload();
    },
    [id],
  );
  useEffect(() => notice.clear(), [id]);

  if (person.error) return <ErrorBox error={person.error} retry={person.reload} />;
  if (!person.data) return <Loading what="the person" />;
  const p = person.data;
  const operator = can(me, "operator");
  return (
    <div class="person" data-person={p.id}>
      <header class="person-head">
        <Crop src={p.faceUrl} alt={p.name} size={112} />
        <div class="person-title">
          <h1>{p.name}</h1>
          <Facts p={p} />
          <ListControl p={p} me={me} notice={notice} onDone={person.reload} />
          {operator && <Rename p={p} notice={notice} onDone={person.reload} />}
        </div>
        {operator && (
          <ActionButton
            class="danger delete-person"
            confirm={`Delete ${p.name} with ${plural(p.sightingCount, "sighting")}, their photos and alerts? This cannot be undone.`}
            run={async () => {
              await api("DELETE", `/api/v1/persons/${p.id}`);
              navigate(`/search?deleted=${encodeURIComponent(p.name)}`);
            }}
          >
            Delete person…
          </ActionButton>
        )}
      </header>
      <Notice notice={notice.notice} />
      <Photos p={p} me={me} onChange={person.reload} notice={notice} />
      {operator && <Merge into={p} onDone={person.reload} />}
      <Timeline p={p} me={me} onChange={person.reload} />
    </div>
  );
}

function Facts({ p }: { p: Person }) {
  return (
    <div class="facts">
      <span>{p.kind === "auto" ? "automatic (not yet reviewed)" : "enrolled"}</span>
      <span>{plural(p.sightingCount, "sighting")}</span>
      <span>
        last seen <Time iso={p.lastSeenAt} full />
      </span>
      {p.firstSeenAt && (
        <span data-testid="first-seen" title="The capture time of the earliest sighting kept">
          first seen <Time iso={p.firstSeenAt} full />
        </span>
      )}
      <span class="muted">
        record made <Time iso={p.createdAt} full />
      </span>
    </div>
  );
}

/** A visible, labelled name field with its own button (the name itself is the heading above). */
function Rename({ p, notice, onDone }: { p: Person; notice: Notices; onDone: () => void }) {
  const [name, setName] = useState(p.name);
  useEffect(() => setName(p.name), [p.name]);
  return (
    <form
      class="rename row"
      aria-label="Rename"
      onSubmit={async (e) => {
        e.preventDefault();
        const n = name.trim();
        if (!n) return notice.fail(new Error("A name cannot be empty."));
        if (n === p.name) return notice.ok(`The name is already “${n}”.`);
        if (await notice.run(() => api("PATCH", `/api/v1/persons/${p.id}`, { name: n }), `Renamed to “${n}”.`))
          onDone();
      }}
    >
      <label class="inline-label">
        Name
        <input class="name-input" name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
      </label>
      <button type="submit">Rename</button>
    </form>
  );
}

function ListControl({ p, me, notice, onDone }: { p: Person; me: Me; notice: Notices; onDone: () => void }) {
  if (!can(me, "operator"))
    return (
      <div class="list-control" data-testid="list-readonly">
        List: <ListBadge list={p.list} /> <span class="muted small">(operators change lists)</span>
      </div>
    );
  return (
    <div class="list-control">
      <label class="inline-label">
        List
        <select
          name="list"
          value={p.list ?? ""}
          onChange={async (e) => {
            const list = (e.currentTarget.value || null) as ListName | null;
            const done = `${p.name} is ${list ? `on the ${list} list` : "on no list"}.`;
            if (await notice.run(() => api("PATCH", `/api/v1/persons/${p.id}`, { list }), done)) onDone();
          }}
        >
          <option value="">none</option>
          <option value="friend">friend</option>
          <option value="foe">foe</option>
        </select>
      </label>{" "}
      <ListBadge list={p.list} />
    </div>
  );
}
