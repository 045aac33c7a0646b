/**
 * Reading and validating the agent's YAML config files. Never throws on bad content: every problem
 * comes back as a ConfigIssue naming the file, the field, the value found and what was expected.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ArgusError } from "../errors.ts";
import { type AgentConfig, AgentSchema, type CameraConfig, CameraSchema, CameraSettingsSchema } from "./schema.ts";

export interface ConfigIssue {
  file: string;
  /** Dotted path of the field ("motion.threshold"), or "" for the whole file. */
  field: string;
  /** The value found (absent for missing fields and syntax errors). */
  value?: unknown;
  /** What was expected, in words. */
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

/** "cameras/a.yaml: motion.threshold: got -5; expected Too small: ..." on one line. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.field ? `${i.file}: field '${i.field}'` : i.file;
  const got = i.value === undefined ? "" : `: got ${show(i.value)}`;
  return `${where}${got}; expected ${i.message}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join("\n");
}

export class ConfigError extends ArgusError {
  constructor(readonly issues: ConfigIssue[]) {
    super("CONFIG_INVALID", formatIssues(issues), { issues });
  }
}

function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** YAML text to a plain value; syntax errors and empty files become issues. */
export function parseYaml(text: string, file: string): Parsed<unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({ file, field: "", message: `valid YAML (${e.message.split("\n")[0]})` })),
    };
  }
  return { ok: true, value: doc.toJS() };
}

/** Validates `value` with `schema`; issues carry the field path (prefixed with `prefix`) and the offending value. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  prefix = "",
): Parsed<z.output<S>> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return { ok: true, value: r.data };
  const issues: ConfigIssue[] = [];
  for (const i of r.error.issues) {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) {
        issues.push({
          file,
          field: path ? `${path}.${k}` : k,
          message: `a known field (there is no '${k}' here; check the spelling)`,
        });
      }
      continue;
    }
    const missing = i.code === "invalid_type" && i.input === undefined;
    issues.push({
      file,
      field: path,
      value: missing ? undefined : i.input,
      message: missing ? `a value (${plain(i.message)}); it is missing` : plain(i.message),
    });
  }
  return { ok: false, issues };
}

/** zod's "Too small: expected number to be >=1" -> "number to be >=1" (the caller says "expected"). */
function plain(m: string): string {
  return m
    .replace(/^(Invalid input|Too small|Too big|Invalid option|Invalid string|Invalid number): (expected )?/, "")
    .replace(/, received \w+$/, "");
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (arrays included) in `over` replaces `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Environment overrides so secrets need not live in files. */
export const AGENT_ENV = {
  id: "ARGUS_AGENT_ID",
  url: "ARGUS_BROKER_URL",
  username: "ARGUS_BROKER_USERNAME",
  password: "ARGUS_BROKER_PASSWORD",
} as const;

/**
 * Parses agent.yaml text (or `undefined` when the file does not exist: all defaults), applies the
 * environment overrides, and checks the camera defaults.
 */
export function parseAgentConfig(
  text: string | undefined,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Parsed<AgentConfig> {
  let raw: unknown = {};
  if (text !== undefined) {
    const y = parseYaml(text, file);
    if (!y.ok) return y;
    raw = y.value ?? {};
  }
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      issues: [{ file, field: "", value: raw, message: "a mapping of agent settings (id, broker, ...)" }],
    };
  }
  const o: Record<string, unknown> = { ...raw };
  if (env[AGENT_ENV.id]) o.id = env[AGENT_ENV.id];
  const brokerEnv = {
    url: env[AGENT_ENV.url],
    username: env[AGENT_ENV.username],
    password: env[AGENT_ENV.password],
  };
  if (brokerEnv.url || (o.broker !== undefined && o.broker !== null)) {
    const b: Record<string, unknown> = isPlainObject(o.broker) ? { ...o.broker } : {};
    for (const [k, v] of Object.entries(brokerEnv)) if (v) b[k] = v;
    o.broker = b;
  } else {
    delete o.broker;
  }
  const r = validate(AgentSchema, o, file);
  if (!r.ok) return r;
  const issues: ConfigIssue[] = [];
  const b = r.value.broker;
  // Secure by default: agents always authenticate.
  if (b && !b.username) {
    issues.push({ file, field: "broker.username", message: `a user name (or ${AGENT_ENV.username}); it is missing` });
  }
  if (b && !b.password) {
    issues.push({ file, field: "broker.password", message: `a password (or ${AGENT_ENV.password}); it is missing` });
  }
  if (b && /\/\/[^/@]*@/.test(b.url)) {
    issues.push({
      file,
      field: "broker.url",
      message: "a URL without credentials (use broker.username and broker.password)",
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
      issues: [{ file, field: "", value: y.value ?? null, message: "a mapping with at least 'id' and 'source'" }],
    };
  }
  return validate(CameraSchema, deepMerge(defaults, y.value), file);
}

/** Reads and parses agent.yaml; a missing file means all defaults. */
export function loadAgentConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Parsed<AgentConfig> {
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      return { ok: false, issues: [{ file: path, field: "", message: `a readable file (${(e as Error).message})` }] };
    }
  }
  return parseAgentConfig(text, path, env);
}
