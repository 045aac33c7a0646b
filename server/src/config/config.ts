import { ArgusError } from "@argus/shared";
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
import { alertsSettings, integrationsSettings } from "./sections/alerts.ts";
import { consoleSettings, httpSettings, streamSettings } from "./sections/api.ts";
import { auditSettings, logSettings, retentionSettings, storeSettings } from "./sections/data.ts";
import {
  clusteringSettings,
  historySettings,
  identifySettings,
  regularsSettings,
  visitsSettings,
} from "./sections/identities.ts";
import { deadLettersSettings, ingestSettings, mqttSettings } from "./sections/mqtt.ts";

export const ConfigSchema = z
  .object({
    dataDir: z.string().min(1).describe("SQLite database, crops, index snapshot, `admin-token` (the `--data` option)"),
    http: httpSettings,
    mqtt: mqttSettings,
    store: storeSettings,
    identify: identifySettings,
    ingest: ingestSettings,
    deadLetters: deadLettersSettings,
    regulars: regularsSettings,
    alerts: alertsSettings,
    integrations: integrationsSettings,
    retention: retentionSettings,
    history: historySettings,
    visits: visitsSettings,
    clustering: clusteringSettings,
    audit: auditSettings,
    console: consoleSettings,
    stream: streamSettings,
    log: logSettings,
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
