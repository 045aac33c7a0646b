/** Cameras: every camera and agent with its status, last event time and event rate. */

import { useEffect, useState } from "preact/hooks";
import { type Agent, api, type Camera, can, type Me, type ResponseOf } from "../api.ts";
import { Empty, ErrorBox, Loading, Time, useLoad, useThrottled } from "../components.tsx";
import { useStream } from "../stream.ts";

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
  const data = useLoad(() => api<ResponseOf<"listCameras">>("GET", "/api/v1/cameras"), []);
  const refresh = useThrottled(data.reload, 1000);
  useStream("camera", refresh);
  useStream("agent", refresh);
  // Event rates change without status messages: refresh them every 15 s.
  useEffect(() => {
    const t = setInterval(data.reload, 15_000);
    return () => clearInterval(t);
  }, [data.reload]);

  if (data.error) return <ErrorBox error={data.error} retry={data.reload} />;
  if (!data.data) return <Loading what="cameras" />;
  const { cameras, agents } = data.data;
  return (
    <div class="cameras">
      <h1>Cameras</h1>
      {cameras.length === 0 ? (
        <Empty>
          No camera has reported yet. Cameras appear when their agent connects and sends a status or a face.
        </Empty>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>Camera</th>
              <th>Agent</th>
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
              return (
                <tr key={c.id} data-camera={c.id}>
                  <td>
                    <strong>{c.name ?? c.id}</strong>
                    {c.name && <div class="muted small">{c.id}</div>}
                  </td>
                  <td>{c.agentId ?? "–"}</td>
                  <td>
                    <span class={`status ${st.tone}`}>{st.label}</span>
                    {c.status?.reason && <div class="muted small">{c.status.reason}</div>}
                    {c.statusAt && (
                      <div class="muted small">
                        since <Time iso={c.statusAt} />
                      </div>
                    )}
                  </td>
                  <td>
                    <Time iso={c.lastEventAt} />
                  </td>
                  <td class="num">{c.eventsPerMinute ?? 0}</td>
                  <td class="num">{c.eventCount}</td>
                  <td>
                    {can(me, "operator") ? (
                      <SensitiveToggle
                        camera={c}
                        onChange={(sensitive) =>
                          data.update((d) => ({
                            ...d,
                            cameras: d.cameras.map((x) => (x.id === c.id ? { ...x, sensitive } : x)),
                          }))
                        }
                      />
                    ) : c.sensitive ? (
                      "yes"
                    ) : (
                      "no"
                    )}
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
        <table class="grid">
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
                <td>
                  <strong>{a.id}</strong>
                </td>
                <td>
                  <span class={`status ${a.online ? "ok" : "bad"}`}>{a.online ? "connected" : "offline"}</span>
                </td>
                <td>{a.status?.state ?? "–"}</td>
                <td>
                  <Time iso={a.lastSeenAt} />
                </td>
                <td>
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

/** Shows the new state at once, then saves it; on failure the old state comes back with the reason. */
function SensitiveToggle({ camera, onChange }: { camera: Camera; onChange: (sensitive: boolean) => void }) {
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
          onChange(sensitive);
          try {
            await api(
              "PATCH",
              `/api/v1/cameras/${encodeURIComponent(camera.agentId)}/${encodeURIComponent(camera.id)}`,
              {
                sensitive,
              },
            );
          } catch (err) {
            onChange(!sensitive);
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
