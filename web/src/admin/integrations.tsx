/**
 * Integration accounts (admins): read-only MQTT logins for Home Assistant, Node-RED, a wall display.
 * Create one with its scopes (the password is shown once), see who is connected, issue a new
 * password (its connections are closed), remove.
 */
import type { IntegrationCredentials, IntegrationScope } from "@argus/shared/api/index";
import { useState } from "preact/hooks";
import { api, type ResponseOf } from "../api.ts";
import { ActionButton, Listed, Notice, Time, useLoad, useNotice } from "../components.tsx";
import { mqttLoginLines, ShownOnce } from "./secret.tsx";

const SCOPES: Array<{ value: IntegrationScope; label: string }> = [
  { value: "alerts", label: "Alerts" },
  { value: "sightings", label: "Sightings" },
  { value: "status", label: "Status" },
  { value: "homeassistant", label: "Home Assistant" },
];

export function IntegrationsAdmin() {
  const list = useLoad(() => api<ResponseOf<"listIntegrations">>("GET", "/api/v1/integrations"), []);
  const [form, setForm] = useState({ name: "", description: "", scopes: SCOPES.map((s) => s.value) });
  const [creds, setCreds] = useState<{ title: string; c: IntegrationCredentials } | null>(null);
  const notice = useNotice();
  const show = (title: string, c: IntegrationCredentials) => setCreds({ title, c });
  const scopes = (v: IntegrationScope[]) => SCOPES.filter((s) => v.includes(s.value)).map((s) => s.label);

  return (
    <div class="admin-integrations">
      <p class="muted">
        An integration account is a read-only login to the server's MQTT broker: it may subscribe to the topics of its
        scopes (alerts, sightings, the server's and the cameras' status, Home Assistant's discovery) and publish
        nothing. Home Assistant: in its MQTT integration, enter the broker, the user name and the password, and the
        client id shown here (advanced options); discovery finds the cameras and the listed persons by itself.
      </p>
      <form
        class="row"
        aria-label="Create an integration account"
        onSubmit={async (e) => {
          e.preventDefault();
          const name = form.name.trim();
          const ok = await notice.run(async () => {
            show(
              `Login of the new integration ${name}`,
              await api<IntegrationCredentials>("POST", "/api/v1/integrations", {
                name,
                scopes: form.scopes,
                ...(form.description.trim() ? { description: form.description.trim() } : {}),
              }),
            );
          });
          if (ok) {
            setForm({ name: "", description: "", scopes: SCOPES.map((s) => s.value) });
            list.reload();
          }
        }}
      >
        <label class="inline-label">
          Name (MQTT user)
          <input
            name="integration-name"
            value={form.name}
            onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
            required
            pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
            maxLength={64}
            placeholder="homeassistant"
          />
        </label>
        <label class="inline-label grow">
          Description
          <input
            name="integration-description"
            value={form.description}
            onInput={(e) => setForm({ ...form, description: e.currentTarget.value })}
            maxLength={200}
            placeholder="Home Assistant in the hall"
          />
        </label>
        <fieldset class="inline-fieldset">
          <legend>May read</legend>
          {SCOPES.map((s) => (
            <label key={s.value}>
              <input
                type="checkbox"
                name={`integration-${s.value}`}
                checked={form.scopes.includes(s.value)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setForm((f) => ({
                    ...f,
                    scopes: on
                      ? SCOPES.map((x) => x.value).filter((v) => v === s.value || f.scopes.includes(v))
                      : f.scopes.filter((v) => v !== s.value),
                  }));
                }}
              />{" "}
              {s.label}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={form.scopes.length === 0}>
          Create account
        </button>
      </form>
      <Notice notice={notice.notice} />
      {creds && (
        <ShownOnce
          title={creds.title}
          lines={mqttLoginLines(creds.c.mqtt)}
          note={
            creds.c.mqtt.note ??
            `Topics it may subscribe to: ${creds.c.integration.topics.join(", ")}. Other client ids are refused.`
          }
          onDismiss={() => setCreds(null)}
        />
      )}
      <Listed list={list} what="integration accounts" empty="No integration account yet.">
        {(items) => (
          <table class="grid cards-on-phone">
            <thead>
              <tr>
                <th>Name</th>
                <th>May read</th>
                <th>Connection</th>
                <th>Password issued</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.name} data-integration={i.name}>
                  <td data-label="Name">
                    <strong>{i.name}</strong>
                    {i.description && <div class="muted small">{i.description}</div>}
                    <div class="muted small">
                      client id <code>{i.clientId}</code>
                    </div>
                  </td>
                  <td data-label="May read" title={i.topics.join("\n")}>
                    {scopes(i.scopes).join(", ")}
                  </td>
                  <td data-label="Connection">
                    {i.online ? (
                      <span class="status ok">connected</span>
                    ) : (
                      <span class="muted">
                        last <Time iso={i.lastConnectedAt} />
                      </span>
                    )}
                  </td>
                  <td data-label="Password issued">
                    <Time iso={i.credentialsAt} />
                  </td>
                  <td data-label="Actions" class="row">
                    <ActionButton
                      confirm={`Issue a new password for ${i.name}? Its connections are closed and the old password stops working.`}
                      run={async () =>
                        show(
                          `New password of ${i.name}`,
                          await api<IntegrationCredentials>(
                            "POST",
                            `/api/v1/integrations/${encodeURIComponent(i.name)}/credentials`,
                          ),
                        )
                      }
                    >
                      New password
                    </ActionButton>
                    <ActionButton
                      class="danger"
                      confirm={`Remove the integration account ${i.name}? It is disconnected and can no longer log in.`}
                      run={async () => {
                        await api("DELETE", `/api/v1/integrations/${encodeURIComponent(i.name)}`);
                        notice.ok(`Removed the integration account ${i.name}.`);
                        list.reload();
                      }}
                    >
                      Remove
                    </ActionButton>
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
