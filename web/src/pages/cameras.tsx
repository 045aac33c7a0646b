/**
 * Cameras: every camera and agent with its name, its latest view (the agent's snapshot), status and
 * since when, last event and event rate.
 */

import { useEffect, useState } from "preact/hooks";
import { type Agent, api, type Camera, can, type Me } from "../api.ts";
import { patchCamera, reloadCameras, stateSince, useCameras } from "../cameras.ts";
import { Empty, ErrorBox, Loading, Time } from "../components.tsx";
import { cameraLabel } from "../format.ts";

/** streaming / reconnecting / offline (and the agent's other states), from the camera's and its agent's status. */
export function cameraState(c: Camera, agents: Agent[]): { label: string; tone: "ok" | "warn" | "bad" | "idle" } {
  const agent = agents.find((a) => a.id === c.agentId);
  if (!agent || agent.online === false || agent.status?.state === "offline") return { label: "offline", tone: "bad" };
  const s = c.status?.state ?? "unknown";
  if (s === "streaming") return { label: "streaming", tone: "ok" };
  if (s === "connecting" || s === "reconnecting") return { label: s, tone: "warn" };
  if (s === "failed") return { label: "failed", tone: "bad" };
  return { label: s, tone: "idle" }; // done (a file ended), stopped, disabled
}

export function CamerasPage({ me }: { me: Me }) {
  const data = useCameras();
  // Event rates change without status messages: refresh them every 15 s.
  useEffect(() => {
    void data.reload();
    const t = setInterval(() => void data.reload(), 15_000);
    return () => clearInterval(t);
  }, []);

  if (data.error && !data.data) return <ErrorBox error={data.error} retry={() => void data.reload()} />;
  if (!data.data) return <Loading what="cameras" />;
  const { cameras, agents } = data.data;
  const operator = can(me, "operator");
  return (
    <div class="cameras">
      <h1>Cameras</h1>
      {data.error !== undefined && <ErrorBox error={data.error} retry={() => void data.reload()} />}
      {cameras.length === 0 ? (
        <Empty>
          No camera has reported yet. Cameras appear when their agent connects and sends a status or a face.
        </Empty>
      ) : (
        <table class="grid cards-on-phone">
          <thead>
            <tr>
              <th>View</th>
              <th>Camera</th>
              <th>Status</th>
              <th>Last event</th>
              <th>Events / min</th>
              <th>Events total</th>
              <th>Sensitive</th>
            </tr>
          </thead>
          <tbody>
            {cameras.map((c) => {
              const st = cameraState(c, agents);
              const since = stateSince(c.key);
              return (
                <tr key={c.key} data-camera={c.id} data-camera-key={c.key}>
                  <td data-label="View">
                    <Snapshot camera={c} />
                  </td>
                  <td data-label="Camera">
                    {operator ? <CameraName camera={c} /> : <strong class="camera-name">{cameraLabel(c)}</strong>}
                    <div class="muted small">
                      {cameraLabel(c) !== c.id && <>id {c.id} · </>}agent {c.agentId}
                    </div>
                  </td>
                  <td data-label="Status">
                    <span class={`status ${st.tone}`}>{st.label}</span>
                    {c.status?.reason && <div class="muted small">{c.status.reason}</div>}
                    {since?.at && (
                      <div
                        class="muted small since"
                        title={
                          since.observed
                            ? "When this console saw the state change"
                            : "The agent's latest report; when the state began is not known (the server keeps no history)"
                        }
                      >
                        {since.observed ? "since" : "reported"} <Time iso={since.at} />
                      </div>
                    )}
                  </td>
                  <td data-label="Last event">
                    <Time iso={c.lastEventAt} />
                  </td>
                  <td data-label="Events / min" class="num">
                    {c.eventsPerMinute ?? 0}
                  </td>
                  <td data-label="Events total" class="num">
                    {c.eventCount}
                  </td>
                  <td data-label="Sensitive">
                    {operator ? <SensitiveToggle camera={c} /> : c.sensitive ? "yes" : "no"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Agents</h2>
      {agents.length === 0 ? (
        <Empty>No agent is registered.</Empty>
      ) : (
        <table class="grid cards-on-phone">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Connection</th>
              <th>Reported state</th>
              <th>Last seen</th>
              <th>Registered</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.id} data-agent={a.id}>
                <td data-label="Agent">
                  <strong>{a.id}</strong>
                </td>
                <td data-label="Connection">
                  <span class={`status ${a.online ? "ok" : "bad"}`}>{a.online ? "connected" : "offline"}</span>
                </td>
                <td data-label="Reported state">{a.status?.state ?? "–"}</td>
                <td data-label="Last seen">
                  <Time iso={a.lastSeenAt} />
                </td>
                <td data-label="Registered">
                  <Time iso={a.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * The camera's latest snapshot (a small JPEG its agent publishes every `snapshot.everySeconds`). Its
 * URL changes with each new one (the server's `snapshotUrl` carries a version), which the stream's
 * `camera` events and the page's periodic reload bring: the picture follows by itself, and the
 * browser revalidates an unchanged one with its ETag (304).
 *
 * No `snapshotUrl`: the server keeps none (404), the agent has sent none yet or cleared it. A picture
 * that fails to load (gone between the list and the request, most often: a 404) reloads the list,
 * which then says whether there still is one; "picture unavailable" only while it claims one.
 */
function Snapshot({ camera }: { camera: Camera }) {
  const [failed, setFailed] = useState<string | null>(null);
  const url = camera.snapshotUrl;
  if (!url || failed === url)
    return (
      <div class="snapshot none" data-snapshot="none">
        <span class="muted small">{url ? "picture unavailable" : "no picture yet"}</span>
      </div>
    );
  return (
    <figure class="snapshot" data-snapshot={camera.snapshotAt ?? ""}>
      <img
        src={url}
        alt={`Latest view of camera ${cameraLabel(camera)}`}
        width={160}
        height={90}
        loading="lazy"
        onError={() => {
          setFailed(url);
          void reloadCameras();
        }}
      />
      <figcaption class="muted small">
        <Time iso={camera.snapshotAt} short />
      </figcaption>
    </figure>
  );
}

/** The camera's name, editable in place by operators (empty: back to the agent's name or the id). */
function CameraName({ camera }: { camera: Camera }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(camera.name ?? "");
  const [error, setError] = useState<unknown>();
  if (!editing)
    return (
      <span class="camera-name-edit">
        <strong class="camera-name">{cameraLabel(camera)}</strong>{" "}
        <button
          type="button"
          class="link small"
          aria-label={`Rename camera ${cameraLabel(camera)}`}
          onClick={() => {
            setName(camera.name ?? "");
            setError(undefined);
            setEditing(true);
          }}
        >
          rename
        </button>
      </span>
    );
  return (
    <form
      class="row"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          const c = await api<Camera>("PATCH", cameraPath(camera), { name: name.trim() || null });
          patchCamera(camera.key, { name: c.name });
          setEditing(false);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <label class="inline-label">
        Name of {camera.id}
        <input name="camera-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={200} />
      </label>
      <button type="submit">Save</button>
      <button type="button" class="link" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  );
}

const cameraPath = (c: Camera) => `/api/v1/cameras/${encodeURIComponent(c.agentId)}/${encodeURIComponent(c.id)}`;

/** Shows the new state at once, then saves it; on failure the old state comes back with the reason. */
function SensitiveToggle({ camera }: { camera: Camera }) {
  const [error, setError] = useState<unknown>();
  return (
    <label title="Unknown persons seen by a sensitive camera raise an alert">
      <input
        type="checkbox"
        name="sensitive"
        checked={camera.sensitive}
        onChange={async (e) => {
          const sensitive = e.currentTarget.checked;
          setError(undefined);
          patchCamera(camera.key, { sensitive });
          try {
            await api("PATCH", cameraPath(camera), { sensitive });
          } catch (err) {
            patchCamera(camera.key, { sensitive: !sensitive });
            setError(err);
          }
        }}
      />{" "}
      sensitive
      {error !== undefined && (
        <span class="inline-error">{error instanceof Error ? error.message : String(error)}</span>
      )}
    </label>
  );
}
