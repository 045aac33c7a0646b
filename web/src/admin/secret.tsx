/** A secret the server shows once (agent credentials, an API token, a webhook secret), with copy buttons. */
import { useState } from "preact/hooks";

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<"" | "copied" | "failed">("");
  return (
    <>
      <button
        type="button"
        class="small"
        aria-label={`Copy ${what}`}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setState("copied");
          } catch {
            setState("failed");
          }
        }}
      >
        Copy
      </button>
      <span class="muted small" role="status">
        {state === "copied" ? "copied" : state === "failed" ? "select the text and copy it by hand" : ""}
      </span>
    </>
  );
}

/** Lines of label and value, each copyable; the panel stays until dismissed. */
export function ShownOnce({
  title,
  lines,
  note,
  onDismiss,
}: {
  title: string;
  lines: Array<{ label: string; value: string }>;
  note?: string;
  onDismiss: () => void;
}) {
  return (
    <section class="shown-once" aria-labelledby="shown-once-title" data-testid="shown-once">
      <h2 id="shown-once-title">{title}</h2>
      <p class="warn-text">Shown once: copy it now. The server keeps only a hash and cannot show it again.</p>
      <dl>
        {lines.map((l) => (
          <div key={l.label} class="secret-line">
            <dt>{l.label}</dt>
            <dd>
              <code data-secret={l.label}>{l.value}</code> <CopyButton text={l.value} what={l.label} />
            </dd>
          </div>
        ))}
      </dl>
      {note && <p class="muted small">{note}</p>}
      <button type="button" onClick={onDismiss}>
        I have saved it
      </button>
    </section>
  );
}

/** The lines of an MQTT login shown once (an agent's or an integration account's). */
export function mqttLoginLines(m: { url: string; username: string; password?: string | null; clientId?: string }) {
  return [
    { label: "MQTT URL", value: m.url },
    { label: "User name", value: m.username },
    ...(m.password ? [{ label: "Password", value: m.password }] : []),
    ...(m.clientId ? [{ label: "Client id", value: m.clientId }] : []),
  ];
}
