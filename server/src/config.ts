/**
 * Server settings: defaults < config file (YAML or JSON) < environment variables < command line.
 * Every field is validated; a bad one is a CONFIG_INVALID error naming it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ArgusError, DEFAULT_TOPIC_PREFIX, formatZodError, THRESHOLDS } from "@argus/shared";
import YAML from "yaml";
import { z } from "zod";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const bool = z.preprocess(
  (v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v),
  z.boolean(),
);

export const ConfigSchema = z.object({
  dataDir: z.string().min(1),
  http: z
    .object({
      host: z.string().default("0.0.0.0"),
      port: int(0, 65535).default(8080),
      /** Largest image upload (413 above). */
      maxUploadBytes: int(1024).default(10 * 1024 * 1024),
      /** Largest JSON body. */
      maxJsonBytes: int(1024).default(1024 * 1024),
      /** Largest decoded image, in pixels (decompression bombs). */
      maxImagePixels: int(1024).default(40_000_000),
    })
    .prefault({}),
  mqtt: z
    .object({
      /** External broker URL (mqtt://user:pass@host:1883). Unset: the embedded broker is used. */
      url: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Persistent-session client id on an external broker. */
      clientId: z.string().default("argus-server"),
      /** Embedded broker listen address and port. */
      host: z.string().default("0.0.0.0"),
      port: int(0, 65535).default(1883),
      /** URL agents are told to use (POST /agents); default mqtt://<this host>:<port>. */
      publicUrl: z.string().optional(),
      topicPrefix: z.string().default(DEFAULT_TOPIC_PREFIX),
    })
    .prefault({}),
  store: z
    .object({
      mongodbUrl: z.string().optional(),
      mongodbDb: z.string().optional(),
    })
    .prefault({}),
  identify: z
    .object({
      /** Cosine at or above which a face is the candidate person (1:N and automatic linking). */
      threshold: num(-1, 1).default(THRESHOLDS.identify),
      /** Cosine for POST /verify and the search-by-photo candidate floor. */
      verifyThreshold: num(-1, 1).default(THRESHOLDS.verify),
      /** 'global': one gallery; 'camera': automatic persons are matched only where they were seen. */
      matching: z.enum(["global", "camera"]).default("global"),
      /** Unmatched faces below this quality are stored without founding a new person. */
      minQualityNewPerson: num(0, 1).default(0.3),
      representatives: z
        .object({
          max: int(0, 64).default(8),
          nearDuplicate: num(0, 1).default(0.92),
          minQuality: num(0, 1).default(0.35),
          diversityWeight: num(0, 10).default(0.5),
        })
        .prefault({}),
      hnsw: z
        .object({
          m: int(4, 96).default(16),
          efConstruction: int(16, 2000).default(200),
          efSearch: int(8, 4000).default(128),
          initialCapacity: int(16).default(1024),
        })
        .prefault({}),
      /** Neighbours fetched per search (several faces per person). */
      k: int(1, 200).default(20),
      /** Seconds between index snapshots when it changed. */
      snapshotIntervalSeconds: int(5).default(300),
    })
    .prefault({}),
  ingest: z
    .object({
      /** A later event of the same track within this window updates the same sighting. */
      trackWindowSeconds: int(0).default(600),
      /** Event ids are remembered this long for duplicate dropping. */
      dedupDays: int(1).default(30),
      maxBatch: int(1, 10_000).default(256),
      storeContextCrops: bool.default(true),
    })
    .prefault({}),
  regulars: z
    .object({
      /** Distinct days ... */
      minDays: int(1).default(5),
      /** ... within this many days, at the same camera. */
      windowDays: int(1).default(7),
      /** Time zone of the calendar days (IANA name). */
      timeZone: z.string().default("UTC"),
    })
    .prefault({}),
  alerts: z
    .object({
      /** Alert on an unknown person at a camera marked sensitive. */
      unknownAtSensitive: bool.default(true),
      /** No second alert of a type for the same person and camera within this many seconds. */
      cooldownSeconds: int(0).default(60),
      webhookMaxAttempts: int(1, 100).default(8),
      webhookTimeoutMs: int(100).default(5000),
      webhookBackoffMs: int(10).default(1000),
    })
    .prefault({}),
  retention: z
    .object({
      /** Sightings and crops older than this many days are removed; 0 keeps them forever. */
      days: int(0).default(30),
      /** Keep the history of persons on a list (friend/foe). */
      keepListed: bool.default(true),
      intervalMinutes: int(1).default(60),
    })
    .prefault({}),
  console: z
    .object({
      /** The built web console (web/dist); unset: the one beside this checkout. */
      dir: z.string().optional(),
      /** A session ends after this long without a request ... */
      sessionIdleMinutes: int(1).default(720),
      /** ... and at the latest this long after sign-in. */
      sessionMaxHours: int(1).default(168),
      /** Secure flag of the session cookie: 'auto' = when the request came over https; 'always' behind a TLS proxy. */
      secureCookies: z.enum(["auto", "always", "never"]).default("auto"),
      /** Failed sign-ins per user name and per client address within 15 minutes before 429. */
      maxLoginFailures: int(1, 1000).default(10),
    })
    .prefault({}),
  log: z.object({ level: z.string().default("info") }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config path they set. */
export const ENV_VARS: Record<string, string> = {
  ARGUS_DATA_DIR: "dataDir",
  ARGUS_HTTP_HOST: "http.host",
  ARGUS_HTTP_PORT: "http.port",
  ARGUS_MAX_UPLOAD_BYTES: "http.maxUploadBytes",
  ARGUS_MQTT_URL: "mqtt.url",
  ARGUS_MQTT_USERNAME: "mqtt.username",
  ARGUS_MQTT_PASSWORD: "mqtt.password",
  ARGUS_MQTT_CLIENT_ID: "mqtt.clientId",
  ARGUS_MQTT_HOST: "mqtt.host",
  ARGUS_MQTT_PORT: "mqtt.port",
  ARGUS_MQTT_PUBLIC_URL: "mqtt.publicUrl",
  ARGUS_TOPIC_PREFIX: "mqtt.topicPrefix",
  MONGODB_URL: "store.mongodbUrl",
  ARGUS_MONGODB_DB: "store.mongodbDb",
  ARGUS_IDENTIFY_THRESHOLD: "identify.threshold",
  ARGUS_VERIFY_THRESHOLD: "identify.verifyThreshold",
  ARGUS_MATCHING: "identify.matching",
  ARGUS_REGULAR_MIN_DAYS: "regulars.minDays",
  ARGUS_REGULAR_WINDOW_DAYS: "regulars.windowDays",
  ARGUS_RETENTION_DAYS: "retention.days",
  ARGUS_LOG_LEVEL: "log.level",
  ARGUS_WEB_DIR: "console.dir",
  ARGUS_SECURE_COOKIES: "console.secureCookies",
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let o = obj;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object" && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function parseConfig(input: unknown): Config {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) throw new ArgusError("CONFIG_INVALID", `invalid server settings: ${formatZodError(r.error)}`);
  return r.data;
}

/** Merges a config file, the environment and explicit overrides, then validates. */
export function loadConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Config {
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(resolve(opts.file), "utf8");
    } catch (e) {
      throw new ArgusError("FILE_NOT_FOUND", `cannot read the config file ${opts.file}: ${(e as Error).message}`);
    }
    try {
      fromFile = (YAML.parse(text) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new ArgusError(
        "CONFIG_INVALID",
        `the config file ${opts.file} is not valid YAML/JSON: ${(e as Error).message}`,
      );
    }
  }
  const fromEnv: Record<string, unknown> = {};
  const env = opts.env ?? process.env;
  for (const [name, path] of Object.entries(ENV_VARS))
    if (env[name] !== undefined && env[name] !== "") setPath(fromEnv, path, env[name]);
  const fromArgs: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(fromArgs, path, v);
  return parseConfig(deepMerge(deepMerge(fromFile, fromEnv), fromArgs));
}
