/** Alerts: the history with filters (type, state, camera), paging and acknowledgement. */
import { useState } from "preact/hooks";
import { type Alert, api, can, type Me, type Page, qs, type ResponseOf } from "../api.ts";
import {
  ActionButton,
  Crop,
  Empty,
  ErrorBox,
  Loading,
  PersonLink,
  Time,
  useLoad,
  useThrottled,
} from "../components.tsx";
import { percent } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { useStream } from "../stream.ts";

/** "session:oscar" -> "oscar"; "token:ops robot" -> "ops robot (API token)". */
const ackedBy = (by: string | null) =>
  !by
    ? "someone"
    : by.startsWith("session:")
      ? by.slice(8)
      : by.startsWith("token:")
        ? `${by.slice(6)} (API token)`
        : by;

export function AlertsPage({ me }: { me: Me }) {
  const loc = useLocation();
  const type = loc.query.get("type") ?? "";
  const acked = loc.query.get("acked") ?? "";
  const cameraId = loc.query.get("camera") ?? "";
  const filter = { type, acked, cameraId };
  const cameras = useLoad(() => api<ResponseOf<"listCameras">>("GET", "/api/v1/cameras"), []);
  const [older, setOlder] = useState<{ items: Alert[]; next: string | null } | null>(null);
  const page = useLoad(() => {
    setOlder(null);
    return api<Page<Alert>>("GET", `/api/v1/alerts${qs({ ...filter, limit: 50 })}`);
  }, [type, acked, cameraId]);
  const refresh = useThrottled(page.reload, 1000);
  useStream("alert", refresh);
  useStream("alert-ack", (a) => {
    page.update((d) => ({ ...d, items: d.items.map((x) => (x.id === a.id ? { ...x, ...a } : x)) }));
    setOlder((o) => o && { ...o, items: o.items.map((x) => (x.id === a.id ? { ...x, ...a } : x)) });
  });

  const set = (k: string, v: string) => {
    const q = new URLSearchParams(loc.query);
    if (v) q.set(k, v);
    else q.delete(k);
    navigate(`/alerts${q.toString() ? `?${q}` : ""}`, true);
  };
  const items = [...(page.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next : (page.data?.nextCursor ?? null);

  return (
    <div class="alerts">
      <h1>Alerts</h1>
      <div class="filters row">
        <label>
          Type
          <select name="type" value={type} onChange={(e) => set("type", e.currentTarget.value)}>
            <option value="">all</option>
            <option value="foe">foe</option>
            <option value="unknown_at_sensitive_camera">unknown at a sensitive camera</option>
          </select>
        </label>
        <label>
          State
          <select name="acked" value={acked} onChange={(e) => set("acked", e.currentTarget.value)}>
            <option value="">all</option>
            <option value="false">open</option>
            <option value="true">acknowledged</option>
          </select>
        </label>
        <label>
          Camera
          <select name="camera" value={cameraId} onChange={(e) => set("camera", e.currentTarget.value)}>
            <option value="">all cameras</option>
            {cameras.data?.cameras.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name ?? c.id}
              </option>
            ))}
          </select>
        </label>
      </div>
      {page.error ? (
        <ErrorBox error={page.error} retry={page.reload} />
      ) : !page.data ? (
        <Loading what="alerts" />
      ) : items.length === 0 ? (
        <Empty>{type || acked || cameraId ? "No alert matches these filters." : "No alert has been raised yet."}</Empty>
      ) : (
        <>
          <table class="grid">
            <thead>
              <tr>
                <th />
                <th>Alert</th>
                <th>Person</th>
                <th>Camera</th>
                <th>Seen</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} class={a.type === "foe" && !a.ackedAt ? "row-foe" : undefined} data-alert={a.id}>
                  <td>
                    <Crop src={a.faceUrl} alt="alert face" size={48} />
                  </td>
                  <td>
                    <span class={`badge ${a.type === "foe" ? "foe" : "unknown"}`}>
                      {a.type === "foe" ? "foe" : "unknown at sensitive camera"}
                    </span>
                  </td>
                  <td>
                    <PersonLink person={a.person} />
                    {a.similarity !== null && <span class="muted small"> {percent(a.similarity)}</span>}
                  </td>
                  <td>{a.cameraId}</td>
                  <td>
                    <Time iso={a.capturedAt} full />
                  </td>
                  <td>
                    {a.ackedAt ? (
                      <span class="muted small">
                        acknowledged by {ackedBy(a.ackedBy)} <Time iso={a.ackedAt} />
                      </span>
                    ) : can(me, "operator") ? (
                      <ActionButton
                        class="ack"
                        run={async () => {
                          const r = await api<Alert>("POST", `/api/v1/alerts/${a.id}/ack`);
                          page.update((d) => ({
                            ...d,
                            items: d.items.map((x) => (x.id === a.id ? { ...x, ...r, person: x.person } : x)),
                          }));
                        }}
                      >
                        Acknowledge
                      </ActionButton>
                    ) : (
                      <span class="status warn">open</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {next && (
            <ActionButton
              class="more"
              run={async () => {
                const r = await api<Page<Alert>>("GET", `/api/v1/alerts${qs({ ...filter, limit: 50, cursor: next })}`);
                setOlder((o) => ({ items: [...(o?.items ?? []), ...r.items], next: r.nextCursor }));
              }}
            >
              Load older alerts
            </ActionButton>
          )}
        </>
      )}
    </div>
  );
}
