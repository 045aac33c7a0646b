/**
 * Server settings: defaults < config file (YAML or JSON) < environment variables < command line,
 * loaded by the shared config loader. Every field is validated; a bad one is a CONFIG_INVALID error
 * naming where it came from, the field, the value and what was expected. The descriptions are the
 * documentation: `pnpm run schemas` writes them to schemas/server.schema.json and server/README.md.
 */

import { isIP } from "node:net";
import { ArgusError, DEFAULT_TOPIC_PREFIX, THRESHOLDS } from "@argus/shared";
import {
  ConfigError,
  type ConfigLayer,
  type EnvMap,
  envLayer,
  fileLayer,
  formatIssues,
  pathLayer,
  readConfigFile,
  validate,
  validateLayers,
} from "@argus/shared/config/loader";
import { z } from "zod";

/** The MQTT protocol's own limit: a remaining length of at most 268,435,455 bytes. */
const MQTT_MAX_PACKET = 268_435_460;

// Environment variables and command-line flags arrive as strings: numbers and booleans are coerced.
const int = (min: number, max?: number) => {
  const n = z.coerce.number().int().min(min);
  return max === undefined ? n : n.max(max);
};
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const bool = (dflt: boolean) =>
  z.preprocess(
    (v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v),
    z.boolean().default(dflt),
  );

export const ConfigSchema = z
  .object({
    dataDir: z.string().min(1).describe("SQLite database, crops, index snapshot, `admin-token` (the `--data` option)"),
    http: z
      .object({
        host: z.string().default("0.0.0.0").describe("REST API listen address"),
        port: int(0, 65535).default(8080).describe("REST API port"),
        trustProxy: bool(false).describe(
          "Behind a reverse proxy that is the only way in: the client address is the last X-Forwarded-For entry (sign-in throttling) and the scheme X-Forwarded-Proto; otherwise both headers are ignored",
        ),
        maxUploadBytes: int(1024)
          .default(10 * 1024 * 1024)
          .describe("Largest image upload (413 above)"),
        maxJsonBytes: int(1024)
          .default(1024 * 1024)
          .describe("Largest JSON body (413 above)"),
        maxJsonDepth: int(2, 256)
          .default(32)
          .describe("Deepest nesting of arrays and objects in a JSON body (400 `JSON_TOO_DEEP` above)"),
        maxImagePixels: int(1024)
          .default(25_000_000)
          .describe(
            "Largest image to decode, in pixels (413 above): 25 MP takes a phone's full-size photo (12 MP, or 24 MP at 5712x4284), not its 48-200 MP modes",
          ),
        maxConcurrentDecodes: int(1, 64)
          .default(2)
          .describe(
            "Uploaded photos decoded and run through the face pipeline at once (enrol, identify, search, verify)",
          ),
        maxQueuedDecodes: int(0, 1000)
          .default(4)
          .describe("Uploads waiting for a decode slot; more get 503 `BUSY` with Retry-After"),
        bulk: z
          .object({
            maxArchiveBytes: int(1024)
              .default(200 * 1024 * 1024)
              .describe(
                "Largest zip archive for bulk enrolment (`POST /enrol/bulk`; 413 above); it is held in memory while its photos are enrolled",
              ),
            maxFiles: int(1, 100_000)
              .default(1000)
              .describe(
                "Most entries (files and folders) in a bulk enrolment archive (422 `ARCHIVE_TOO_MANY_FILES` above)",
              ),
            maxUnpackedBytes: int(1024)
              .default(2 * 1024 * 1024 * 1024)
              .describe(
                "Most bytes of a bulk enrolment archive's files once unpacked, as declared (422 `ARCHIVE_TOO_LARGE` above); one file: `maxUploadBytes`, and never more than it declares (zip bombs)",
              ),
          })
          .strict()
          .prefault({})
          .describe("Bulk enrolment from a zip archive"),
      })
      .strict()
      .prefault({})
      .describe("REST API and web console"),
    mqtt: z
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
      .describe("MQTT: the embedded broker, or an external one (`url`)"),
    store: z
      .object({
        mongodbUrl: z.string().optional().describe("MongoDB instead of SQLite (`mongodb://...`)"),
        mongodbDb: z.string().optional().describe("MongoDB database name"),
      })
      .strict()
      .prefault({})
      .describe("Storage: SQLite in `dataDir` unless a MongoDB URL is set"),
    identify: z
      .object({
        threshold: num(-1, 1)
          .default(THRESHOLDS.identify)
          .describe(
            "The floor of the operating threshold: a face is linked to a person at or above max(this, the calibrated threshold for `targetFpir` at the gallery's size), capped by `maxThreshold`; set `maxThreshold` to the same value for a fixed threshold. Default `THRESHOLDS.identify` (shared/src/face/thresholds.ts)",
          ),
        targetFpir: num(1e-6, 0.5)
          .default(0.01)
          .describe(
            "Target false-positive identification rate: the chance that a stranger's face matches somebody in the gallery. The operating threshold is the lowest cosine at which the model's calibrated impostor scores (models/manifest.json) give at most this rate at the current gallery size (faces searched), between `threshold` and `maxThreshold`; matches at or below it are graded `likely` or better",
          ),
        maxThreshold: num(-1, 1)
          .default(0.6)
          .describe(
            "The ceiling of the operating threshold: a very large gallery never needs more than this to link a face (beyond it FPIR exceeds `targetFpir` and matches are graded lower)",
          ),
        grades: z
          .object({
            strongFpir: num(1e-9, 0.5)
              .default(0.001)
              .describe(
                "A match is `strong` when a stranger would score as high with at most this chance in this gallery",
              ),
            possibleFpir: num(1e-6, 1)
              .default(0.2)
              .describe(
                "... `possible` up to this chance (shown in searches; `likely` is up to `targetFpir`); beyond it a candidate has no grade",
              ),
            margin: num(0, 1)
              .default(0.05)
              .describe("A second person within this cosine of the best makes the match one grade weaker"),
          })
          .strict()
          .prefault({})
          .describe("How sure a match is (calibrated on the model's impostor scores): strong, likely, possible"),
        verifyThreshold: num(-1, 1)
          .default(THRESHOLDS.verify)
          .describe(
            "Cosine for `POST /verify`, and the candidate floor of search by photo; default `THRESHOLDS.verify`",
          ),
        matching: z
          .enum(["global", "camera"])
          .default("global")
          .describe(
            "'global': one gallery; 'camera': automatic persons are matched only at cameras that saw them (enrolled and listed persons everywhere)",
          ),
        minQualityNewPerson: num(0, 1)
          .default(0.3)
          .describe(
            'Unmatched faces below this quality are stored without a person (`unlinkedReason` low_quality): they neither found an "Unknown #N" person nor wait as candidates',
          ),
        lowQualityThreshold: num(-1, 1)
          .default(0.55)
          .describe(
            "A face below `minQualityNewPerson` is linked to a person only at this cosine or more (or the operating threshold if higher): poor faces of different people score high together (0.50 on the benchmark videos); on LFW no genuine probe is lost",
          ),
        create: z
          .object({
            minSightings: int(1, 100)
              .default(2)
              .describe(
                'An unmatched face that is not a strong track waits as a candidate (a sighting of no person, `unlinkedReason` candidate) until this many candidates from separate tracks or visits match each other; then they found one "Unknown #N" person together. 1: every good enough unmatched face founds a person at once',
              ),
            minTrackFrames: int(1)
              .default(10)
              .describe(
                "A strong track founds a person at once: at least this many analyzed frames with the face (the agent's `track.frames`) ...",
              ),
            minShots: int(1)
              .default(3)
              .describe(
                "... or at least this many shots (embeddings of the track's template, `embedding.shots`, or events of the track received) ...",
              ),
            minQuality: num(0, 1)
              .default(0.5)
              .describe("... and a best shot of at least this quality, and the agent's face check passed (or absent)"),
            minSimilarity: num(-1, 1)
              .default(0.55)
              .describe(
                "Candidates recur when their cosine is at least this (or the calibrated threshold at the candidate index's size, if higher): both are unmatched faces of unknown quality, often small and blurred (on the benchmark videos, different people's candidates scored up to 0.48, the same person's 0.72-0.83)",
              ),
            minGapSeconds: int(0)
              .default(60)
              .describe(
                "Candidates of the same track id count as separate visits when this many seconds apart (different track ids always do)",
              ),
            windowHours: int(1)
              .default(168)
              .describe(
                "Candidates are matched with each other for this long (the in-memory candidate index, rebuilt at start from the stored candidate sightings); older ones stay unidentified",
              ),
            maxCandidates: int(100, 10_000_000)
              .default(50_000)
              .describe(
                "Candidates kept in memory at most, about 3 kB each, rebuilt at start at about 0.6 ms each (the oldest go first)",
              ),
          })
          .strict()
          .prefault({})
          .describe("Cautious creation of automatic persons (see Automatic persons)"),
        enrol: z
          .object({
            minQuality: num(0, 1)
              .default(0.35)
              .describe(
                "Enrolment photos whose face has a lower quality are refused (422 `LOW_QUALITY` with the quality and this floor) unless `?force=true`; as `representatives.minQuality`, about 2% of LFW's photos",
              ),
            dominance: num(1, 100)
              .default(2)
              .describe(
                "A photo with several faces enrols the dominant one: its prominence (area x (1 - distance from the photo's center / half the diagonal)^2) at least this many times every other face's; otherwise 422 `MULTIPLE_FACES` with every face's box and quality",
              ),
          })
          .strict()
          .prefault({})
          .describe("Enrolment photos (`POST /persons/{id}/faces`)"),
        representatives: z
          .object({
            max: int(0, 64)
              .default(8)
              .describe("Learned (sighting) faces kept per person; enrolled photos are always kept"),
            nearDuplicate: num(0, 1)
              .default(0.92)
              .describe("Cosine above which a candidate adds nothing new (same pose, same light)"),
            minQuality: num(0, 1).default(0.35).describe("Faces below this quality are never representatives"),
            diversityWeight: num(0, 10)
              .default(0.5)
              .describe("How much redundancy costs against quality when choosing which face to drop"),
          })
          .strict()
          .prefault({})
          .describe("Which faces a person keeps for matching"),
        hnsw: z
          .object({
            m: int(4, 96).default(16).describe("HNSW links per node (see Benchmarks)"),
            efConstruction: int(16, 2000).default(200).describe("HNSW build-time search width"),
            efSearch: int(8, 4000).default(128).describe("HNSW query-time search width (recall against speed)"),
            initialCapacity: int(16).default(1024).describe("Faces the index has room for before it first grows"),
          })
          .strict()
          .prefault({})
          .describe("The nearest-neighbour index"),
        k: int(1, 200).default(20).describe("Neighbours fetched per search (several faces per person)"),
        snapshotIntervalSeconds: int(5)
          .default(300)
          .describe("Seconds between index snapshots when it changed (one is also written at stop)"),
        snapshotEveryChanges: int(1)
          .default(500)
          .describe(
            "Also snapshot after this many index changes: each one not in the snapshot costs catch-up time at a start after a crash",
          ),
      })
      .strict()
      .prefault({})
      .describe("Identification: faces to persons"),
    ingest: z
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
      .describe("Ingestion of the agents' face events"),
    deadLetters: z
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
      .describe("Refused MQTT messages kept for diagnosis (`GET /api/v1/dead-letters`)"),
    regulars: z
      .object({
        minDays: int(1).default(5).describe("A regular is seen on this many distinct days ..."),
        windowDays: int(1).default(7).describe("... within this many days, at the same camera"),
        timeZone: z.string().default("UTC").describe("Time zone of those calendar days (IANA name)"),
      })
      .strict()
      .prefault({})
      .describe("Automatic friends: people seen regularly at a camera"),
    alerts: z
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
        webhookMaxAttempts: int(1, 100)
          .default(8)
          .describe("Webhook delivery attempts before the delivery is `failed`"),
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
      .describe("Alerts and their webhooks"),
    integrations: z
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
      .describe(
        "MQTT topics for other systems: sightings, Home Assistant (integration accounts: `POST /integrations`)",
      ),
    retention: z
      .object({
        days: int(0)
          .default(30)
          .describe("Sightings and crops older than this many days are removed; 0 keeps them forever"),
        keepListed: bool(true).describe("Keep the history of persons on a list (friend/foe)"),
        intervalMinutes: int(1).default(60).describe("Period of the retention job"),
      })
      .strict()
      .prefault({})
      .describe("Privacy: how long sightings are kept"),
    history: z
      .object({
        enabled: bool(true).describe(
          "Index every sighting's embedding (search by photo over all history: `POST /api/v1/search/sightings`; clustering of unidentified sightings)",
        ),
        m: int(4, 96)
          .default(16)
          .describe("HNSW links per node of the history index (memory: see README, History search)"),
        efConstruction: int(16, 2000)
          .default(64)
          .describe("HNSW build-time search width of the history index (its build time: see README, History search)"),
        efSearch: int(8, 4000).default(128).describe("HNSW query-time search width of the history index"),
        snapshotEveryChanges: int(1)
          .default(5000)
          .describe(
            "Snapshot the history index after this many changes (also every `identify.snapshotIntervalSeconds` when changed, and at stop); sightings missing from it are indexed again at start",
          ),
        maxDepth: int(10, 10_000)
          .default(1000)
          .describe("Deepest result a history search pages to (offset + page size)"),
      })
      .strict()
      .prefault({})
      .describe("The history index: every sighting's face, for search by photo and clustering"),
    visits: z
      .object({
        gapSeconds: int(0, 86_400)
          .default(300)
          .describe(
            "Sightings of a person at one camera with at most this gap between them form one visit (`GET /persons/{id}/visits`)",
          ),
      })
      .strict()
      .prefault({})
      .describe("Visits: a person's sightings grouped per camera and time"),
    clustering: z
      .object({
        intervalHours: int(0, 8760)
          .default(24)
          .describe(
            "Run the duplicates job (clustering) this often, the first run this long after start; 0: only when started from the API (`POST /api/v1/jobs/cluster`)",
          ),
        personThreshold: num(-1, 1)
          .default(0.4)
          .describe("Two persons whose best faces are at least this similar are proposed as one (an operator decides)"),
        sightingThreshold: num(-1, 1)
          .default(0.4)
          .describe(
            "An unidentified sighting at least this similar to a person, or to another unidentified sighting, is proposed as linked",
          ),
        maxProposals: int(1, 100_000).default(500).describe("New proposals kept per run at most (the highest scores)"),
      })
      .strict()
      .prefault({})
      .describe("Duplicates: proposals that two persons, or sightings, are one person"),
    audit: z
      .object({
        days: int(0)
          .default(365)
          .describe(
            "Audit log entries older than this many days are removed (by the retention job); 0 keeps them forever",
          ),
      })
      .strict()
      .prefault({})
      .describe("The audit log of operator actions (`GET /api/v1/audit`)"),
    console: z
      .object({
        dir: z.string().optional().describe("The built web console served at `/`; unset: `web/dist` of this checkout"),
        sessionIdleMinutes: int(1)
          .default(720)
          .describe("A console session ends after this long without a request ..."),
        sessionMaxHours: int(1).default(168).describe("... and at the latest this long after sign-in"),
        secureCookies: z
          .enum(["auto", "always", "never"])
          .default("auto")
          .describe(
            "Secure flag of the session cookie: 'auto' when the request came over https, 'always' behind a TLS proxy",
          ),
        maxLoginFailures: int(1, 1000)
          .default(10)
          .describe(
            "Failed sign-ins per user name and client address before each further try waits (429; 1 s, doubling to 15 min); an address may fail 5x this in 15 minutes across all names",
          ),
      })
      .strict()
      .prefault({})
      .describe("The web console and its sign-in sessions"),
    stream: z
      .object({
        maxPerPrincipal: int(1, 10_000)
          .default(8)
          .describe("Open event streams per token or console user (429 `TOO_MANY_STREAMS` beyond)"),
        maxTotal: int(1, 100_000).default(256).describe("Open event streams in all (503 `BUSY` beyond)"),
        journalMaxEvents: int(100, 10_000_000)
          .default(10_000)
          .describe("Published events kept in the store for replay after a reconnect (Last-Event-ID) ..."),
        journalMaxHours: int(1, 8760)
          .default(24)
          .describe("... and for at most this many hours; a client further behind gets a `reset` event"),
      })
      .strict()
      .prefault({})
      .describe("The event stream (`GET /api/v1/stream`)"),
    log: z
      .object({ level: z.string().default("info").describe("pino log level (debug, info, warn, error, silent)") })
      .strict()
      .prefault({})
      .describe("Logging"),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config path they set. */
export const ENV_VARS: EnvMap = {
  ARGUS_DATA_DIR: "dataDir",
  ARGUS_HTTP_HOST: "http.host",
  ARGUS_HTTP_PORT: "http.port",
  ARGUS_TRUST_PROXY: "http.trustProxy",
  ARGUS_MAX_UPLOAD_BYTES: "http.maxUploadBytes",
  ARGUS_MQTT_URL: "mqtt.url",
  ARGUS_MQTT_USERNAME: "mqtt.username",
  ARGUS_MQTT_PASSWORD: "mqtt.password",
  ARGUS_MQTT_CLIENT_ID: "mqtt.clientId",
  ARGUS_MQTT_HOST: "mqtt.host",
  ARGUS_MQTT_PORT: "mqtt.port",
  ARGUS_MQTT_PUBLIC_URL: "mqtt.publicUrl",
  ARGUS_TOPIC_PREFIX: "mqtt.topicPrefix",
  ARGUS_MQTT_SIGHTINGS: "integrations.mqttSightings",
  ARGUS_HOME_ASSISTANT: "integrations.homeAssistant.enabled",
  MONGODB_URL: "store.mongodbUrl",
  ARGUS_MONGODB_DB: "store.mongodbDb",
  ARGUS_IDENTIFY_THRESHOLD: "identify.threshold",
  ARGUS_VERIFY_THRESHOLD: "identify.verifyThreshold",
  ARGUS_MATCHING: "identify.matching",
  ARGUS_REGULAR_MIN_DAYS: "regulars.minDays",
  ARGUS_REGULAR_WINDOW_DAYS: "regulars.windowDays",
  ARGUS_RETENTION_DAYS: "retention.days",
  ARGUS_LOG_LEVEL: "log.level",
  ARGUS_CLUSTER_INTERVAL_HOURS: "clustering.intervalHours",
  ARGUS_WEB_DIR: "console.dir",
  ARGUS_SECURE_COOKIES: "console.secureCookies",
};

const CONTEXT = "invalid server settings";

/** Validates settings given as one object (startServer's `config`). */
export function parseConfig(input: unknown): Config {
  const r = validate(ConfigSchema, input, "config object");
  if (!r.ok) throw new ConfigError(r.issues, CONTEXT);
  return r.value;
}

/** Merges a config file, the environment and explicit overrides (dotted paths: the command line), then validates. */
export function loadConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Config {
  const layers: ConfigLayer[] = [];
  if (opts.file) {
    const y = readConfigFile(opts.file);
    if (!y.ok && y.unreadable) throw new ArgusError("FILE_NOT_FOUND", formatIssues(y.issues));
    const f = y.ok ? fileLayer(opts.file, y.value) : y;
    if (!f.ok) throw new ConfigError(f.issues, CONTEXT);
    layers.push(f.value);
  }
  layers.push(envLayer(opts.env ?? process.env, ENV_VARS));
  layers.push(pathLayer("command line", opts.overrides ?? {}));
  const r = validateLayers(ConfigSchema, layers, { fallback: opts.file ?? "server settings" });
  if (!r.ok) throw new ConfigError(r.issues, CONTEXT);
  return r.value;
}
