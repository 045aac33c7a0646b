/** Server settings: alerts and integrations (webhooks, MQTT for other systems, Home Assistant); composed into one schema in ../config.ts. */
import { isIP } from "node:net";
import { z } from "zod";
import { bool, int } from "../fields.ts";

export const alertsSettings = z
  .object({
    unknownAtSensitive: bool(true).describe(
      "Alert on an unknown person at a camera marked sensitive (`PATCH /cameras/{id}`)",
    ),
    foeMinGrade: z
      .enum(["possible", "likely", "strong"])
      .default("likely")
      .describe(
        "A foe alert needs a match of at least this grade (a weaker sighting of a foe is stored with its grade, without an alert)",
      ),
    cooldownSeconds: int(0)
      .default(60)
      .describe("No second alert of a type for the same person and camera within this many seconds"),
    webhookMaxAttempts: int(1, 100).default(8).describe("Webhook delivery attempts before the delivery is `failed`"),
    webhookTimeoutMs: int(100).default(5000).describe("Timeout of one webhook request"),
    webhookBackoffMs: int(10).default(1000).describe("First retry delay of a webhook; doubles on each attempt"),
    webhookAllowHosts: z
      .array(
        z
          .string()
          .min(1)
          .refine((v) => {
            const [addr, bits, ...rest] = v.replace(/^\[|\]$/g, "").split("/");
            if (bits === undefined) return true; // a host name or an address
            const max = isIP(addr) === 6 ? 128 : isIP(addr) === 4 ? 32 : -1;
            return !rest.length && /^\d{1,3}$/.test(bits) && Number(bits) <= max;
          }, "a host name, an IP address or a CIDR block such as 10.1.2.0/24"),
      )
      .default([])
      .describe(
        "Internal webhook targets allowed (loopback, private, link-local and other non-public addresses are refused otherwise): host names, IP addresses or CIDR blocks such as `10.1.2.0/24`",
      ),
  })
  .strict()
  .prefault({})
  .describe("Alerts and their webhooks");

export const integrationsSettings = z
  .object({
    mqttSightings: bool(true).describe(
      "Publish every sighting on `<prefix>/v1/sightings` (the event stream's JSON: crop URLs, never the crops)",
    ),
    homeAssistant: z
      .object({
        enabled: bool(false).describe(
          "Home Assistant MQTT discovery: per camera a 'last person seen' sensor and a 'foe present' binary sensor, per listed person a 'last seen at camera' sensor",
        ),
        discoveryPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "topic levels of letters, digits, '_', '.', '-'")
          .default("homeassistant")
          .describe("Home Assistant's discovery prefix (its MQTT integration's setting)"),
        nodeId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_', '-'")
          .default("argus")
          .describe(
            "Discovery node id and unique-id prefix: give each server its own when several share one Home Assistant",
          ),
        foeWindowSeconds: int(1, 86_400)
          .default(60)
          .describe("'Foe present' is on for this long after a foe was last seen at the camera, then off"),
        maxPersons: int(0, 10_000)
          .default(200)
          .describe("Listed persons with a 'last seen at camera' sensor, the most recently seen first (0: none)"),
      })
      .strict()
      .prefault({})
      .describe("Home Assistant MQTT discovery (on the embedded or the external broker)"),
  })
  .strict()
  .prefault({})
  .describe("MQTT topics for other systems: sightings, Home Assistant (integration accounts: `POST /integrations`)");
