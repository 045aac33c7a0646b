/** API tokens (admins): for programs (wall screens, integrations); create with a role (shown once), revoke. */
import { useState } from "preact/hooks";
import { api, type ResponseOf, type Role } from "../api.ts";
import { ActionButton, Listed, Notice, Time, useLoad, useNotice } from "../components.tsx";
import { ShownOnce } from "./secret.tsx";

export function TokensAdmin() {
  const tokens = useLoad(() => api<ResponseOf<"listTokens">>("GET", "/api/v1/tokens"), []);
  const [form, setForm] = useState({ name: "", role: "viewer" as Role });
  const [created, setCreated] = useState<ResponseOf<"createToken"> | null>(null);
  const notice = useNotice();
  return (
    <div class="admin-tokens">
      <p class="muted">
        Programs call the API with <code>Authorization: Bearer &lt;token&gt;</code>. A token has a role like a user.
      </p>
      <form
        class="row"
        aria-label="Create an API token"
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await notice.run(async () =>
            setCreated(
              await api<ResponseOf<"createToken">>("POST", "/api/v1/tokens", { ...form, name: form.name.trim() }),
            ),
          );
          if (ok) {
            setForm({ name: "", role: "viewer" });
            tokens.reload();
          }
        }}
      >
        <label class="inline-label">
          Token name
          <input
            name="token-name"
            value={form.name}
            onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
            required
            placeholder="wall screen"
          />
        </label>
        <label class="inline-label">
          Role
          <select
            name="token-role"
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}
          >
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
      <Notice notice={notice.notice} />
      {created && (
        <ShownOnce
          title={`Token “${created.name}” (${created.role})`}
          lines={[{ label: "Token", value: created.token }]}
          onDismiss={() => setCreated(null)}
        />
      )}
      <Listed list={tokens} what="tokens" empty="No API token yet.">
        {(items) => (
          <table class="grid cards-on-phone">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Created</th>
                <th>Last used</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td data-label="Name">
                    <strong>{t.name}</strong>
                  </td>
                  <td data-label="Role">
                    <span class={`role ${t.role}`}>{t.role}</span>
                  </td>
                  <td data-label="Created">
                    <Time iso={t.createdAt} />
                  </td>
                  <td data-label="Last used">
                    <Time iso={t.lastUsedAt} />
                  </td>
                  <td data-label="State">
                    {t.revokedAt ? (
                      <span class="muted small">
                        revoked <Time iso={t.revokedAt} />
                      </span>
                    ) : (
                      <ActionButton
                        class="danger"
                        confirm={`Revoke the token “${t.name}”? Programs using it are refused at once.`}
                        run={async () => {
                          await api("DELETE", `/api/v1/tokens/${encodeURIComponent(t.id)}`);
                          notice.ok(`Revoked “${t.name}”.`);
                          tokens.reload();
                        }}
                      >
                        Revoke
                      </ActionButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Listed>
    </div>
  );
}
