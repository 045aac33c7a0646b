/** The audit log (admins): every operator action, who, what, when, before and after; filters and paging. */
import { useState } from "preact/hooks";
import { type AuditEntry, api, type Page, qs } from "../api.ts";
import { ActionButton, Empty, ErrorBox, Loading, Time, TimeRangeFields, useLoad } from "../components.tsx";
import { localInputToIso } from "../format.ts";

const ACTIONS = [
  "sighting.move",
  "person.create",
  "person.rename",
  "person.list",
  "person.update",
  "person.merge",
  "person.split",
  "person.delete",
  "face.enrol",
  "face.delete",
  "proposal.accept",
  "proposal.reject",
  "alert.ack",
  "mute.create",
  "mute.delete",
  "camera.update",
  "user.create",
  "user.update",
  "user.password",
  "user.delete",
  "token.create",
  "token.revoke",
];

interface Filter {
  action: string;
  actor: string;
  targetId: string;
  from: string;
  to: string;
}

const EMPTY: Filter = { action: "", actor: "", targetId: "", from: "", to: "" };

const show = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v, null, 1));

export function AuditAdmin() {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [older, setOlder] = useState<{ items: AuditEntry[]; next: string | null } | null>(null);
  const query = {
    action: filter.action,
    actor: filter.actor.trim(),
    targetId: filter.targetId.trim(),
    from: localInputToIso(filter.from),
    to: localInputToIso(filter.to),
  };
  const first = useLoad(() => {
    setOlder(null);
    return api<Page<AuditEntry>>("GET", `/api/v1/audit${qs({ ...query, limit: 50 })}`);
  }, [JSON.stringify(filter)]);
  const items = [...(first.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next : (first.data?.nextCursor ?? null);
  return (
    <div class="admin-audit">
      <p class="muted">Every change an operator or admin made: who, what, when, and the state before and after.</p>
      <form
        class="filters row"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
        }}
      >
        <label>
          Action
          <select
            name="action"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}
          >
            <option value="">all actions</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Who
          <input
            name="actor"
            value={draft.actor}
            onInput={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
          />
        </label>
        <label>
          Target id
          <input
            name="targetId"
            value={draft.targetId}
            onInput={(e) => setDraft({ ...draft, targetId: e.currentTarget.value })}
          />
        </label>
        <TimeRangeFields value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
        <button type="submit">Apply</button>
      </form>
      {first.error ? (
        <ErrorBox error={first.error} retry={first.reload} />
      ) : !first.data ? (
        <Loading what="the audit log" />
      ) : items.length === 0 ? (
        <Empty>No action matches.</Empty>
      ) : (
        <table class="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Before → after</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} class="audit-row" data-audit={e.id} data-action={e.action}>
                <td>
                  <Time iso={e.at} full />
                </td>
                <td>
                  {e.actor.name} <span class="muted small">({e.actor.kind === "session" ? "user" : e.actor.kind})</span>
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.targetType} <code class="small">{e.targetId}</code>
                </td>
                <td>
                  <details>
                    <summary>changes</summary>
                    <div class="audit-diff">
                      <pre class="payload">{show(e.before)}</pre>
                      <pre class="payload">{show(e.after)}</pre>
                    </div>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <ActionButton
          class="more"
          run={async () => {
            const r = await api<Page<AuditEntry>>("GET", `/api/v1/audit${qs({ ...query, limit: 50, cursor: next })}`);
            setOlder((o) => ({ items: [...(o?.items ?? []), ...r.items], next: r.nextCursor }));
          }}
        >
          Older entries
        </ActionButton>
      )}
    </div>
  );
}
