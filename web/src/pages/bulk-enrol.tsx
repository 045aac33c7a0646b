/**
 * Bulk enrolment (operators): a zip archive or several photos, named `Name/photo.jpg` or
 * `Name_1.jpg`. The files are listed with the person each goes to before anything is sent; then each
 * photo is enrolled in turn with its progress, and the report says what was enrolled (into whom, new
 * person or not, face quality), refused (the reason) and possibly a duplicate (the photo also matches
 * another person: a link to them). The logic is in person/bulk.ts.
 */
import { ArchiveError } from "@argus/shared/enrol/archive";
import { useState } from "preact/hooks";
import { ErrorBox } from "../components.tsx";
import { download } from "../csv.ts";
import { percent, plural, similarityValue } from "../format.ts";
import {
  type BulkFileResult,
  type BulkItem,
  BulkStopped,
  countsOf,
  itemsOf,
  reportCsv,
  sendOne,
} from "../person/bulk.ts";
import { Link } from "../router.tsx";

export function BulkEnrolPage() {
  const [items, setItems] = useState<BulkItem[]>([]);
  const [reading, setReading] = useState(false);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>();

  const choose = async (files: File[]) => {
    setError(undefined);
    setReading(true);
    try {
      setItems(await itemsOf(files));
    } catch (e) {
      setItems([]);
      setError(e instanceof ArchiveError ? new Error(e.message) : e);
    } finally {
      setReading(false);
    }
  };

  const start = async () => {
    setRunning(true);
    setError(undefined);
    const set = (i: number, outcome: BulkItem["outcome"]) =>
      setItems((xs) => xs.map((x, j) => (j === i ? { ...x, outcome } : x)));
    try {
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (it.plan.kind !== "photo" || it.outcome.state === "done") continue;
        set(i, { state: "sending" });
        try {
          set(i, { state: "done", result: await sendOne(it) });
        } catch (e) {
          set(i, { state: "waiting" });
          throw e;
        }
      }
    } catch (e) {
      setError(e instanceof BulkStopped ? new Error(`Stopped: ${e.message}. Press the button again to go on.`) : e);
    } finally {
      setRunning(false);
    }
  };

  const c = countsOf(items);
  const persons = new Set(items.flatMap((i) => (i.plan.kind === "photo" ? [i.plan.person] : []))).size;
  const toSend = items.filter((i) => i.plan.kind === "photo" && i.outcome.state !== "done").length;
  const finished = items.length > 0 && !running && toSend === 0;
  // Indexes as keys: two archives may hold the same path.
  const shown = items.map((it, i) => ({ it, i })).filter(({ it }) => it.plan.kind !== "ignored");

  return (
    <div class="bulk-enrol">
      <div class="page-head">
        <h1>Bulk enrolment</h1>
        <Link href="/persons/new">One person</Link>
      </div>
      <p class="hint">
        Choose a zip archive, several photos or a folder. A photo in a folder goes to the person the folder is named
        after (<code>Mary Ann/photo.jpg</code>); a photo on its own, to the person its file name names, without a number
        at the end (<code>Mary_Ann_2.jpg</code> is Mary Ann). A person with that exact name gets the photo; nobody: a
        new person is made. Folders like <code>__MACOSX</code> and files like <code>.DS_Store</code> are left out.
      </p>
      <div class="bulk-inputs">
        <label class="add-photos">
          Zip archive or photos
          <input
            type="file"
            name="bulk-files"
            multiple
            accept=".zip,application/zip,image/jpeg,image/png,image/webp"
            disabled={running || reading}
            onChange={(e) => {
              void choose([...(e.currentTarget.files ?? [])]);
              e.currentTarget.value = "";
            }}
          />
        </label>
        <label class="add-photos">
          Or a folder
          <input
            type="file"
            name="bulk-folder"
            ref={(el) => el?.setAttribute("webkitdirectory", "")}
            disabled={running || reading}
            onChange={(e) => {
              void choose([...(e.currentTarget.files ?? [])]);
              e.currentTarget.value = "";
            }}
          />
        </label>
      </div>
      {reading && (
        <p class="state loading" role="status">
          Reading the files…
        </p>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      {items.length > 0 && (
        <>
          <p class="bulk-plan" data-testid="bulk-plan">
            {plural(c.photos, "photo")} of {plural(persons, "person")}
            {items.some((i) => i.plan.kind === "refused") &&
              `; ${plural(items.filter((i) => i.plan.kind === "refused").length, "file")} refused before sending`}
            {c.ignored > 0 && `; ${plural(c.ignored, "file")} left out (folders, system files)`}.
          </p>
          <div class="row">
            <button type="button" class="primary" disabled={running || toSend === 0} onClick={start}>
              {running
                ? "Enrolling…"
                : toSend === 0
                  ? "All sent: choose files to enrol more"
                  : c.done
                    ? `Enrol the remaining ${plural(toSend, "photo")}`
                    : `Enrol ${plural(toSend, "photo")}`}
            </button>
            {(running || c.done > 0) && (
              <label class="bulk-progress">
                <span>
                  {c.done} of {c.photos} done
                </span>
                <progress max={c.photos || 1} value={c.done} aria-label="Enrolment progress" />
              </label>
            )}
          </div>
          {finished && (
            <p class={`state ${c.refused ? "error" : "ok"}`} role="status" data-testid="bulk-summary">
              {plural(c.enrolled, "photo")} enrolled ({plural(c.created, "new person", "new persons")}
              {c.duplicates ? `, ${plural(c.duplicates, "possible duplicate")}` : ""}), {c.refused} refused
              {c.ignored ? `, ${c.ignored} left out` : ""}.
            </p>
          )}
          {finished && (
            <button type="button" onClick={() => download(reportCsv(items), "bulk-enrolment-report.csv")}>
              Download the report (CSV)
            </button>
          )}
          <table class="grid cards-on-phone bulk-files" aria-label="Files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Person</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ it, i }) => (
                <Row key={i} item={it} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function outcomeClass(it: BulkItem): string {
  if (it.outcome.state !== "done") return it.outcome.state;
  const r = it.outcome.result;
  return r.status === "enrolled" && r.duplicates.length ? "duplicate" : r.status;
}

function Row({ item }: { item: BulkItem }) {
  const r = item.outcome.state === "done" ? item.outcome.result : null;
  const name = item.plan.kind === "photo" ? item.plan.person : null;
  const cls = outcomeClass(item);
  return (
    <tr class={`bulk-row ${cls}`} data-file={item.path} data-outcome={r?.status === "refused" ? r.error?.code : cls}>
      <td data-label="File" class="file-name">
        {item.path}
      </td>
      <td data-label="Person">
        {r?.person ? (
          <Link href={`/persons/${r.person.id}`}>{r.person.name}</Link>
        ) : (
          (name ?? <span class="muted">none</span>)
        )}
        {r?.created && <span class="badge none"> new</span>}
      </td>
      <td data-label="Outcome" class="outcome">
        {item.outcome.state === "waiting" && "waiting"}
        {item.outcome.state === "sending" && "enrolling…"}
        {r && <Outcome r={r} />}
      </td>
    </tr>
  );
}

function Outcome({ r }: { r: BulkFileResult }) {
  if (r.status === "refused") return <span>refused: {r.error?.message}</span>;
  if (r.status !== "enrolled") return <span>{r.status}</span>;
  return (
    <span>
      enrolled (face quality {percent(r.quality)})
      {r.duplicates.map((d) => (
        <span key={d.person.id} class="duplicate-of">
          {" "}
          — possible duplicate of <Link href={`/persons/${d.person.id}`}>{d.person.name}</Link> (similarity{" "}
          {similarityValue(d.similarity)}
          {d.grade ? `, ${d.grade}` : ""})
        </span>
      ))}
    </span>
  );
}
