/**
 * The agent's config files through the shared loader: `agent.yaml` (file < environment) and one
 * camera file per camera (agent.yaml's cameraDefaults < the camera file). Never throws on bad
 * content: problems come back as ConfigIssues.
 */
import {
  type ConfigIssue,
  type ConfigLayer,
  type EnvMap,
  envLayer,
  fileLayer,
  isPlainObject,
  type Parsed,
  parseYaml,
  readConfigFile,
  validate,
  validateLayers,
} from "./loader.ts";
import { type AgentConfig, AgentSchema, type CameraConfig, CameraSchema, CameraSettingsSchema } from "./schema.ts";

/** Environment overrides of agent.yaml, so secrets need not live in files. */
export const AGENT_ENV_VARS: EnvMap = {
  ARGUS_AGENT_ID: "id",
  ARGUS_BROKER_URL: "broker.url",
  ARGUS_BROKER_USERNAME: "broker.username",
  ARGUS_BROKER_PASSWORD: "broker.password",
  /** `pnpm start` plays the sample videos in a loop. */
  ARGUS_LOOP_FILES: "cameraDefaults.loop",
};

/**
 * Parses agent.yaml text (or `undefined` when the file does not exist: all defaults), applies the
 * environment overrides, and checks the camera defaults.
 */
export function parseAgentConfig(
  text: string | undefined,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Parsed<AgentConfig> {
  let raw: unknown;
  if (text !== undefined) {
    const y = parseYaml(text, file);
    if (!y.ok) return y;
    raw = y.value;
  }
  return agentConfigFrom(raw, file, env);
}

/** Reads and parses agent.yaml; a missing file means all defaults. */
export function loadAgentConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Parsed<AgentConfig> {
  const y = readConfigFile(path, { optional: true });
  if (!y.ok) return y;
  return agentConfigFrom(y.value, path, env);
}

function agentConfigFrom(raw: unknown, file: string, env: NodeJS.ProcessEnv): Parsed<AgentConfig> {
  const f = fileLayer(file, raw, "expected a mapping of agent settings (id, broker, ...)");
  if (!f.ok) return f;
  const fromFile = { ...f.value, values: { ...f.value.values } };
  const fromEnv = envLayer(env, AGENT_ENV_VARS);
  // Credentials from the environment complete a broker; only a URL (here or in the file) makes one.
  // `broker:` left empty (its keys commented out) means no broker.
  if (fromFile.values.broker === null) delete fromFile.values.broker;
  const envBroker = fromEnv.values.broker as Record<string, unknown> | undefined;
  if (fromFile.values.broker === undefined && !envBroker?.url) delete fromEnv.values.broker;
  const layers: ConfigLayer[] = [fromFile, fromEnv];
  const r = validateLayers(AgentSchema, layers, { fallback: file });
  if (!r.ok) return r;
  const issues: ConfigIssue[] = [];
  const b = r.value.broker;
  // Secure by default: agents always authenticate.
  if (b && !b.username) {
    issues.push({
      file,
      field: "broker.username",
      message: "expected a user name (or ARGUS_BROKER_USERNAME); it is missing",
    });
  }
  if (b && !b.password) {
    issues.push({
      file,
      field: "broker.password",
      message: "expected a password (or ARGUS_BROKER_PASSWORD); it is missing",
    });
  }
  if (b && /\/\/[^/@]*@/.test(b.url)) {
    issues.push({
      file,
      field: "broker.url",
      message: "expected a URL without credentials (use broker.username and broker.password)",
    });
  }
  const d = validate(CameraSettingsSchema, r.value.cameraDefaults, file, "cameraDefaults");
  if (!d.ok) issues.push(...d.issues);
  if (issues.length) return { ok: false, issues };
  return r;
}

/** Parses one camera file merged over the camera defaults (raw, from agent.yaml). */
export function parseCameraConfig(
  text: string,
  file: string,
  defaults: Record<string, unknown> = {},
): Parsed<CameraConfig> {
  const y = parseYaml(text, file);
  if (!y.ok) return y;
  if (!isPlainObject(y.value)) {
    return {
      ok: false,
      issues: [
        { file, field: "", value: y.value ?? null, message: "expected a mapping with at least 'id' and 'source'" },
      ],
    };
  }
  const layers: ConfigLayer[] = [
    { source: "cameraDefaults (agent.yaml)", values: defaults },
    { source: file, values: y.value },
  ];
  return validateLayers(CameraSchema, layers, { fallback: file });
}
