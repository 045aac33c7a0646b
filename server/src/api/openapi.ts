/**
 * The OpenAPI 3.1 document, generated from the operation table in shared/src/api (the one
 * description of the API), and a self-contained docs page rendered from it (no script, no CDN).
 */
import { ErrorSchema, type Operation, operations } from "@argus/shared/api/index";
import { z } from "zod";

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "Done",
  400: "Invalid input (the message and details.field name the field)",
  401: "Missing, unknown or revoked credentials",
  403: "Role too low, or a cookie-authenticated change without the console's CSRF header",
  404: "Unknown id",
  409: "Conflict (already exists, or the last admin)",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "No face, several faces where one is needed, or a face too poor to enrol (NO_FACE, MULTIPLE_FACES, LOW_QUALITY)",
  429: "Too many attempts (Retry-After)",
  503: "Busy or degraded (retry shortly)",
};

const COMPONENTS = "#/components/schemas/";

/** JSON Schema of a zod schema; named schemas (meta id) are hoisted into `components`. */
function toSchema(schema: z.ZodType, io: "input" | "output", components: Json): Json {
  const js = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
  const { $schema: _, $defs, ...rest } = js;
  const rewrite = (v: Json): Json => JSON.parse(JSON.stringify(v).replaceAll('"#/$defs/', `"${COMPONENTS}`));
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) components[name] ??= rewrite(def);
  return rewrite(rest);
}

function parameters(o: Operation, components: Json): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ["path", o.params],
    ["query", o.query],
  ] as const) {
    if (!schema) continue;
    const js = toSchema(schema, "input", components);
    const required = new Set((js.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries((js.properties ?? {}) as Record<string, Json>)) {
      const { description, ...rest } = p;
      out.push({
        name,
        in: where,
        required: where === "path" || required.has(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function requestBody(o: Operation, components: Json): Json | undefined {
  const b = o.body;
  if (!b) return undefined;
  if (b.type === "json")
    return { required: true, content: { "application/json": { schema: toSchema(b.schema, "input", components) } } };
  if (b.type === "archive")
    return {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["archive"],
            properties: { archive: { type: "string", format: "binary" } },
          },
        },
        "application/zip": { schema: { type: "string", format: "binary" } },
      },
    };
  const files = Object.fromEntries(b.fields.map((f) => [f, { type: "string", format: "binary" }]));
  return {
    required: true,
    content: {
      "multipart/form-data": { schema: { type: "object", required: [...b.fields], properties: files } },
      ...(b.fields.length === 1 ? { "image/*": { schema: { type: "string", format: "binary" } } } : {}),
    },
  };
}

export function openApiDocument(version: string) {
  const components: Json = {};
  const errorRef = { $ref: `${COMPONENTS}Error` };
  toSchema(ErrorSchema, "output", components);
  const paths: Record<string, Json> = {};
  for (const [operationId, o] of Object.entries(operations) as Array<[string, Operation]>) {
    const r = o.response;
    const responses: Json = {
      [r.status]: {
        description: STATUS_TEXT[r.status],
        ...("schema" in r
          ? { content: { "application/json": { schema: toSchema(r.schema, "output", components) } } }
          : "type" in r
            ? { content: { [r.type]: {} } }
            : {}),
      },
    };
    const errors = new Set([
      ...(o.params || o.query || o.body ? [400] : []),
      ...(o.role ? [401, 403] : []),
      ...(o.body?.type === "json" ? [413, 415] : []),
      ...(o.errors ?? []),
    ]);
    for (const c of [...errors].sort())
      responses[c] = { description: STATUS_TEXT[c] ?? "Error", content: { "application/json": { schema: errorRef } } };
    const params = parameters(o, components);
    const body = requestBody(o, components);
    paths[o.path] ??= {};
    paths[o.path][o.method] = {
      operationId,
      summary: o.summary,
      description: [o.role ? `Needs the ${o.role} role (or higher).` : "No credentials needed.", o.description]
        .filter(Boolean)
        .join(" "),
      ...(o.role ? { security: [{ bearer: [] }, { session: [] }], "x-role": o.role } : { security: [] }),
      ...(params.length ? { parameters: params } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Argus central server",
      version,
      description:
        "Face recognition for video surveillance: persons, sightings, alerts. /api/v1 calls need `Authorization: Bearer <token>` " +
        "or the console's session cookie (roles admin > operator > viewer). Errors are `{error: {code, message, details?}}`. " +
        "Lists are newest first with cursor pagination (`nextCursor` -> `?cursor=`).",
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "argus_session",
          description: "The console's session (POST /api/v1/session); changes also need the X-Argus-CSRF: 1 header",
        },
      },
      schemas: components,
    },
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

// ------------------------------------------------------------------ the docs page

const esc = (v: unknown) =>
  String(v).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** A JSON Schema as a short type expression with links to named components. */
function typeOf(s: Json | undefined): string {
  if (!s) return "any";
  if (typeof s.$ref === "string") {
    const name = s.$ref.slice(COMPONENTS.length);
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(" | ");
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => esc(JSON.stringify(v))).join(" | ");
  if (s.const !== undefined) return esc(JSON.stringify(s.const));
  if (s.type === "array")
    return Array.isArray(s.prefixItems)
      ? `[${(s.prefixItems as Json[]).map(typeOf).join(", ")}]`
      : `${typeOf(s.items as Json)}[]`;
  if (s.type === "object" && s.properties) return `{ ${fields(s)} }`;
  if (s.type === "string" && s.format) return `string (${esc(s.format)})`;
  return esc(s.type ?? "any");
}

function fields(s: Json): string {
  const req = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries((s.properties ?? {}) as Record<string, Json>)
    .map(([k, v]) => `${esc(k)}${req.has(k) ? "" : "?"}: ${typeOf(v)}`)
    .join("; ");
}

function schemaRows(s: Json): string {
  const req = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries((s.properties ?? {}) as Record<string, Json>)
    .map(
      ([k, v]) =>
        `<tr><td><code>${esc(k)}</code>${req.has(k) ? "" : "?"}</td><td>${typeOf(v)}</td><td>${esc(v.description ?? "")}</td></tr>`,
    )
    .join("");
}

/** The API docs page, rendered on the server from the OpenAPI document. */
export function docsHtml(doc: OpenApiDocument): string {
  const ops: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        summary: string;
        description: string;
        "x-role"?: string;
        parameters?: Array<{ name: string; in: string; required: boolean; description?: string; schema: Json }>;
        requestBody?: { content: Record<string, { schema?: Json }> };
        responses: Record<string, { description: string; content?: Record<string, { schema?: Json }> }>;
      };
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code>${p.required ? "" : "?"}</td><td>${p.in}: ${typeOf(p.schema)}</td><td>${esc(p.description ?? "")}</td></tr>`,
        )
        .join("");
      const body = Object.entries(op.requestBody?.content ?? {})
        .map(([type, c]) => `<tr><td>body</td><td>${esc(type)}</td><td>${c.schema ? typeOf(c.schema) : ""}</td></tr>`)
        .join("");
      const responses = Object.entries(op.responses)
        .map(([code, r]) => {
          const c = Object.entries(r.content ?? {})[0];
          const shape = c ? (c[1].schema ? typeOf(c[1].schema) : esc(c[0])) : "";
          return `<tr><td>${code}</td><td>${esc(r.description)}</td><td>${shape}</td></tr>`;
        })
        .join("");
      ops.push(
        `<div class="op"><span class="role">${op["x-role"] ? `role: ${op["x-role"]}` : "no credentials"}</span>` +
          `<span class="m ${method}">${method}</span> <code>${esc(path)}</code><div>${esc(op.summary)}</div>` +
          `<div class="muted">${esc(op.description)}</div>` +
          `<table>${params}${body}</table><table class="resp">${responses}</table></div>`,
      );
    }
  }
  const schemas = Object.entries(doc.components.schemas as Record<string, Json>)
    .map(
      ([name, s]) =>
        `<div class="op" id="schema-${esc(name)}"><b>${esc(name)}</b> <span class="muted">${esc(s.description ?? "")}</span>` +
        `<table>${schemaRows(s)}</table></div>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Argus API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.patch{color:#ef6c00}.delete{color:#c62828}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}.role{float:right;color:#666;font-size:12px}
table{border-collapse:collapse;margin-top:.3rem}td{padding:.1rem .6rem .1rem 0;vertical-align:top;font-size:13px}
.muted,.resp td{color:#555;font-size:12px}
</style></head><body><h1>Argus API</h1><p>${esc(doc.info.description)}</p>
<p>Version ${esc(doc.info.version)}. Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<h2>Operations</h2>
${ops.join("\n")}
<h2>Schemas</h2>
${schemas}
</body></html>`;
}
