/** Live: the newest sightings and open alerts, updated from the event stream as they are committed. */
import { useState } from "preact/hooks";
import { type Alert, api, can, type Me, type Page, type Sighting } from "../api.ts";
import { ActionButton, Crop, Empty, ErrorBox, Loading, PersonLink, Time, useLoad } from "../components.tsx";
import { percent } from "../format.ts";
import { useStream } from "../stream.ts";

const KEEP = 100;

export function LivePage({ me }: { me: Me }) {
  const sightings = useLoad(() => api<Page<Sighting>>("GET", "/api/v1/sightings?limit=40"), []);
  const alerts = useLoad(() => api<Page<Alert>>("GET", "/api/v1/alerts?acked=false&limit=50"), []);
  const [fresh, setFresh] = useState<Set<string>>(new Set());

  // A later shot of a track updates its sighting in place; a new one goes on top.
  useStream("sighting", (s) => {
    sightings.update((d) => ({ ...d, items: [s, ...d.items.filter((x) => x.id !== s.id)].slice(0, KEEP) }));
    setFresh((f) => new Set(f).add(s.id));
  });
  useStream("alert", (a) =>
    alerts.update((d) => (d.items.some((x) => x.id === a.id) ? d : { ...d, items: [a, ...d.items] })),
  );
  const dropAlert = (id: string) => alerts.update((d) => ({ ...d, items: d.items.filter((x) => x.id !== id) }));
  useStream("alert-ack", (a) => dropAlert(a.id));

  return (
    <div class="live-page">
      <section class="alerts-panel" aria-label="Open alerts">
        <h2>Open alerts</h2>
        {alerts.error ? (
          <ErrorBox error={alerts.error} retry={alerts.reload} />
        ) : !alerts.data ? (
          <Loading what="alerts" />
        ) : alerts.data.items.length === 0 ? (
          <Empty>No open alerts. Foe sightings and unknown persons at sensitive cameras appear here.</Empty>
        ) : (
          <ul class="alert-list">
            {alerts.data.items.map((a) => (
              <AlertCard key={a.id} alert={a} me={me} onAcked={() => dropAlert(a.id)} />
            ))}
          </ul>
        )}
      </section>
      <section class="sightings-panel" aria-label="Latest sightings">
        <h2>Latest sightings</h2>
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

function SightingCard({ s, fresh }: { s: Sighting & { isNew?: boolean }; fresh: boolean }) {
  return (
    <li class={`sighting ${s.verdict === "foe" ? "is-foe" : ""} ${fresh ? "fresh" : ""}`} data-sighting={s.id}>
      <Crop src={s.faceUrl} alt={`face seen at ${s.cameraId}`} size={96} />
      <div class="meta">
        <div class="who">
          <PersonLink person={s.person} />
          {s.verdict === "foe" && <span class="badge foe">foe</span>}
          {s.verdict === "friend" && <span class="badge friend">friend</span>}
          {s.verdict === "regular" && <span class="badge regular">regular</span>}
        </div>
        <div class="muted">
          {s.cameraId} · <Time iso={s.capturedAt} />
        </div>
        <div class="muted small">
          {s.similarity !== null ? `match ${percent(s.similarity)}` : s.isNew ? "new person" : ""}
          {s.shots > 1 ? ` · ${s.shots} shots` : ""}
        </div>
      </div>
    </li>
  );
}

export function AlertCard({ alert: a, me, onAcked }: { alert: Alert; me: Me; onAcked: () => void }) {
  const foe = a.type === "foe";
  return (
    <li class={`alert ${foe ? "alert-foe" : "alert-unknown"}`} data-alert={a.id}>
      <Crop src={a.faceUrl} alt="alert face" size={64} />
      <div class="meta">
        <strong>{foe ? "FOE" : "Unknown person at a sensitive camera"}</strong>
        <div>
          <PersonLink person={a.person} />{" "}
          {a.similarity !== null && <span class="muted">({percent(a.similarity)})</span>}
        </div>
        <div class="muted">
          {a.cameraId} · <Time iso={a.capturedAt} />
        </div>
      </div>
      {can(me, "operator") && (
        <ActionButton
          class="ack"
          run={async () => {
            await api("POST", `/api/v1/alerts/${a.id}/ack`);
            onAcked();
          }}
        >
          Acknowledge
        </ActionButton>
      )}
    </li>
  );
}
