/** Integration accounts: read-only MQTT logins for the alerts, sightings, status and Home Assistant topics. */
import { z } from "zod";
import { DeviceIdSchema, items } from "../common.ts";
import { IntegrationCreateSchema, IntegrationCredentialsSchema, IntegrationSchema } from "../integrations.ts";
import { created, done, json, type Operation, ok, op } from "./types.ts";

const nameParams = z.object({ name: DeviceIdSchema });

export const integrationOperations = {
  createIntegration: op({
    method: "post",
    path: "/api/v1/integrations",
    summary: "Create an integration account (a read-only MQTT login); returns its password once",
    description:
      "It may subscribe to the topics of its scopes on the embedded broker and publish nothing. With an external " +
      "broker (mqtt.url) the password is null: create the login and its ACL there (README: MQTT topics).",
    role: "admin",
    body: json(IntegrationCreateSchema),
    response: created(IntegrationCredentialsSchema),
    errors: [409],
  }),
  listIntegrations: op({
    method: "get",
    path: "/api/v1/integrations",
    summary: "Integration accounts (no secrets), with the topics each may read",
    role: "admin",
    response: ok(items(IntegrationSchema)),
  }),
  rotateIntegration: op({
    method: "post",
    path: "/api/v1/integrations/{name}/credentials",
    summary: "Issue a new MQTT password for an integration account (its connections are closed)",
    role: "admin",
    params: nameParams,
    response: ok(IntegrationCredentialsSchema),
    errors: [404],
  }),
  deleteIntegration: op({
    method: "delete",
    path: "/api/v1/integrations/{name}",
    summary: "Delete an integration account (disconnects it)",
    role: "admin",
    params: nameParams,
    response: done,
    errors: [404],
  }),
} satisfies Record<string, Operation>;
