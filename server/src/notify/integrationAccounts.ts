/**
 * Integration accounts (POST /integrations): read-only MQTT logins of the embedded broker for Home
 * Assistant, Node-RED, a wall display. Each may subscribe to its scopes' topics (ingest/acl.ts) and
 * publish nothing; its client id is `argus-integration-<name>`. Names are unique across integration
 * accounts and agents (one login namespace). Only the SHA-256 of the password is stored; it is shown
 * once, at creation and at each rotation, which closes the account's connections. With an external
 * broker the account is only listed: the login and its ACL live in that broker (README: MQTT topics).
 */
import type { IntegrationCredentials, Integration as IntegrationWire } from "@argus/shared/api/index";
import { INTEGRATION_SCOPES } from "@argus/shared/api/index";
import { conflict, notFound } from "../domain/errors.ts";
import type { Integration, IntegrationScope } from "../domain/types.ts";
import { INTEGRATION_CLIENT_PREFIX } from "../ingest/acl.ts";
import type { Store } from "../store/types.ts";
import { hashSecret, secret } from "../util/ids.ts";

/** What the accounts need of the embedded broker (absent with an external one). */
export interface IntegrationBroker {
  isIntegrationOnline(name: string): boolean;
  disconnectIntegration(name: string): void;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export class IntegrationAccounts {
  constructor(
    private readonly o: {
      store: Store;
      /** The URL clients connect to (the embedded broker's, or the external one's, redacted). */
      mqttUrl: () => string;
      /** An external broker holds the logins: no password is issued. */
      external: boolean;
      broker: () => IntegrationBroker | undefined;
      /** The topic filters of scopes (the broker's ACL). */
      filters: (scopes: readonly IntegrationScope[]) => string[];
      log: { info(o: object, msg: string): void };
    },
  ) {}

  view(i: Integration): IntegrationWire {
    return {
      name: i.id,
      description: i.description,
      scopes: i.scopes,
      topics: this.o.filters(i.scopes),
      clientId: INTEGRATION_CLIENT_PREFIX + i.id,
      createdAt: new Date(i.createdAt).toISOString(),
      credentialsAt: new Date(i.credentialsAt).toISOString(),
      lastConnectedAt: iso(i.lastConnectedAt),
      online: this.o.broker()?.isIntegrationOnline(i.id) ?? false,
    };
  }

  private credentials(i: Integration, password: string | null): IntegrationCredentials {
    return {
      integration: this.view(i),
      mqtt: {
        url: this.o.mqttUrl(),
        username: i.id,
        password,
        clientId: INTEGRATION_CLIENT_PREFIX + i.id,
        ...(password === null
          ? {
              note: "an external broker is configured: create this login and its read-only ACL there (README: MQTT topics)",
            }
          : {}),
      },
    };
  }

  async create(body: { name: string; description?: string; scopes?: IntegrationScope[] }) {
    const { store } = this.o;
    if (await store.agents.get(body.name))
      throw conflict("CONFLICT", `'${body.name}' is an agent's login; choose another name for the integration`);
    const now = Date.now();
    const password = this.o.external ? null : secret(24);
    const i: Integration = {
      id: body.name,
      description: body.description || null,
      scopes: INTEGRATION_SCOPES.filter((s) => (body.scopes ?? INTEGRATION_SCOPES).includes(s)),
      passwordHash: password ? hashSecret(password) : "-",
      createdAt: now,
      credentialsAt: now,
      lastConnectedAt: null,
    };
    if (!(await store.integrations.insert(i)))
      throw conflict(
        "CONFLICT",
        `integration '${i.id}' exists; POST /api/v1/integrations/${i.id}/credentials issues a new password`,
      );
    this.o.log.info({ integration: i.id, scopes: i.scopes }, "integration account created");
    return this.credentials(i, password);
  }

  async list(): Promise<IntegrationWire[]> {
    return (await this.o.store.integrations.list()).map((i) => this.view(i));
  }

  async rotate(name: string): Promise<IntegrationCredentials> {
    const { store } = this.o;
    if (this.o.external) {
      const i = await store.integrations.get(name);
      if (!i) throw notFound("integration", name);
      return this.credentials(i, null);
    }
    const password = secret(24);
    if (!(await store.integrations.setPassword(name, hashSecret(password), Date.now())))
      throw notFound("integration", name);
    this.o.broker()?.disconnectIntegration(name);
    this.o.log.info({ integration: name }, "integration account: new password issued");
    const i = await store.integrations.get(name);
    if (!i) throw notFound("integration", name);
    return this.credentials(i, password);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.o.store.integrations.delete(name))) throw notFound("integration", name);
    this.o.broker()?.disconnectIntegration(name);
    this.o.log.info({ integration: name }, "integration account deleted");
  }
}
