/**
 * Alerts: open foe alerts first, then the history, each ordered by the time it shows; repeats of one
 * person at one camera grouped; filters (type, state, camera), paging, and acknowledging one row or
 * a selection at once with an optional note. Alerts raised while muted are collapsed at the end;
 * the mutes themselves are listed, made and ended here (alerts/mutes.tsx).
 */
import { useState } from "preact/hooks";
import { ACK_NOTE_MAX, ackAlerts } from "../alerts/ack.ts";
import { type AlertGroup, groupAlerts, orderGroups } from "../alerts/group.ts";
import { type MuteDraft, MutesPanel } from "../alerts/mutes.tsx";
import { AlertRow } from "../alerts/row.tsx";
import { FoeAlertToggles } from "../alerts/settings.tsx";
import { type Alert, api, can, type Me, type Page, qs } from "../api.ts";
import { useCameras } from "../cameras.ts";
import { ActionButton, Empty, ErrorBox, Loading, useLoad, useThrottled } from "../components.tsx";
import { cameraLabel, plural } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { useStream } from "../stream.ts";

export function AlertsPage({ me }: { me: Me }) {
  const loc = useLocation();
  const type = loc.query.get("type") ?? "";
  const acked = loc.query.get("acked") ?? "";
  const cameraId = loc.query.get("camera") ?? "";
  const filter = { type, acked, cameraId };
  const cameras = useCameras();
  const [older, setOlder] = useState<{ items: Alert[]; next: string | null } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkError, setBulkError] = useState<unknown>();
  const [note, setNote] = useState("");
  const [muteDraft, setMuteDraft] = useState<MuteDraft | null>(null);
  const page = useLoad(() => {
    setOlder(null);
    return api<Page<Alert>>("GET", `/api/v1/alerts${qs({ ...filter, limit: 50 })}`);
  }, [type, acked, cameraId]);
  const refresh = useThrottled(page.reload, 1000);
  useStream("alert", refresh);
  const patch = (changed: Array<Pick<Alert, "id" | "ackedAt" | "ackedBy"> & { ackNote?: string | null }>) => {
    const by = new Map(changed.map((a) => [a.id, a]));
    const f = (x: Alert) => {
      const c = by.get(x.id);
      return c ? { ...x, ackedAt: c.ackedAt, ackedBy: c.ackedBy, ackNote: c.ackNote ?? x.ackNote } : x;
    };
    page.update((d) => ({ ...d, items: d.items.map(f) }));
    setOlder((o) => o && { ...o, items: o.items.map(f) });
  };
  useStream("alert-ack", (a) => patch([a]));

  const set = (k: string, v: string) => {
    const q = new URLSearchParams(loc.query);
    if (v) q.set(k, v);
    else q.delete(k);
    setSelected(new Set());
    navigate(`/alerts${q.toString() ? `?${q}` : ""}`, true);
  };
  const items = [...(page.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next : (page.data?.nextCursor ?? null);
  // Muted alerts are grouped apart and shown collapsed at the end.
  const groups = orderGroups(groupAlerts(items.filter((a) => !a.muted)));
  const mutedGroups = orderGroups(groupAlerts(items.filter((a) => a.muted)));
  const urgent = groups.filter((g) => g.foe && g.open.length > 0);
  const rest = groups.filter((g) => !urgent.includes(g));
  const openGroups = [...groups, ...mutedGroups].filter((g) => g.open.length > 0);
  const chosen = openGroups.filter((g) => selected.has(g.key));
  const operator = can(me, "operator");

  const ack = async (gs: AlertGroup[], withNote = "") => {
    setBulkError(undefined);
    patch(
      await ackAlerts(
        gs.flatMap((g) => g.open.map((a) => a.id)),
        withNote,
        me,
      ),
    );
    setSelected(new Set());
    if (withNote) setNote("");
  };
  const row = (g: AlertGroup) => (
    <AlertRow
      key={g.key}
      g={g}
      me={me}
      selected={selected.has(g.key)}
      onSelect={(on) =>
        setSelected((s) => {
          const n = new Set(s);
          if (on) n.add(g.key);
          else n.delete(g.key);
          return n;
        })
      }
      onAck={(x) => ack([x])}
      onMute={(x) => {
        setMuteDraft({
          camera: `${x.latest.agentId}/${x.latest.cameraId}`,
          personId: x.latest.personId ?? undefined,
          personName: x.latest.person?.name,
        });
        requestAnimationFrame(() => document.getElementById("mutes-heading")?.scrollIntoView({ block: "start" }));
      }}
    />
  );

  return (
    <div class="alerts">
      <h1>Alerts</h1>
      <FoeAlertToggles />
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
              <option key={c.key} value={c.key}>
                {cameraLabel(c)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {operator && openGroups.length > 0 && (
        <div class="bulk row">
          <label>
            <input
              type="checkbox"
              name="select-all"
              checked={chosen.length === openGroups.length}
              onChange={(e) => setSelected(e.currentTarget.checked ? new Set(openGroups.map((g) => g.key)) : new Set())}
            />{" "}
            select all open ({openGroups.length})
          </label>
          <label class="ack-note-field inline-label">
            Note
            <input
              name="ack-note"
              maxLength={ACK_NOTE_MAX}
              value={note}
              placeholder="optional: why, e.g. cleaners on the night shift"
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          </label>
          <ActionButton class="ack" disabled={chosen.length === 0} run={() => ack(chosen, note).catch(setBulkError)}>
            Acknowledge selected{chosen.length ? ` (${chosen.length})` : ""}
          </ActionButton>
        </div>
      )}
      {bulkError !== undefined && <ErrorBox error={bulkError} />}
      {page.error ? (
        <ErrorBox error={page.error} retry={page.reload} />
      ) : !page.data ? (
        <Loading what="alerts" />
      ) : items.length === 0 ? (
        <Empty>{type || acked || cameraId ? "No alert matches these filters." : "No alert has been raised yet."}</Empty>
      ) : (
        <>
          {urgent.length > 0 && (
            <section aria-label="Open foe alerts">
              <h2 class="foe-heading">Open foe alerts ({urgent.reduce((n, g) => n + g.open.length, 0)})</h2>
              <ul class="alert-rows">{urgent.map(row)}</ul>
            </section>
          )}
          {rest.length > 0 && (
            <section aria-label="Alert history">
              {urgent.length > 0 && <h2>Other alerts</h2>}
              <ul class="alert-rows">{rest.map(row)}</ul>
            </section>
          )}
          {mutedGroups.length > 0 && (
            <details class="muted-alerts">
              <summary>
                Muted alerts ({mutedGroups.reduce((n, g) => n + g.alerts.length, 0)}): stored, not announced
              </summary>
              <ul class="alert-rows">{mutedGroups.map(row)}</ul>
            </details>
          )}
          <p class="muted small">
            {plural(items.length, "alert")} in {plural(groups.length + mutedGroups.length, "row")}: repeats of one
            person at one camera within 5 minutes share a row.
          </p>
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
      <MutesPanel me={me} draft={muteDraft} onChanged={page.reload} />
    </div>
  );
}
