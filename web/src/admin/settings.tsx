/**
 * The server's settings (admins), read-only: the effective configuration as the server resolved it
 * from its file, environment and defaults, each section a table. Secrets never reach the browser:
 * the server replaces passwords, tokens and credentials in URLs with "[redacted]" (server/src/config/redact.ts)
 * and lists where it did.
 */
import { api, type Settings } from "../api.ts";
import { ErrorBox, Loading, Time, useLoad } from "../components.tsx";

const REDACTED = "[redacted]";

function flatten(v: unknown, path: string, out: Array<[string, unknown]>): void {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (!entries.length) out.push([path, {}]);
    for (const [k, x] of entries) flatten(x, path ? `${path}.${k}` : k, out);
  } else out.push([path, v]);
}

const show = (v: unknown) =>
  v === undefined ? "not set" : typeof v === "string" ? v : Array.isArray(v) && !v.length ? "none" : JSON.stringify(v);

export function SettingsAdmin() {
  const s = useLoad(() => api<Settings>("GET", "/api/v1/admin/settings"), []);
  if (s.error) return <ErrorBox error={s.error} retry={s.reload} />;
  if (!s.data) return <Loading what="settings" />;
  const sections = Object.entries(s.data.settings);
  return (
    <div class="admin-settings">
      <p class="muted">
        Read-only: the settings this server runs with (its configuration file, environment variables and defaults).
        Change them there and restart. Secrets are shown as <code>{REDACTED}</code>
        {s.data.redacted.length ? ` (${s.data.redacted.length} here)` : ""}.
      </p>
      <p class="small">
        Store: <strong data-testid="settings-store">{s.data.storeKind === "mongo" ? "MongoDB" : "SQLite"}</strong> ·
        running since <Time iso={s.data.startedAt} full />
      </p>
      {sections.map(([name, value]) => {
        const rows: Array<[string, unknown]> = [];
        flatten(value, "", rows);
        return (
          <section key={name} class="settings-section" aria-labelledby={`settings-${name}`}>
            <h2 id={`settings-${name}`}>{name}</h2>
            <table class="settings-table">
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(([k, v]) => (
                  <tr key={k} data-setting={k ? `${name}.${k}` : name}>
                    <th scope="row">
                      <code>{k || name}</code>
                    </th>
                    <td class={v === REDACTED ? "redacted" : undefined}>
                      <code>{show(v)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </div>
  );
}
