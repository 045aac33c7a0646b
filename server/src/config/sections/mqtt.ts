/** Server settings: MQTT (embedded or external broker), ingestion of face events and their dead letters; composed into one schema in ../config.ts. */
import { DEFAULT_TOPIC_PREFIX } from "@argus/shared";
import { z } from "zod";
import { bool, int, MQTT_MAX_PACKET } from "../fields.ts";

export const mqttSettings = z
  .object({
    url: z
      .string()
      .optional()
      .describe("External broker URL (`mqtt://user:pass@host:1883`); unset: the embedded broker is used"),
    username: z.string().optional().describe("The server's login on the external broker"),
    password: z.string().optional().describe("The server's password on the external broker"),
    clientId: z
      .string()
      .default("argus-server")
      .describe("Persistent-session client id on the external broker (keep it stable)"),
    host: z.string().default("0.0.0.0").describe("Embedded broker listen address"),
    port: int(0, 65535).default(1883).describe("Embedded broker port"),
    publicUrl: z
      .string()
      .optional()
      .describe(
        "URL agents are told to use by `POST /agents`; default `mqtt://<this host>:<port>` (set it when agents run on other machines)",
      ),
    topicPrefix: z.string().default(DEFAULT_TOPIC_PREFIX).describe("First level of every MQTT topic"),
    maxPacketBytes: int(16 * 1024, MQTT_MAX_PACKET)
      .default(2 * 1024 * 1024)
      .describe(
        "Largest MQTT packet: the embedded broker drops a connection announcing more; larger payloads via `mqtt.url` are dead letters",
      ),
    receiveWindow: int(1, 65_535)
      .default(256)
      .describe(
        "External broker: most messages received and not yet acknowledged (each PUBACK waits for its commit, so a batch is at most this); beyond it the server reads no more until commits catch up and the broker queues the rest",
      ),
    receiveWindowBytes: int(1024 * 1024)
      .default(64 * 1024 * 1024)
      .describe("External broker: the same in payload bytes (one message over it is still read)"),
  })
  .strict()
  .prefault({})
  .describe("MQTT: the embedded broker, or an external one (`url`)");

export const ingestSettings = z
  .object({
    trackWindowSeconds: int(0)
      .default(600)
      .describe("A later event of the same track within this window updates the same sighting"),
    dedupDays: int(1).default(30).describe("Event ids are remembered this long for duplicate dropping"),
    maxBatch: int(1, 10_000).default(256).describe("Most queued events ingested together in one batch"),
    storeContextCrops: bool(true).describe("Keep the context crop of each sighting (not only the face)"),
    maxClockAheadSeconds: int(0)
      .default(600)
      .describe(
        "An event's `capturedAt` may be this far ahead of the server clock; beyond it the receive time is stored and the sighting is flagged `clockSkewed`",
      ),
    maxEventAgeDays: int(1)
      .default(90)
      .describe(
        "... and this far behind it (an agent's spool replays old events after an outage); beyond it, the same",
      ),
  })
  .strict()
  .prefault({})
  .describe("Ingestion of the agents' face events");

export const deadLettersSettings = z
  .object({
    payloadBytes: int(0, 1024 * 1024)
      .default(4096)
      .describe("Bytes of a refused message's payload kept with its dead letter (enough to diagnose it)"),
    perAgentPerMinute: int(1)
      .default(60)
      .describe(
        "Dead letters stored per agent per minute; beyond it they are counted (`argus_dead_letters_dropped_total`) and logged once a minute, not stored",
      ),
    burst: int(1).default(30).describe("... after a burst of this many"),
    maxCount: int(1).default(10_000).describe("Dead letters kept at most; the oldest go first"),
    maxBytes: int(64 * 1024)
      .default(64 * 1024 * 1024)
      .describe("Bytes of dead letters (payload prefixes, errors, topics) kept at most; the oldest go first"),
    retentionDays: int(1)
      .default(7)
      .describe("Dead letters older than this many days are removed (never kept longer than `retention.days`)"),
  })
  .strict()
  .prefault({})
  .describe("Refused MQTT messages kept for diagnosis (`GET /api/v1/dead-letters`)");
