/**
 * Agents' MQTT logins: registering an agent (its password shown once), new credentials, removal. On
 * the embedded broker the server holds the logins (a new password or a removal disconnects the agent);
 * with an external broker the operator creates them there, and these only record the agent.
 */
import { type Logger, redactUrl } from "@argus/shared";
import type { AgentCredentials } from "../api/services.ts";
import type { Config } from "../config/config.ts";
import { conflict, notFound } from "../domain/errors.ts";
import type { EmbeddedBroker } from "../ingest/broker.ts";
import type { Store } from "../store/types.ts";
import { hashSecret, secret } from "../util/ids.ts";

export class AgentAccounts {
  constructor(
    private readonly d: { store: Store; config: Config; broker: () => EmbeddedBroker | undefined; log: Logger },
  ) {}

  /** The broker URL agents are told to use (an external one without its credentials). */
  mqttUrl = (): string => {
    const { mqtt } = this.d.config;
    if (mqtt.url) return redactUrl(mqtt.url);
    const host = mqtt.host === "0.0.0.0" || mqtt.host === "::" ? "127.0.0.1" : mqtt.host;
    return mqtt.publicUrl ?? `mqtt://${host}:${this.d.broker()?.port ?? mqtt.port}`;
  };

  register = async (id: string): Promise<AgentCredentials> => {
    const { store, config, log } = this.d;
    // One login namespace on the embedded broker: agents and integration accounts.
    if (await store.integrations.get(id))
      throw conflict("CONFLICT", `'${id}' is an integration account's login; choose another agent id`);
    const password = config.mqtt.url ? null : secret(24);
    const ok = await store.agents.insert({
      id,
      passwordHash: password ? hashSecret(password) : "-",
      createdAt: Date.now(),
      status: null,
      statusAt: null,
      lastSeenAt: null,
    });
    if (!ok)
      throw conflict(
        "CONFLICT",
        `agent '${id}' is already registered; POST /api/v1/agents/${id}/credentials issues a new password`,
      );
    log.info({ agentId: id }, "agent registered");
    return this.credentials(id, password);
  };

  rotate = async (id: string): Promise<AgentCredentials> => {
    const { store, config } = this.d;
    if (config.mqtt.url) {
      if (!(await store.agents.get(id))) throw notFound("agent", id);
      return this.credentials(id, null);
    }
    const password = secret(24);
    if (!(await store.agents.setPassword(id, hashSecret(password)))) throw notFound("agent", id);
    this.d.broker()?.disconnectAgent(id);
    return this.credentials(id, password);
  };

  remove = async (id: string): Promise<boolean> => {
    const ok = await this.d.store.agents.delete(id);
    if (ok) this.d.broker()?.disconnectAgent(id);
    return ok;
  };

  private credentials(id: string, password: string | null): AgentCredentials {
    return {
      id,
      mqtt: {
        url: this.mqttUrl(),
        username: id,
        password,
        ...(password === null
          ? { note: "an external broker is configured: create this agent's login and ACL there (see server/README.md)" }
          : {}),
      },
    };
  }
}
