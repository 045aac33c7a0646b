/**
 * Integration accounts (read-only MQTT logins for Home Assistant, Node-RED, a wall display...) and
 * the JSON published on the integration topics (the root README's topic table).
 */
import { z } from "zod";
import { DeviceIdSchema, ListSchema, maybeTime, time } from "./common.ts";

/**
 * What an integration account may subscribe to: `alerts` (`<prefix>/v1/alerts`), `sightings`
 * (`<prefix>/v1/sightings`), `status` (the server's availability and the agents' and cameras'
 * status topics), `homeassistant` (the discovery configs, the entity states and the availability).
 */
export const INTEGRATION_SCOPES = ["alerts", "sightings", "status", "homeassistant"] as const;
export const IntegrationScopeSchema = z.enum(INTEGRATION_SCOPES);

export const IntegrationCreateSchema = z
  .object({
    name: DeviceIdSchema.describe(
      "The MQTT user name (unique among integrations and agents); its client id is `argus-integration-<name>`",
    ),
    description: z.string().trim().max(200).optional().describe("What uses it, for people"),
    scopes: z
      .array(IntegrationScopeSchema)
      .min(1)
      .max(INTEGRATION_SCOPES.length)
      .optional()
      .describe("Topics it may read; default all"),
  })
  .strict();

export const IntegrationSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    scopes: z.array(IntegrationScopeSchema),
    topics: z.array(z.string()).describe("The topic filters it may subscribe to (anything narrower is allowed too)"),
    clientId: z.string().describe("Its MQTT client id, or that followed by ':' and anything for a second connection"),
    createdAt: time,
    credentialsAt: time.describe("When its current password was issued"),
    lastConnectedAt: maybeTime,
    online: z.boolean().describe("Connected to the embedded broker now (always false with an external broker)"),
  })
  .meta({ id: "Integration" });

export const IntegrationCredentialsSchema = z
  .object({
    integration: IntegrationSchema,
    mqtt: z.object({
      url: z.string(),
      username: z.string(),
      password: z.string().nullable().describe("shown once; null when an external broker holds the logins"),
      clientId: z.string(),
      note: z.string().optional(),
    }),
  })
  .meta({ id: "IntegrationCredentials" });

// ------------------------------------------------------------------ Home Assistant entity states

/** `<prefix>/v1/ha/cameras/<agentId>/<cameraId>/last_person` (retained): the camera's newest sighting. */
export const HaLastPersonStateSchema = z.object({
  name: z.string().describe('The person\'s name, "Unknown #N", or "unidentified"'),
  personId: z.string().nullable(),
  list: ListSchema.nullable(),
  sightingId: z.string(),
  lastSeenAt: time.describe("When the sighting's face was last seen"),
  similarity: z.number().nullable(),
});

/** `<prefix>/v1/ha/persons/<personId>/last_seen` (retained): where a listed person was last seen. */
export const HaLastSeenStateSchema = z.object({
  camera: z.string().describe("The camera's name (or agent/camera), the sensor's state"),
  agentId: z.string(),
  cameraId: z.string(),
  sightingId: z.string(),
  lastSeenAt: time,
});
