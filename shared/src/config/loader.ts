/**
 * The one config loader of the agent and the server. Settings come in layers, later ones win:
 * schema defaults < config file (YAML or JSON) < environment variables < command line. The layers
 * are merged with one deep merge and validated with a zod schema. Nothing here throws on bad content:
 * every problem is a ConfigIssue naming where the value came from (the file, the environment variable
 * or the command line), the field, the value found and what was expected.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ArgusError } from "../errors.ts";
import { showValue, zodIssues } from "../util/zodIssues.ts";

export interface ConfigIssue {
  /** Where the value came from: a file path, "environment variable X", "command line". */
  file: string;
  /** Dotted path of the field ("motion.threshold"), or "" for the whole file. */
  field: string;
  /** The value found (absent for missing fields and syntax errors). */
  value?: unknown;
  /** What was wrong, as a phrase ("expected number to be >=1"). */
  message: string;
}

export type Parsed<T> =
  | { ok: true; value: T }
  /** `unreadable`: the file itself could not be read (missing, permissions), as opposed to bad content. */
  | { ok: false; issues: ConfigIssue[]; unreadable?: boolean };

/** "cameras/a.yaml: field 'motion.threshold': got -5; expected number to be >=1" on one line. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.field ? `${i.file}: field '${i.field}'` : i.file;
  const got = i.value === undefined ? "" : `: got ${showValue(i.value)}`;
  return `${where}${got}; ${i.message}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join("\n");
}

/** Bad settings, as an error with the CONFIG_INVALID code; `context` starts the message ("invalid server settings"). */
export class ConfigError extends ArgusError {
  constructor(
    readonly issues: ConfigIssue[],
    context?: string,
  ) {
    super("CONFIG_INVALID", context ? `${context}: ${formatIssues(issues)}` : formatIssues(issues), { issues });
  }
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (arrays included) in `over` replaces `base`; undefined keeps `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Sets `obj.a.b.c` for the path "a.b.c", creating the objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}

/** The value at a dotted path, or undefined. */
export function getPath(obj: unknown, path: string): unknown {
  let o = obj;
  for (const p of path ? path.split(".") : []) {
    if (typeof o !== "object" || o === null) return undefined;
    o = (o as Record<string, unknown>)[p];
  }
  return o;
}

/** YAML (or JSON, a subset of YAML) text to a plain value; syntax errors and duplicate keys become issues. */
export function parseYaml(text: string, file: string): Parsed<unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        file,
        field: "",
        message: `expected valid YAML (${e.message.split("\n")[0]})`,
      })),
    };
  }
  return { ok: true, value: doc.toJS() };
}

/**
 * Reads and parses a YAML or JSON config file. A missing file is `undefined` when `optional`
 * (all defaults), an issue otherwise.
 */
export function readConfigFile(path: string, opts: { optional?: boolean } = {}): Parsed<unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (opts.optional && (e as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, value: undefined };
    return {
      ok: false,
      unreadable: true,
      issues: [{ file: path, field: "", message: `expected a readable file (${(e as Error).message})` }],
    };
  }
  return parseYaml(text, path);
}

/** Environment variable name -> dotted config path it sets ("ARGUS_HTTP_PORT" -> "http.port"). */
export type EnvMap = Readonly<Record<string, string>>;

/** One source of settings, in the order they apply. */
export interface ConfigLayer {
  /** How issues name it: the file path, "environment", "command line". */
  source: string;
  /** Settings as nested objects (what a file contains). */
  values: Record<string, unknown>;
  /** Dotted path -> a more precise source for issues ("environment variable ARGUS_HTTP_PORT"). */
  names?: Readonly<Record<string, string>>;
}

/** The layer of the variables of `map` that are set (and not empty) in `env`; values stay strings. */
export function envLayer(env: NodeJS.ProcessEnv, map: EnvMap): ConfigLayer {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [name, path] of Object.entries(map)) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    setPath(values, path, v);
    names[path] = `environment variable ${name}`;
  }
  return { source: "environment", values, names };
}

/** A layer of dotted-path settings (`{"http.port": 8080}`); undefined values are left out. */
export function pathLayer(source: string, settings: Readonly<Record<string, unknown>>): ConfigLayer {
  const values: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(settings)) if (v !== undefined) setPath(values, path, v);
  return { source, values };
}

/** The file's top level must be a mapping (an empty file is an empty mapping). */
export function fileLayer(
  file: string,
  value: unknown,
  expected = "expected a mapping of settings",
): Parsed<ConfigLayer> {
  const v = value ?? {};
  if (!isPlainObject(v)) return { ok: false, issues: [{ file, field: "", value: v, message: expected }] };
  return { ok: true, value: { source: file, values: v } };
}

export function mergeLayers(layers: readonly ConfigLayer[]): Record<string, unknown> {
  return layers.reduce<Record<string, unknown>>((acc, l) => deepMerge(acc, l.values) as Record<string, unknown>, {});
}

/**
 * Merges the layers and validates the result. Each issue is attributed to the last layer that set
 * the field (or a parent of it); a field no layer set (a missing one) to `fallback`.
 */
export function validateLayers<S extends z.ZodType>(
  schema: S,
  layers: readonly ConfigLayer[],
  opts: { fallback: string; prefix?: string },
): Parsed<z.output<S>> {
  return check(schema, mergeLayers(layers), layers, opts);
}

/** Validates one value; issues name `file` and carry the field path (under `prefix`). */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  prefix = "",
): Parsed<z.output<S>> {
  return check(schema, value, [], { fallback: file, prefix });
}

function check<S extends z.ZodType>(
  schema: S,
  value: unknown,
  layers: readonly ConfigLayer[],
  opts: { fallback: string; prefix?: string },
): Parsed<z.output<S>> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const issues = zodIssues(r.error, { input: value }).map((i): ConfigIssue => {
    const field = [opts.prefix, i.path].filter(Boolean).join(".");
    const issue: ConfigIssue = { file: sourceOf(layers, i.path) ?? opts.fallback, field, message: i.message };
    if (i.value !== undefined) issue.value = i.value;
    return issue;
  });
  return { ok: false, issues };
}

function sourceOf(layers: readonly ConfigLayer[], path: string): string | undefined {
  const parts = path ? path.split(".") : [];
  for (let l = layers.length - 1; l >= 0; l--) {
    // The field itself, else its nearest parent that the layer set to a non-object (a string for a mapping).
    for (let n = parts.length; n > 0; n--) {
      const p = parts.slice(0, n).join(".");
      const v = getPath(layers[l].values, p);
      if (v === undefined) continue;
      if (n < parts.length && isPlainObject(v)) break;
      return layers[l].names?.[p] ?? layers[l].source;
    }
  }
  return undefined;
}
