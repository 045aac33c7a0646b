/** Agents (admins): register one (its MQTT credentials are shown once), issue new credentials, remove. */
import { useState } from "preact/hooks";
import { type AgentCredentials, api, type ResponseOf } from "../api.ts";
import { ActionButton, Listed, Notice, Time, useLoad, useNotice } from "../components.tsx";
import { mqttLoginLines, ShownOnce } from "./secret.tsx";

export function AgentsAdmin() {
  const agents = useLoad(() => api<ResponseOf<"listAgents">>("GET", "/api/v1/agents"), []);
  const [creds, setCreds] = useState<{ title: string; c: AgentCredentials } | null>(null);
  const [id, setId] = useState("");
  const notice = useNotice();
  const show = (title: string, c: AgentCredentials) => setCreds({ title, c });

  return (
    <div class="admin-agents">
      <p class="muted">
        An agent runs the cameras of one site and publishes faces over MQTT with its own user name and password.
        Register it here, then put the credentials in its configuration.
      </p>
      <form
        class="row"
        aria-label="Register an agent"
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await notice.run(async () => {
            show(
              `Credentials of the new agent ${id.trim()}`,
              await api<AgentCredentials>("POST", "/api/v1/agents", { id: id.trim() }),
            );
          });
          if (ok) {
            setId("");
            agents.reload();
          }
        }}
      >
        <label class="inline-label">
          Agent id
          <input
            name="agent-id"
            value={id}
            onInput={(e) => setId(e.currentTarget.value)}
            required
            placeholder="site-a"
          />
        </label>
        <button type="submit">Register agent</button>
      </form>
      <Notice notice={notice.notice} />
      {creds && (
        <ShownOnce
          title={creds.title}
          lines={mqttLoginLines(creds.c.mqtt)}
          note={creds.c.mqtt.note}
          onDismiss={() => setCreds(null)}
        />
      )}
      <Listed list={agents} what="agents" empty="No agent is registered yet.">
        {(items) => (
          <table class="grid cards-on-phone">
            <thead>
              <tr>
                <th>Agent</th>
                <th>Reported state</th>
                <th>Last seen</th>
                <th>Registered</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-agent={a.id}>
                  <td data-label="Agent">
                    <strong>{a.id}</strong>
                  </td>
                  <td data-label="Reported state">{a.status?.state ?? "–"}</td>
                  <td data-label="Last seen">
                    <Time iso={a.lastSeenAt} />
                  </td>
                  <td data-label="Registered">
                    <Time iso={a.createdAt} />
                  </td>
                  <td data-label="Actions" class="row">
                    <ActionButton
                      confirm={`Issue a new password for ${a.id}? Its current connections are closed and the old password stops working.`}
                      run={async () =>
                        show(
                          `New credentials of ${a.id}`,
                          await api<AgentCredentials>("POST", `/api/v1/agents/${encodeURIComponent(a.id)}/credentials`),
                        )
                      }
                    >
                      New credentials
                    </ActionButton>
                    <ActionButton
                      class="danger"
                      confirm={`Remove the agent ${a.id}? It is disconnected and can no longer publish.`}
                      run={async () => {
                        await api("DELETE", `/api/v1/agents/${encodeURIComponent(a.id)}`);
                        notice.ok(`Removed the agent ${a.id}.`);
                        agents.reload();
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
