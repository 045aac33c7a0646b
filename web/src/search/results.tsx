/** The persons a searched face may be, with their similarity and recent sightings (search by photo, detail view). */
import type { SearchResult } from "../api.ts";
import { useCameraName } from "../cameras.ts";
import { Empty, ListBadge, PersonLink, Time } from "../components.tsx";
import { personLabel, similarityValue } from "../format.ts";
import { SightingThumb, sightingWhat } from "../sighting/thumb.tsx";
import { Similarity } from "../similarity.tsx";

type Candidate = SearchResult["faces"][number]["candidates"][number];

export function ThresholdNote({ threshold }: { threshold: number }) {
  return (
    <p class="muted small">
      A match is at or above the identification threshold (similarity {similarityValue(threshold)}); below it, a
      possible match.
    </p>
  );
}

export function Candidates({ candidates }: { candidates: Candidate[] }) {
  const camera = useCameraName();
  if (candidates.length === 0) return <Empty>No enrolled or previously seen person looks like this face.</Empty>;
  return (
    <ol class="candidates">
      {candidates.map((c) => (
        <li key={c.person.id} class={c.match ? "match" : "maybe"} data-person={c.person.id}>
          <div class="cand-head">
            <PersonLink person={c.person} /> <ListBadge list={c.person.list} />
            <span class={`verdict-word ${c.match ? "is-match" : "is-maybe"}`}>{c.match ? "match" : "possible"}</span>
            <Similarity value={c.similarity} grade={c.grade} />
          </div>
          {c.sightings?.length ? (
            <div class="thumbs">
              {c.sightings.map((s) => (
                <span key={s.id} class="thumb">
                  <SightingThumb
                    s={s}
                    faceUrl={s.faceUrl}
                    size={48}
                    what={sightingWhat(personLabel(c.person), camera(s.cameraId), s.capturedAt)}
                  />
                  <span class="muted small">
                    {camera(s.cameraId)}
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
  );
}
