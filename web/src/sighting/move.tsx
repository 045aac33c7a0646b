/**
 * "Not this person…": moves one sighting or several to another person (found by name), to a new
 * person, or to no one. The server forgets the faces learned from them, remembers "not <old person>"
 * for their tracks, and audits the move.
 */
import { useState } from "preact/hooks";
import { api, type MoveResult, type Page, type PersonListItem, qs } from "../api.ts";
import { Crop, Empty, ErrorBox, ListBadge } from "../components.tsx";
import { plural } from "../format.ts";

type Target = "person" | "new" | "none";

export function MoveSightings({
  ids,
  fromName,
  fromId,
  onDone,
  onCancel,
}: {
  ids: string[];
  /** The current person's name (for the wording), if any. */
  fromName?: string | null;
  fromId?: string | null;
  onDone: (r: MoveResult) => void;
  onCancel?: () => void;
}) {
  const [target, setTarget] = useState<Target>("person");
  const [q, setQ] = useState("");
  const [found, setFound] = useState<PersonListItem[] | null>(null);
  const [picked, setPicked] = useState<PersonListItem | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const what = ids.length === 1 ? "this sighting" : `these ${ids.length} sightings`;

  const find = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const r = await api<Page<PersonListItem>>(
        "GET",
        `/api/v1/persons${qs({ q: q.trim(), limit: 10, sort: "lastSeen" })}`,
      );
      setFound(r.items.filter((x) => x.id !== fromId));
    } catch (err) {
      setError(err);
    }
  };
  const move = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const to =
        target === "person"
          ? { kind: "person", personId: picked!.id }
          : target === "new"
            ? { kind: "new", ...(name.trim() ? { name: name.trim() } : {}) }
            : { kind: "none" };
      onDone(await api<MoveResult>("POST", "/api/v1/sightings/move", { sightingIds: ids, to }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const ready = target !== "person" || picked !== null;
  return (
    <section class="move-box" aria-labelledby="move-title" data-testid="move-sightings">
      <h3 id="move-title">
        {fromName ? `Not ${fromName}: ` : ""}move {what} to
      </h3>
      <fieldset class="move-targets">
        <legend class="sr-only">Move to</legend>
        <label>
          <input type="radio" name="move-target" checked={target === "person"} onChange={() => setTarget("person")} />{" "}
          another person
        </label>
        <label>
          <input type="radio" name="move-target" checked={target === "new"} onChange={() => setTarget("new")} /> a new
          person
        </label>
        <label>
          <input type="radio" name="move-target" checked={target === "none"} onChange={() => setTarget("none")} /> no
          one (unidentified)
        </label>
      </fieldset>
      {target === "person" && (
        <>
          <form class="row" onSubmit={find}>
            <input
              name="move-q"
              aria-label="Name of the person"
              placeholder="Name (e.g. Penny, Unknown #3)"
              value={q}
              onInput={(e) => setQ(e.currentTarget.value)}
            />
            <button type="submit">Find</button>
          </form>
          {found &&
            (found.length === 0 ? (
              <Empty>No person matches “{q}”.</Empty>
            ) : (
              <ul class="person-list move-candidates">
                {found.map((d) => (
                  <li key={d.id} class={`person-row ${picked?.id === d.id ? "picked" : ""}`} data-person={d.id}>
                    <Crop src={d.faceUrl} alt={d.name} size={40} />
                    <div>
                      {d.name} <ListBadge list={d.list} />
                      <div class="muted small">{plural(d.sightingCount, "sighting")}</div>
                    </div>
                    <button type="button" aria-pressed={picked?.id === d.id} onClick={() => setPicked(d)}>
                      {picked?.id === d.id ? "Chosen" : "Choose"}
                    </button>
                  </li>
                ))}
              </ul>
            ))}
        </>
      )}
      {target === "new" && (
        <label class="inline-label">
          Name (optional)
          <input
            name="new-name"
            value={name}
            placeholder="Unknown #N"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
      )}
      <div class="row">
        <button type="button" class="primary" disabled={!ready || busy} onClick={move}>
          {busy
            ? "Moving…"
            : target === "person"
              ? picked
                ? `Move to ${picked.name}`
                : "Choose a person"
              : target === "new"
                ? "Move to a new person"
                : "Unlink (no one)"}
        </button>
        {onCancel && (
          <button type="button" class="link" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {error !== undefined && <ErrorBox error={error} />}
    </section>
  );
}
