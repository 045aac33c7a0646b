/**
 * The one translation of zod validation errors into words a user can act on: config files, face
 * events and API requests all report `{path, message, value?}` through here.
 */
import type { z } from "zod";

export interface SchemaIssue {
  /** Dotted path of the field ("motion.threshold"); "" for the whole value. */
  path: string;
  /**
   * What is wrong, as a phrase: zod's own messages become "expected number to be >=1" (its category
   * prefix and "received ..." dropped: the value is shown instead); a schema's custom message stays.
   */
  message: string;
  /** The value found; absent for missing fields, unknown keys, and when zod was not asked to report inputs. */
  value?: unknown;
}

/**
 * zod issues -> SchemaIssues. With `input` (what was parsed), each issue shows the value found there;
 * without it, only what zod reports (parse with `{ reportInput: true }`; coerced fields then show the
 * coerced value, NaN for "abc"). `prefix` is prepended to every path.
 */
export function zodIssues(error: z.ZodError, opts: { input?: unknown; prefix?: string } = {}): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const i of error.issues) {
    const path = [opts.prefix, ...i.path.map(String)].filter(Boolean).join(".");
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) {
        out.push({
          path: path ? `${path}.${k}` : k,
          message: `expected a known field (there is no '${k}' here; check the spelling)`,
        });
      }
      continue;
    }
    const input = "input" in opts ? valueAt(opts.input, i.path) : (i as { input?: unknown }).input;
    // zod's message says what it received, with or without reportInput.
    const missing = i.code === "invalid_type" && input === undefined && /received undefined$/.test(i.message);
    const message = phrase(i.message);
    if (missing)
      out.push({ path, message: `expected a value (${message.replace(/^expected /, "")}) but it is missing` });
    else out.push(input === undefined ? { path, message } : { path, message, value: input });
  }
  return out;
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let o = v;
  for (const k of path) {
    if (typeof o !== "object" || o === null) return undefined;
    o = (o as Record<PropertyKey, unknown>)[k];
  }
  return o;
}

/** zod's "Too small: expected number to be >=1" -> "expected number to be >=1"; custom messages unchanged. */
function phrase(m: string): string {
  return m
    .replace(
      /^(Invalid input|Too small|Too big|Invalid option|Invalid string|Invalid number|Invalid element|Invalid key|Invalid value): /,
      "",
    )
    .replace(/, received \w+$/, "");
}

/** A value as it appears in messages: JSON, cut at 80 characters. */
export function showValue(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `motion.threshold: got -5; expected number to be >=1` ("(root)" for the whole value). */
export function formatSchemaIssue(i: SchemaIssue): string {
  const got = i.value === undefined ? "" : `got ${showValue(i.value)}; `;
  return `${i.path || "(root)"}: ${got}${i.message}`;
}

/** Every issue on one line, separated by "; ". */
export function formatSchemaIssues(issues: readonly SchemaIssue[]): string {
  return issues.map(formatSchemaIssue).join("; ");
}

/** A ZodError on one line (values are not shown unless the parse reported inputs). */
export function formatZodError(error: z.ZodError): string {
  return formatSchemaIssues(zodIssues(error));
}
