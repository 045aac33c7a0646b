/**
 * Config schemas as documentation: JSON Schema for editors (defaults make fields optional, the
 * zod descriptions become `description`) and the settings tables of the READMEs, both made from the
 * zod schemas so the text of each setting lives once. `pnpm run schemas` writes them.
 */
import { z } from "zod";
import type { EnvMap } from "./loader.ts";

export type JsonSchema = { [k: string]: unknown };

/** JSON Schema (draft-07, what YAML editors support best) of a config file's input. */
export function configJsonSchema(schema: z.ZodType, head: { title: string; description: string }): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io: "input",
    target: "draft-07",
    override: ({ jsonSchema: j }) => {
      // zod bounds every int() to the safe integers: noise in a document.
      if (j.maximum === Number.MAX_SAFE_INTEGER) delete j.maximum;
      if (j.minimum === Number.MIN_SAFE_INTEGER) delete j.minimum;
    },
  }) as JsonSchema;
  const { $schema, ...rest } = json;
  return { $schema, title: head.title, description: head.description, ...rest };
}

export interface SettingRow {
  /** Dotted path ("motion.threshold"). */
  path: string;
  env?: string;
  /** What it accepts, in short ("integer 1-255", `"offline" | "realtime"`). */
  accepts: string;
  /** The default as JSON, "" when there is none; `required` marks a field without default that must be set. */
  default: string;
  required: boolean;
  description: string;
}

/**
 * One row per setting, in schema order; a section (nested object) gets a row of its own before its
 * fields. `keep` lists paths shown as one row, not expanded (cameraDefaults: the camera table).
 */
export function settingRows(schema: JsonSchema, opts: { env?: EnvMap; keep?: readonly string[] } = {}): SettingRow[] {
  const envOf = new Map(Object.entries(opts.env ?? {}).map(([name, path]) => [path, name]));
  const rows: SettingRow[] = [];
  const walk = (s: JsonSchema, prefix: string) => {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required ?? []) as string[]);
    for (const [key, p] of Object.entries(props)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const section = p.type === "object" && p.properties !== undefined && !opts.keep?.includes(path);
      rows.push({
        path,
        env: envOf.get(path),
        accepts: section ? "" : accepts(p),
        default: section || !("default" in p) ? "" : JSON.stringify(p.default),
        required: !section && required.has(key) && !("default" in p),
        description: String(p.description ?? ""),
      });
      if (section) walk(p, path);
    }
  };
  walk(schema, "");
  return rows;
}

function accepts(s: JsonSchema): string {
  if (typeof s.title === "string") return s.title;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(accepts).join(" or ");
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  switch (s.type) {
    case "null":
      return "null";
    case "integer":
    case "number": {
      const { minimum: lo, maximum: hi } = s as { minimum?: number; maximum?: number };
      if (lo !== undefined && hi !== undefined) return `${s.type} ${lo}..${hi}`;
      if (lo !== undefined) return `${s.type} >= ${lo}`;
      return hi !== undefined ? `${s.type} <= ${hi}` : String(s.type);
    }
    case "array":
      return Array.isArray(s.items)
        ? `[${(s.items as JsonSchema[]).map(accepts).join(", ")}]`
        : `list of ${accepts((s.items ?? {}) as JsonSchema)}`;
    case "object":
      return "mapping";
    default:
      return typeof s.type === "string" ? s.type : "any";
  }
}

/** A Markdown table of the rows (with an env column when any row has one), columns padded for reading. */
export function settingsTable(rows: readonly SettingRow[]): string {
  const withEnv = rows.some((r) => r.env);
  const code = (v: string | undefined) => (v ? `\`${v}\`` : "");
  const head = ["setting", ...(withEnv ? ["env"] : []), "accepts", "default", "meaning"];
  const body = rows.map((r) => [
    code(r.path),
    ...(withEnv ? [code(r.env)] : []),
    r.accepts,
    r.required ? "required" : code(r.default),
    html(r.description),
  ]);
  const cells = [head, ...body].map((row) => row.map((c) => c.replaceAll("|", "\\|")));
  const width = head.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  return [line(cells[0]), line(width.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

/** `<` outside code spans would start an HTML tag in Markdown. */
const html = (text: string) =>
  text
    .split("`")
    .map((part, i) => (i % 2 === 0 ? part.replaceAll("<", "&lt;") : part))
    .join("`");

/** Replaces what lies between `<!-- settings:<name>:start -->` and `<!-- settings:<name>:end -->`. */
export function replaceGenerated(text: string, name: string, content: string): string {
  const start = `<!-- settings:${name}:start -->`;
  const end = `<!-- settings:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`the markers ${start} ... ${end} are missing`);
  return `${text.slice(0, i + start.length)}\n${content}\n${text.slice(j)}`;
}
