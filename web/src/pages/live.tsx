/**
 * Live: the newest sightings and open alerts, updated from the event stream as they are committed.
 * On a phone the open alerts are a strip above the sightings that scrolls sideways instead of
 * pushing the sightings off the screen.
 */
import { useState } from "preact/hooks";
import { ackAlerts } from "../alerts/ack.ts";
import { groupAlerts, orderGroups } from "../alerts/group.ts";
import { AlertRow } from "../alerts/row.tsx";
import { type Alert, api, type Me, type Page, type Sighting } from "../api.ts";
import { useCameraName } from "../cameras.ts";
import { Empty, ErrorBox, Loading, PersonLink, Time, useLoad } from "../components.tsx";
import { personLabel, plural } from "../format.ts";
import { Link } from "../router.tsx";
import { SightingThumb, sightingWhat } from "../sighting/thumb.tsx";
import { Similarity } from "../similarity.tsx";
import { useStream } from "../stream.ts";

const KEEP = 100;
const newestFirst = (a: Sighting, b: Sighting) =>
  new Date(b.capturedAt).getTime() - new Date(a.capturedAt).getTime() || b.id.localeCompare(a.id);

export function LivePage({ me }: { me: Me }) {
  const sightings = useLoad(() => api<Page<Sighting>>("GET", "/api/v1/sightings?limit=40"), []);
  const alerts = useLoad(() => api<Page<Alert>>("GET", "/api/v1/alerts?acked=false&muted=false&limit=50"), []);
  const [fresh, setFresh] = useState<Set<string>>(new Set());

  // A later shot of a track updates its sighting in place; a new one takes its place by capture time
  // (an agent's spooled events arrive late and belong further down).
  useStream("sighting", (s) => {
    sightings.update((d) => ({
      ...d,
      items: [s, ...d.items.filter((x) => x.id !== s.id)].sort(newestFirst).slice(0, KEEP),
    }));
    setFresh((f) => new Set(f).add(s.id));
  });
  // Muted alerts stay on the Alerts page (collapsed); Live shows what needs attention.
  useStream("alert", (a) =>
    alerts.update((d) => (a.muted || d.items.some((x) => x.id === a.id) ? d : { ...d, items: [a, ...d.items] })),
  );
  const dropAlerts = (ids: string[]) =>
    alerts.update((d) => ({ ...d, items: d.items.filter((x) => !ids.includes(x.id)) }));
  useStream("alert-ack", (a) => dropAlerts([a.id]));
  const groups = orderGroups(groupAlerts(alerts.data?.items ?? []));
  const openCount = alerts.data?.items.length ?? 0;

  return (
    <div class="live-page">
      <h1 class="sr-only">Live</h1>
      <section class="alerts-panel" aria-labelledby="live-alerts">
        <h2 id="live-alerts">
          Open alerts{openCount ? ` (${openCount})` : ""} <Link href="/alerts?acked=false">all</Link>
        </h2>
        {alerts.error ? (
          <ErrorBox error={alerts.error} retry={alerts.reload} />
        ) : !alerts.data ? (
          <Loading what="alerts" />
        ) : groups.length === 0 ? (
          <Empty>No open alerts. Foe sightings and unknown persons at sensitive cameras appear here.</Empty>
        ) : (
          <ul class="alert-rows alert-strip">
            {groups.map((g) => (
              <AlertRow
                key={g.key}
                g={g}
                me={me}
                compact
                onAck={async (x) =>
                  dropAlerts(
                    (
                      await ackAlerts(
                        x.open.map((a) => a.id),
                        "",
                        me,
                      )
                    ).map((a) => a.id),
                  )
                }
              />
            ))}
          </ul>
        )}
      </section>
      <section class="sightings-panel" aria-labelledby="live-sightings">
        <h2 id="live-sightings">Latest sightings</h2>
        {sightings.error ? (
          <ErrorBox error={sightings.error} retry={sightings.reload} />
        ) : !sightings.data ? (
          <Loading what="sightings" />
        ) : sightings.data.items.length === 0 ? (
          <Empty>No sightings yet. They appear here live as soon as a camera sees a face.</Empty>
        ) : (
          <ul class="sighting-grid">
            {sightings.data.items.map((s) => (
              <SightingCard key={s.id} s={s} fresh={fresh.has(s.id)} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function SightingCard({ s, fresh }: { s: Sighting; fresh?: boolean }) {
  const camera = useCameraName();
  return (
    <li class={`sighting ${s.verdict === "foe" ? "is-foe" : ""} ${fresh ? "fresh" : ""}`} data-sighting={s.id}>
      <SightingThumb
        s={s}
        faceUrl={s.faceUrl}
        size={88}
        what={sightingWhat(personLabel(s.person), camera(s.cameraId), s.capturedAt)}
      />
      <div class="meta">
        <div class="who">
          <PersonLink person={s.person} />
          {s.verdict === "foe" && <span class="badge foe">foe</span>}
          {s.verdict === "friend" && <span class="badge friend">friend</span>}
          {s.verdict === "regular" && <span class="badge regular">regular</span>}
        </div>
        <div class="where muted">
          <span class="cam" title={s.cameraId}>
            {camera(s.cameraId)}
          </span>
          <Time iso={s.capturedAt} short />
        </div>
        <Similarity value={s.similarity} founded={!!s.person} grade={s.grade} />
        {s.shots > 1 && <div class="muted small">{plural(s.shots, "shot")}</div>}
      </div>
    </li>
  );
}
