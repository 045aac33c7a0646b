/**
 * New person (operators): a name, a list, and photos. The person is created first, then each photo
 * is enrolled in turn; every photo shows its outcome, and a refused one the server's reason (no face,
 * several faces, unreadable, ...). Nothing is lost when a photo is refused: the others stay.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type ListName, type Person } from "../api.ts";
import { ErrorBox } from "../components.tsx";
import { plural } from "../format.ts";
import { type EnrolOutcome, enrolPhotos, outcomeText } from "../person/enrol.ts";
import { Link } from "../router.tsx";

interface Chosen {
  file: File;
  url: string;
  outcome: EnrolOutcome;
}

export function NewPersonPage() {
  const [name, setName] = useState("");
  const [list, setList] = useState<ListName | "">("");
  const [photos, setPhotos] = useState<Chosen[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<Person | null>(null);
  // the previews' object URLs go with the page
  const urls = useRef<string[]>([]);
  urls.current = photos.map((p) => p.url);
  useEffect(
    () => () => {
      for (const u of urls.current) URL.revokeObjectURL(u);
    },
    [],
  );

  const choose = (files: File[]) =>
    setPhotos((ps) => [
      ...ps,
      ...files.map((file) => ({ file, url: URL.createObjectURL(file), outcome: { state: "waiting" } as const })),
    ]);
  const drop = (i: number) =>
    setPhotos((ps) => {
      URL.revokeObjectURL(ps[i].url);
      return ps.filter((_, j) => j !== i);
    });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const p = created ?? (await api<Person>("POST", "/api/v1/persons", { name: name.trim(), list: list || null }));
      setCreated(p);
      // only the photos not enrolled yet (a second press retries the refused ones with new choices)
      const todo = photos.map((x, i) => ({ x, i })).filter(({ x }) => x.outcome.state !== "enrolled");
      await enrolPhotos(
        p.id,
        todo.map(({ x }) => x.file),
        (k, outcome) => setPhotos((ps) => ps.map((x, j) => (j === todo[k].i ? { ...x, outcome } : x))),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const enrolled = photos.filter((p) => p.outcome.state === "enrolled").length;
  const refused = photos.filter((p) => p.outcome.state === "refused").length;
  const finished = created && !busy;

  return (
    <div class="new-person">
      <div class="page-head">
        <h1>New person</h1>
        <Link href="/persons/bulk">Bulk enrolment (many persons, a zip)</Link>
      </div>
      <form class="stack wide" aria-label="New person" onSubmit={submit}>
        <label>
          Name
          <input
            name="person-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
            maxLength={200}
            disabled={!!created}
          />
        </label>
        <label>
          List
          <select
            name="person-list"
            value={list}
            onChange={(e) => setList(e.currentTarget.value as ListName | "")}
            disabled={!!created}
          >
            <option value="">none</option>
            <option value="friend">friend</option>
            <option value="foe">foe (sightings raise alerts)</option>
          </select>
        </label>
        <label class="add-photos">
          Photos (each with exactly one clear face)
          <input
            type="file"
            name="person-photos"
            multiple
            accept="image/jpeg,image/png,image/webp"
            onChange={(e) => {
              choose([...(e.currentTarget.files ?? [])]);
              e.currentTarget.value = "";
            }}
          />
        </label>
        {photos.length > 0 && (
          <ul class="chosen-photos" aria-label="Chosen photos">
            {photos.map((p, i) => (
              <li key={p.url} class={`chosen ${p.outcome.state}`} data-photo={p.file.name}>
                <img src={p.url} alt={p.file.name} width={72} height={72} />
                <div>
                  <div class="file-name">{p.file.name}</div>
                  <div class="outcome" role="status">
                    {outcomeText(p.outcome)}
                  </div>
                </div>
                {p.outcome.state !== "enrolled" && !busy && (
                  <button type="button" class="link" onClick={() => drop(i)} aria-label={`Remove ${p.file.name}`}>
                    remove
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <div class="row">
          <button
            type="submit"
            class="primary"
            disabled={busy || (!!created && photos.every((p) => p.outcome.state === "enrolled"))}
          >
            {busy
              ? "Saving…"
              : created
                ? "Enrol the remaining photos"
                : photos.length
                  ? `Create and enrol ${plural(photos.length, "photo")}`
                  : "Create"}
          </button>
        </div>
        {error !== undefined && <ErrorBox error={error} />}
      </form>
      {finished && (
        <div class={`state ${refused ? "error" : "ok"}`} role="status" data-testid="new-person-result">
          <span>
            {created.name} was created
            {photos.length ? ` with ${plural(enrolled, "photo")}` : " without photos"}
            {refused
              ? `; ${plural(refused, "photo")} refused (reasons above): choose others and press the button again, or add photos on the person's page`
              : ""}
            .
          </span>{" "}
          <Link href={`/persons/${created.id}`}>Open {created.name}</Link>
        </div>
      )}
    </div>
  );
}
