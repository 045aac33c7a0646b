/** Dead letters (admins): MQTT messages the server could not use (malformed events or status), kept to diagnose agents. */
import { useState } from "preact/hooks";
import { api, type DeadLetter, qs, type ResponseOf } from "../api.ts";
import { ActionButton, Empty, ErrorBox, Loading, Time, useLoad } from "../components.tsx";
import { plural } from "../format.ts";

export function DeadLettersAdmin() {
  const [older, setOlder] = useState<{ items: DeadLetter[]; next: string | null } | null>(null);
  const first = useLoad(() => {
    setOlder(null);
    return api<ResponseOf<"listDeadLetters">>("GET", "/api/v1/dead-letters?limit=50");
  }, []);
  if (first.error) return <ErrorBox error={first.error} retry={first.reload} />;
  if (!first.data) return <Loading what="dead letters" />;
  const items = [...first.data.items, ...(older?.items ?? [])];
  const next = older ? older.next : first.data.nextCursor;
  return (
    <div class="admin-dead-letters">
      <p class="muted">
        Messages received over MQTT that the server could not use: an agent of another version, a bug, or someone
        publishing by hand. They are kept, not lost.
      </p>
      <div class="row">
        <span data-testid="dead-letter-total">{plural(first.data.total, "dead letter")} in all</span>
        <button type="button" class="small" onClick={first.reload}>
          Refresh
        </button>
      </div>
      {items.length === 0 ? (
        <Empty>No dead letter: every message received was understood.</Empty>
      ) : (
        <ul class="dead-letters">
          {items.map((d) => (
            <li key={d.id} class="dead-letter" data-dead-letter={d.id}>
              <div class="row">
                <Time iso={d.receivedAt} full />
                <code class="small topic">{d.topic}</code>
                <span class="muted small">{plural(d.size, "byte")}</span>
              </div>
              <div class="inline-error dl-error">{d.error}</div>
              <details>
                <summary>Payload (start)</summary>
                <pre class="payload">{d.payloadPreview}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <ActionButton
          class="more"
          run={async () => {
            const r = await api<ResponseOf<"listDeadLetters">>(
              "GET",
              `/api/v1/dead-letters${qs({ limit: 50, cursor: next })}`,
            );
            setOlder((o) => ({ items: [...(o?.items ?? []), ...r.items], next: r.nextCursor }));
          }}
        >
          Older dead letters
        </ActionButton>
      )}
    </div>
  );
}
