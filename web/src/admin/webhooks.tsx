/** Webhooks (admins): alert deliveries to other systems; add (the signing secret shown once), remove, delivery log. */
import { useState } from "preact/hooks";
import { api, type Delivery, type Page, qs, type ResponseOf, type Webhook } from "../api.ts";
import { ActionButton, Empty, ErrorBox, Loading, Notice, Time, useLoad, useNotice } from "../components.tsx";
import { ShownOnce } from "./secret.tsx";

const TYPES = [
  { value: "foe", label: "foe" },
  { value: "unknown_at_sensitive_camera", label: "unknown at a sensitive camera" },
] as const;

export function WebhooksAdmin() {
  const hooks = useLoad(() => api<ResponseOf<"listWebhooks">>("GET", "/api/v1/webhooks"), []);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [created, setCreated] = useState<ResponseOf<"createWebhook"> | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const notice = useNotice();
  return (
    <div class="admin-webhooks">
      <p class="muted">
        The server POSTs each alert to these URLs, signed with HMAC-SHA256 (header <code>X-Argus-Signature</code>), and
        retries failed deliveries with backoff.
      </p>
      <form
        class="row"
        aria-label="Add a webhook"
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await notice.run(async () =>
            setCreated(await api<ResponseOf<"createWebhook">>("POST", "/api/v1/webhooks", { url: url.trim(), events })),
          );
          if (ok) {
            setUrl("");
            setEvents([]);
            hooks.reload();
          }
        }}
      >
        <label class="inline-label grow">
          URL
          <input
            name="webhook-url"
            type="url"
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            required
            placeholder="https://example.org/argus"
          />
        </label>
        <fieldset class="inline-fieldset">
          <legend>Alerts (none ticked: all)</legend>
          {TYPES.map((t) => (
            <label key={t.value}>
              <input
                type="checkbox"
                name={`webhook-${t.value}`}
                checked={events.includes(t.value)}
                onChange={(e) =>
                  setEvents((x) => (e.currentTarget.checked ? [...x, t.value] : x.filter((v) => v !== t.value)))
                }
              />{" "}
              {t.label}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add webhook</button>
      </form>
      <Notice notice={notice.notice} />
      {created && (
        <ShownOnce
          title={`Signing secret of ${created.url}`}
          lines={[{ label: "Secret", value: created.secret }]}
          note="The receiver checks each body with it: HMAC-SHA256(secret, t + '.' + body) = v1 of X-Argus-Signature."
          onDismiss={() => setCreated(null)}
        />
      )}
      {hooks.error ? (
        <ErrorBox error={hooks.error} retry={hooks.reload} />
      ) : !hooks.data ? (
        <Loading what="webhooks" />
      ) : hooks.data.items.length === 0 ? (
        <Empty>No webhook yet.</Empty>
      ) : (
        <ul class="webhook-list">
          {hooks.data.items.map((w) => (
            <li key={w.id} class="webhook" data-webhook={w.url}>
              <div class="row">
                <strong class="url">{w.url}</strong>
                <span class="muted small">
                  {w.events.length ? w.events.join(", ") : "all alerts"} · {w.enabled ? "enabled" : "disabled"} · added{" "}
                  <Time iso={w.createdAt} />
                </span>
              </div>
              <div class="row">
                <button
                  type="button"
                  aria-expanded={open === w.id}
                  onClick={() => setOpen(open === w.id ? null : w.id)}
                >
                  {open === w.id ? "Hide deliveries" : "Deliveries"}
                </button>
                <ActionButton
                  class="danger"
                  confirm={`Remove the webhook ${w.url}? Pending deliveries to it are dropped.`}
                  run={async () => {
                    await api("DELETE", `/api/v1/webhooks/${encodeURIComponent(w.id)}`);
                    notice.ok(`Removed ${w.url}.`);
                    hooks.reload();
                  }}
                >
                  Remove
                </ActionButton>
              </div>
              {open === w.id && <Deliveries hook={w} />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Deliveries({ hook }: { hook: Webhook }) {
  const [older, setOlder] = useState<{ items: Delivery[]; next: string | null } | null>(null);
  const first = useLoad(() => {
    setOlder(null);
    return api<Page<Delivery>>("GET", `/api/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries?limit=25`);
  }, [hook.id]);
  if (first.error) return <ErrorBox error={first.error} retry={first.reload} />;
  if (!first.data) return <Loading what="deliveries" />;
  const items = [...first.data.items, ...(older?.items ?? [])];
  const next = older ? older.next : first.data.nextCursor;
  if (items.length === 0) return <Empty>Nothing delivered yet: deliveries appear when an alert is raised.</Empty>;
  return (
    <div class="deliveries">
      <div class="row">
        <button type="button" class="small" onClick={first.reload}>
          Refresh
        </button>
      </div>
      <table class="grid cards-on-phone" aria-label={`Deliveries to ${hook.url}`}>
        <thead>
          <tr>
            <th>Status</th>
            <th>Attempts</th>
            <th>Alert</th>
            <th>Last change</th>
            <th>Next attempt / error</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-delivery={d.status}>
              <td data-label="Status">
                <span class={`status ${d.status === "delivered" ? "ok" : d.status === "failed" ? "bad" : "warn"}`}>
                  {d.status}
                </span>
              </td>
              <td data-label="Attempts" class="num">
                {d.attempts}
              </td>
              <td data-label="Alert">
                <code class="small">{d.alertId.slice(0, 8)}</code>
              </td>
              <td data-label="Last change">
                <Time iso={d.updatedAt} />
              </td>
              <td data-label="Next / error">
                {d.lastError && <span class="inline-error">{d.lastError}</span>}
                {d.status === "pending" && (
                  <span class="muted small">
                    {" "}
                    next <Time iso={d.nextAttemptAt} />
                  </span>
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
            const r = await api<Page<Delivery>>(
              "GET",
              `/api/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries${qs({ limit: 25, cursor: next })}`,
            );
            setOlder((o) => ({ items: [...(o?.items ?? []), ...r.items], next: r.nextCursor }));
          }}
        >
          Older deliveries
        </ActionButton>
      )}
    </div>
  );
}
