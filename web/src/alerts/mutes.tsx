/**
 * Mutes: an operator silences a camera (under maintenance, a crowd at a sensitive door) or a person
 * for a while. Their alerts are still stored and listed, collapsed under "Muted alerts", but not
 * announced (no sound, notification, webhook or MQTT message). Foe alerts are muted only when the
 * mute says so (a camera under maintenance).
 */
import { useState } from "preact/hooks";
import { api, can, type Me, type Mute } from "../api.ts";
import { useCameraName, useCameras } from "../cameras.ts";
import { ActionButton, ErrorBox, Time, useLoad } from "../components.tsx";
import { cameraLabel } from "../format.ts";

export const DURATIONS: Array<[minutes: number, label: string]> = [
  [15, "15 minutes"],
  [60, "1 hour"],
  [240, "4 hours"],
  [480, "8 hours"],
  [1440, "24 hours"],
];

/** What the form starts from (a row's "Mute…"). */
export type MuteDraft = { camera?: string; personId?: string; personName?: string };

export function MutesPanel({ me, draft, onChanged }: { me: Me; draft: MuteDraft | null; onChanged?: () => void }) {
  const mutes = useLoad(() => api<{ items: Mute[] }>("GET", "/api/v1/mutes"), []);
  const cameras = useCameras();
  const cameraName = useCameraName();
  const operator = can(me, "operator");
  const active = mutes.data?.items ?? [];
  return (
    <section class="mutes panel" aria-labelledby="mutes-heading">
      <h2 id="mutes-heading">Mutes{active.length ? ` (${active.length})` : ""}</h2>
      {mutes.error ? <ErrorBox error={mutes.error} retry={mutes.reload} /> : null}
      {active.length === 0 ? (
        <p class="muted small">No camera or person is muted.</p>
      ) : (
        <ul class="mute-list">
          {active.map((m) => (
            <li key={m.id} data-mute={m.id}>
              <strong>{m.camera ? cameraName(m.camera) : `person ${m.personId}`}</strong>{" "}
              <span class="muted small">
                until <Time iso={m.until} />
                {m.includeFoe ? ", foe alerts too" : ", foe alerts still announced"}
                {m.reason ? ` — ${m.reason}` : ""} (by {m.createdBy.replace(/^(session|token):/, "")})
              </span>{" "}
              {operator && (
                <ActionButton
                  class="link"
                  run={async () => {
                    await api("DELETE", `/api/v1/mutes/${encodeURIComponent(m.id)}`);
                    mutes.reload();
                    onChanged?.();
                  }}
                >
                  Unmute {m.camera ? cameraName(m.camera) : "person"}
                </ActionButton>
              )}
            </li>
          ))}
        </ul>
      )}
      {operator && (
        <MuteForm
          key={JSON.stringify(draft)}
          draft={draft}
          cameras={(cameras.data?.cameras ?? []).map((c) => ({ key: c.key, label: cameraLabel(c) }))}
          onDone={() => {
            mutes.reload();
            onChanged?.();
          }}
        />
      )}
    </section>
  );
}

function MuteForm({
  draft,
  cameras,
  onDone,
}: {
  draft: MuteDraft | null;
  cameras: Array<{ key: string; label: string }>;
  onDone: () => void;
}) {
  const [target, setTarget] = useState<"camera" | "person">(draft?.personId && !draft.camera ? "person" : "camera");
  const [camera, setCamera] = useState(draft?.camera ?? "");
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState("");
  const [includeFoe, setIncludeFoe] = useState(false);
  const person = draft?.personId;
  const submit = async () => {
    const body =
      target === "person" && person
        ? { personId: person, minutes, reason: reason || undefined, includeFoe }
        : { camera, minutes, reason: reason || undefined, includeFoe };
    await api("POST", "/api/v1/mutes", body);
    setReason("");
    onDone();
  };
  return (
    <form class="mute-form filters row" aria-label="New mute" onSubmit={(e) => e.preventDefault()}>
      {person && (
        <label>
          Mute
          <select
            name="target"
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value as "camera" | "person")}
          >
            <option value="camera">the camera</option>
            <option value="person">{draft?.personName ?? "the person"} (every camera)</option>
          </select>
        </label>
      )}
      {target === "camera" && (
        <label>
          Camera
          <select name="mute-camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            <option value="">choose a camera</option>
            {cameras.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        For
        <select name="minutes" value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
          {DURATIONS.map(([m, label]) => (
            <option key={m} value={m}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason
        <input
          name="reason"
          maxLength={200}
          value={reason}
          placeholder="optional"
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <label class="check mute-foe">
        <input
          type="checkbox"
          name="include-foe"
          checked={includeFoe}
          onChange={(e) => setIncludeFoe(e.currentTarget.checked)}
        />{" "}
        foe alerts too (camera under maintenance)
      </label>
      <ActionButton class="mute-create" disabled={target === "camera" && !camera} run={submit}>
        Mute
      </ActionButton>
    </form>
  );
}
