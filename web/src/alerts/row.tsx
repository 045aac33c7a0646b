/** One row of alerts (a group of repeats): what, who, where, when, how similar, and its state. */
import { can, type Me } from "../api.ts";
import { useCameraName } from "../cameras.ts";
import { ActionButton, PersonLink, Time } from "../components.tsx";
import { formatTime, personLabel, plural } from "../format.ts";
import { SightingThumb, sightingWhat } from "../sighting/thumb.tsx";
import { Similarity } from "../similarity.tsx";
import type { AlertGroup } from "./group.ts";

/** "session:oscar" -> "oscar"; "token:ops robot" -> "ops robot (API token)". */
export const ackedBy = (by: string | null) =>
  !by
    ? "someone"
    : by.startsWith("session:")
      ? by.slice(8)
      : by.startsWith("token:")
        ? `${by.slice(6)} (API token)`
        : by;

export function AlertKind({ foe }: { foe: boolean }) {
  return foe ? (
    <span class="alert-kind kind-foe">
      <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false" class="icon">
        <path d="M8 1 15 14H1Z" />
        <rect x="7.2" y="5.5" width="1.6" height="4.6" class="icon-cut" />
        <rect x="7.2" y="11.2" width="1.6" height="1.6" class="icon-cut" />
      </svg>
      FOE
    </span>
  ) : (
    <span class="alert-kind kind-unknown">
      <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false" class="icon">
        <circle cx="8" cy="8" r="7" />
        <text x="8" y="12" text-anchor="middle" class="icon-cut">
          ?
        </text>
      </svg>
      Unknown at a sensitive camera
    </span>
  );
}

export function AlertRow({
  g,
  me,
  selected,
  onSelect,
  onAck,
  onMute,
  compact,
}: {
  g: AlertGroup;
  me: Me;
  selected?: boolean;
  onSelect?: (on: boolean) => void;
  /** Acknowledges the group's open alerts; rejects with the server's reason. */
  onAck: (g: AlertGroup) => Promise<unknown>;
  /** Opens the mute form for this row's camera and person. */
  onMute?: (g: AlertGroup) => void;
  compact?: boolean;
}) {
  const camera = useCameraName();
  const a = g.latest;
  const who = personLabel(a.person);
  const operator = can(me, "operator");
  const acked = g.open.length === 0;
  const muted = g.alerts.every((x) => x.muted);
  const label = `${g.foe ? "FOE" : "unknown person"} ${who} at ${camera(a.cameraId)}, ${formatTime(a.capturedAt)}`;
  return (
    <li
      class={`alert-row ${g.foe ? "alert-foe" : "alert-unknown"} ${acked ? "is-acked" : "is-open"} ${muted ? "is-muted" : ""} ${compact ? "compact" : ""}`}
      data-alert={a.id}
      data-count={g.alerts.length}
    >
      {operator && onSelect && !acked && (
        <input
          type="checkbox"
          class="select"
          aria-label={`Select alert: ${label}`}
          checked={selected}
          onChange={(e) => onSelect(e.currentTarget.checked)}
        />
      )}
      <SightingThumb
        id={a.sightingId}
        faceUrl={a.faceUrl}
        size={compact ? 48 : 56}
        what={sightingWhat(who, camera(a.cameraId), a.capturedAt)}
      />
      <div class="alert-main">
        <div class="alert-line">
          <AlertKind foe={g.foe} />
          <PersonLink person={a.person} />
          {g.alerts.length > 1 && (
            <span class="count" title={`${plural(g.alerts.length, "alert")} within a few minutes`}>
              ×{g.alerts.length}
            </span>
          )}
          {muted && (
            <span class="muted-badge" title="Raised while a mute was in force: stored, not announced">
              muted
            </span>
          )}
        </div>
        <Similarity value={a.similarity} founded={!!a.person} grade={a.grade} />
        <div class="muted small alert-where">
          <span class="cam">{camera(a.cameraId)}</span> <Time iso={a.capturedAt} short={compact} />
          {g.alerts.length > 1 && (
            <span>
              {" "}
              (first <Time iso={g.earliest.capturedAt} />)
            </span>
          )}
        </div>
      </div>
      <div class="alert-state">
        {acked ? (
          <span class="muted small ack-info">
            acknowledged by {ackedBy(a.ackedBy)} <Time iso={a.ackedAt} />
            {a.ackNote && <q class="ack-note">{a.ackNote}</q>}
          </span>
        ) : operator ? (
          <ActionButton class="ack" run={() => onAck(g)}>
            {g.open.length > 1 ? `Acknowledge ${g.open.length}` : "Acknowledge"}
          </ActionButton>
        ) : (
          <span class="status warn">open</span>
        )}
        {operator && onMute && !muted && (
          <button type="button" class="link mute-open" onClick={() => onMute(g)} aria-label={`Mute…: ${label}`}>
            Mute…
          </button>
        )}
      </div>
    </li>
  );
}
