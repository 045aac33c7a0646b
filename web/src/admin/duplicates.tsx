/**
 * Duplicates: the clustering job's proposals ("these look like one person"), both sides' faces and the
 * score; Accept (merge the persons, or link the sightings) or Reject (never proposed again). "Find
 * duplicates now" starts the job and shows its progress.
 */
import { useEffect, useState } from "preact/hooks";
import { api, type Job, type Page, type Proposal } from "../api.ts";
import { ActionButton, Crop, Empty, ErrorBox, ListBadge, Loading, Time, useLoad } from "../components.tsx";
import { personLabel, plural } from "../format.ts";
import { Link } from "../router.tsx";

function Side({ s }: { s: Proposal["a"] }) {
  if (s.type === "person") {
    const p = s.person;
    if (!p) return <div class="dup-side muted">a person no longer here</div>;
    return (
      <div class="dup-side" data-side-person={p.id}>
        <Crop src={p.faceUrl} alt={p.name} size={72} />
        <div>
          <Link href={`/persons/${p.id}`}>{p.name}</Link> <ListBadge list={p.list} />
          <div class="muted small">
            {p.kind === "auto" ? "automatic" : "enrolled"} · {plural(p.sightingCount, "sighting")}
          </div>
        </div>
      </div>
    );
  }
  const x = s.sighting;
  if (!x) return <div class="dup-side muted">a sighting no longer here</div>;
  return (
    <div class="dup-side" data-side-sighting={x.id}>
      <Crop src={x.faceUrl} alt={`unidentified face at ${x.cameraId}`} size={72} />
      <div>
        <Link href={`/sightings/${x.id}`}>{x.person ? personLabel(x.person) : "unidentified sighting"}</Link>
        <div class="muted small">
          {x.agentId}/{x.cameraId} · <Time iso={x.capturedAt} full />
        </div>
      </div>
    </div>
  );
}

export function DuplicatesAdmin() {
  const list = useLoad(() => api<Page<Proposal>>("GET", "/api/v1/proposals?limit=100"), []);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>();
  const [decided, setDecided] = useState<Record<string, string>>({});
  // Follow the job while it runs; reload the proposals when it ends.
  useEffect(() => {
    if (!job || job.status === "done" || job.status === "failed") return;
    const t = setTimeout(async () => {
      try {
        const j = await api<Job>("GET", `/api/v1/jobs/${job.id}`);
        setJob(j);
        if (j.status === "done") list.reload();
      } catch (e) {
        setError(e);
      }
    }, 500);
    return () => clearTimeout(t);
  }, [job]);
  const start = async () => {
    setError(undefined);
    try {
      setJob(await api<Job>("POST", "/api/v1/jobs/cluster"));
    } catch (e) {
      setError(e);
    }
  };
  const running = job && (job.status === "queued" || job.status === "running");
  const result = job?.status === "done" ? (job.result as { proposed?: number } | null) : null;
  return (
    <div class="admin-duplicates">
      <p class="muted">
        Persons (and unidentified sightings) that look like one person, found by the clustering job (it also runs on its
        own, daily by default). Accept merges or links them; a rejected pair is never proposed again.
      </p>
      <div class="row">
        <button type="button" class="primary" onClick={start} disabled={!!running}>
          Find duplicates now
        </button>
        {job && (
          <span class="job-status" data-job-status={job.status} role="status">
            {job.status === "queued"
              ? "Waiting to start…"
              : job.status === "running"
                ? `Running: ${Math.round(job.progress * 100)}%${job.message ? ` (${job.message})` : ""}`
                : job.status === "done"
                  ? `Done: ${plural(result?.proposed ?? 0, "new proposal")}.`
                  : `Failed: ${job.error}`}
          </span>
        )}
        {running && <progress max={1} value={job.progress} aria-label="Clustering progress" />}
      </div>
      {error !== undefined && <ErrorBox error={error} />}
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="proposals" />
      ) : list.data.items.length === 0 ? (
        <Empty>No open proposal.</Empty>
      ) : (
        <ul class="dup-list">
          {list.data.items.map((p) => (
            <li key={p.id} class="dup-row" data-proposal={p.id} data-kind={p.kind}>
              <Side s={p.a} />
              <div class="dup-score">
                <span class="muted small">{p.kind === "merge_persons" ? "same person?" : "link?"}</span>
                <strong>score {p.score.toFixed(2)}</strong>
              </div>
              <Side s={p.b} />
              <div class="dup-actions">
                {decided[p.id] ? (
                  <span class="state ok small">{decided[p.id]}</span>
                ) : (
                  <>
                    <ActionButton
                      class="primary"
                      run={async () => {
                        const r = await api<{ person: { name: string } | null }>(
                          "POST",
                          `/api/v1/proposals/${p.id}/accept`,
                        );
                        setDecided((d) => ({ ...d, [p.id]: `Accepted${r.person ? `: now ${r.person.name}` : ""}` }));
                      }}
                    >
                      Accept
                    </ActionButton>
                    <ActionButton
                      run={async () => {
                        await api("POST", `/api/v1/proposals/${p.id}/reject`);
                        setDecided((d) => ({ ...d, [p.id]: "Rejected" }));
                      }}
                    >
                      Reject
                    </ActionButton>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
