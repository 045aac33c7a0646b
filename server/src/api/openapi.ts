/** The OpenAPI 3.1 description of the REST API, and a self-contained docs page (no CDN). */

type Op = {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  role: "admin" | "operator" | "viewer" | null;
  query?: Record<string, string>;
  body?: "json" | "image" | "images2";
  bodySchema?: Record<string, unknown>;
  ok?: number;
  produces?: string;
  errors?: number[];
};

const PAGE = { cursor: "opaque cursor from the previous page's nextCursor", limit: "page size, 1-500 (default 50)" };
const SIGHTING_FILTERS = {
  cameraId: "camera id(s), comma-separated or repeated",
  from: "captured at or after (ISO 8601 or epoch ms)",
  to: "captured before (ISO 8601 or epoch ms)",
  list: "friend | foe | none",
  kind: "auto | enrolled",
  ...PAGE,
};

const OPS: Op[] = [
  { method: "get", path: "/health", summary: "Liveness and dependencies (no token)", role: null },
  { method: "get", path: "/metrics", summary: "Prometheus metrics (no token)", role: null, produces: "text/plain" },
  { method: "get", path: "/api/v1/me", summary: "The calling principal and its role", role: "viewer" },
  {
    method: "post",
    path: "/api/v1/persons",
    summary: "Create an enrolled person",
    role: "operator",
    body: "json",
    bodySchema: { name: "string (required)", list: "friend | foe | null", meta: "object" },
    ok: 201,
  },
  {
    method: "get",
    path: "/api/v1/persons",
    summary: "List persons, newest first (or by lastSeen / sightings)",
    role: "viewer",
    query: {
      list: "friend | foe | none",
      kind: "auto | enrolled",
      q: "name contains (case-insensitive)",
      sort: "created | lastSeen | sightings",
      ...PAGE,
    },
  },
  {
    method: "get",
    path: "/api/v1/persons/{id}",
    summary: "A person with faces and the cameras where they are a regular",
    role: "viewer",
    errors: [404],
  },
  {
    method: "patch",
    path: "/api/v1/persons/{id}",
    summary: "Rename, change list (friend/foe/null) or meta; naming an automatic person makes it enrolled",
    role: "operator",
    body: "json",
    bodySchema: { name: "string", list: "friend | foe | null", meta: "object" },
    errors: [404],
  },
  {
    method: "delete",
    path: "/api/v1/persons/{id}",
    summary: "Delete a person with their faces, sightings, crops and alerts",
    role: "operator",
    ok: 204,
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/persons/{id}/merge",
    summary: "Merge person `from` into this one (sightings and faces move; the index follows)",
    role: "operator",
    body: "json",
    bodySchema: { from: "person id (required)" },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/persons/{id}/faces",
    summary: "Enrol a photo with exactly one face (multipart field `image` or a raw image body)",
    role: "operator",
    body: "image",
    ok: 201,
    errors: [404, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/persons/{id}/faces",
    summary: "The person's representative faces",
    role: "viewer",
    errors: [404],
  },
  {
    method: "delete",
    path: "/api/v1/persons/{id}/faces/{faceId}",
    summary: "Remove a face",
    role: "operator",
    ok: 204,
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/faces/{id}/image",
    summary: "A face's aligned crop (JPEG)",
    role: "viewer",
    produces: "image/jpeg",
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/persons/{id}/sightings",
    summary: "The person's sightings, newest first",
    role: "viewer",
    query: SIGHTING_FILTERS,
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/persons/{id}/sightings.csv",
    summary:
      "The person's sightings as CSV (newest first, at most 100,000 rows), times in UTC and in the time zone `tz`",
    role: "viewer",
    query: {
      cameraId: SIGHTING_FILTERS.cameraId,
      from: SIGHTING_FILTERS.from,
      to: SIGHTING_FILTERS.to,
      tz: "IANA time zone of the captured_at_local column (default UTC)",
    },
    produces: "text/csv",
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/sightings",
    summary: "Sightings, newest first, filtered",
    role: "viewer",
    query: { personId: "person id", ...SIGHTING_FILTERS },
  },
  { method: "get", path: "/api/v1/sightings/{id}", summary: "One sighting", role: "viewer", errors: [404] },
  {
    method: "get",
    path: "/api/v1/sightings/{id}/face",
    summary: "The sighting's face crop (JPEG)",
    role: "viewer",
    produces: "image/jpeg",
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/sightings/{id}/context",
    summary: "The sighting's context crop (JPEG)",
    role: "viewer",
    produces: "image/jpeg",
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/identify",
    summary: "Every face in the photo with its candidate persons (at or above the identification threshold)",
    role: "viewer",
    body: "image",
    query: {
      limit: "candidates per face (default 5)",
      minSimilarity: "floor (default: identify threshold)",
      sightings: "recent sightings per candidate (default 0)",
    },
    errors: [400, 413, 415],
  },
  {
    method: "post",
    path: "/api/v1/search",
    summary: "Search by photo: matching persons (down to the verification threshold) with their recent sightings",
    role: "viewer",
    body: "image",
    query: {
      limit: "candidates per face (default 10)",
      minSimilarity: "floor (default: verify threshold)",
      sightings: "recent sightings per candidate (default 5)",
    },
    errors: [400, 413, 415],
  },
  {
    method: "post",
    path: "/api/v1/verify",
    summary: "Are the faces of two photos (multipart `image1`, `image2`) the same person?",
    role: "viewer",
    body: "images2",
    errors: [400, 413, 422],
  },
  {
    method: "post",
    path: "/api/v1/agents",
    summary: "Register an agent; returns its MQTT credentials once: {id, mqtt: {url, username, password}}",
    role: "admin",
    body: "json",
    bodySchema: { id: "agent id (letters, digits, _ . -)" },
    ok: 201,
    errors: [409],
  },
  { method: "get", path: "/api/v1/agents", summary: "Registered agents with their last status", role: "viewer" },
  {
    method: "post",
    path: "/api/v1/agents/{id}/credentials",
    summary: "Issue a new MQTT password for an agent",
    role: "admin",
    errors: [404],
  },
  {
    method: "delete",
    path: "/api/v1/agents/{id}",
    summary: "Revoke an agent (disconnects it)",
    role: "admin",
    ok: 204,
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/cameras",
    summary: "Cameras and agents seen, with their last status and event rate",
    role: "viewer",
  },
  {
    method: "patch",
    path: "/api/v1/cameras/{id}",
    summary: "Name a camera or mark it sensitive (unknown persons there raise alerts)",
    role: "operator",
    body: "json",
    bodySchema: { name: "string | null", sensitive: "boolean" },
  },
  {
    method: "get",
    path: "/api/v1/alerts",
    summary: "Alerts, newest first",
    role: "viewer",
    query: {
      type: "foe | unknown_at_sensitive_camera",
      acked: "true | false",
      personId: "person id",
      cameraId: "camera id",
      ...PAGE,
    },
  },
  { method: "post", path: "/api/v1/alerts/{id}/ack", summary: "Acknowledge an alert", role: "operator", errors: [404] },
  {
    method: "get",
    path: "/api/v1/stream",
    summary:
      "Server-sent events: `sighting`, `alert`, `alert-ack`, `person`, `camera`, `agent` (JSON data, increasing ids; Last-Event-ID resumes)",
    role: "viewer",
    query: { types: "comma-separated event types to receive (default all)" },
    produces: "text/event-stream",
  },
  {
    method: "post",
    path: "/api/v1/tokens",
    summary: "Create an API token (shown once)",
    role: "admin",
    body: "json",
    bodySchema: { role: "admin | operator | viewer", name: "string" },
    ok: 201,
  },
  { method: "get", path: "/api/v1/tokens", summary: "API tokens (no secrets)", role: "admin" },
  { method: "delete", path: "/api/v1/tokens/{id}", summary: "Revoke a token", role: "admin", ok: 204, errors: [404] },
  {
    method: "post",
    path: "/api/v1/webhooks",
    summary:
      "Add an alert webhook; bodies are signed: X-Argus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' + body)>",
    role: "admin",
    body: "json",
    bodySchema: {
      url: "http(s) URL",
      secret: "optional, >= 16 chars (generated if absent; returned once)",
      events: "alert types (default all)",
    },
    ok: 201,
  },
  { method: "get", path: "/api/v1/webhooks", summary: "Webhooks", role: "admin" },
  {
    method: "delete",
    path: "/api/v1/webhooks/{id}",
    summary: "Remove a webhook",
    role: "admin",
    ok: 204,
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/webhooks/{id}/deliveries",
    summary: "Delivery attempts and failures",
    role: "admin",
    query: PAGE,
  },
  {
    method: "get",
    path: "/api/v1/dead-letters",
    summary: "Invalid messages received over MQTT",
    role: "admin",
    query: PAGE,
  },
  {
    method: "post",
    path: "/api/v1/admin/rebuild-index",
    summary: "Rebuild the face index from the database",
    role: "admin",
  },
  { method: "get", path: "/api/v1/admin/stats", summary: "Gallery and ingestion figures", role: "viewer" },
  {
    method: "post",
    path: "/api/v1/session",
    summary:
      "Console sign-in: sets the httpOnly SameSite=Strict `argus_session` cookie. Needs the `X-Argus-CSRF: 1` header (as do all cookie-authenticated changes); failed attempts are rate-limited (429)",
    role: null,
    body: "json",
    bodySchema: { name: "user name (case-insensitive)", password: "string" },
    errors: [401, 403, 429],
  },
  {
    method: "delete",
    path: "/api/v1/session",
    summary: "Sign out: ends the session on the server and clears the cookie",
    role: null,
    ok: 204,
  },
  {
    method: "post",
    path: "/api/v1/session/password",
    summary: "Change the signed-in user's own password (other sessions of the user end)",
    role: "viewer",
    body: "json",
    bodySchema: { current: "the current password", password: "the new one, 10-200 characters" },
    ok: 204,
  },
  { method: "get", path: "/api/v1/users", summary: "Console users (no password hashes)", role: "admin" },
  {
    method: "post",
    path: "/api/v1/users",
    summary: "Create a console user",
    role: "admin",
    body: "json",
    bodySchema: {
      name: "1-64 of a-z 0-9 . _ @ - (case-insensitive)",
      role: "admin | operator | viewer",
      password: "10-200 characters",
    },
    ok: 201,
    errors: [409],
  },
  {
    method: "patch",
    path: "/api/v1/users/{id}",
    summary:
      "Change a user's role, password or enabled state; ends the user's sessions. The last enabled admin stays (409)",
    role: "admin",
    body: "json",
    bodySchema: { role: "admin | operator | viewer", password: "string", disabled: "boolean" },
    errors: [404, 409],
  },
  {
    method: "delete",
    path: "/api/v1/users/{id}",
    summary: "Delete a user and their sessions",
    role: "admin",
    ok: 204,
    errors: [404, 409],
  },
];

const ERROR = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: { type: "object" } },
    },
  },
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad field (the message names it)",
  401: "Missing or unknown token",
  403: "Role too low",
  404: "Unknown id",
  409: "Already exists, or the last admin",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "NO_FACE or MULTIPLE_FACES",
  429: "Too many failed sign-ins (Retry-After)",
  503: "Busy (database unavailable)",
};

export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
    const params = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...Object.entries(op.query ?? {}).map(([name, description]) => ({
        name,
        in: "query",
        description,
        schema: { type: "string" },
      })),
    ];
    const responses: Record<string, unknown> = {
      [op.ok ?? 200]: {
        description: op.ok === 204 ? "Done" : "OK",
        ...(op.ok === 204 ? {} : { content: { [op.produces ?? "application/json"]: {} } }),
      },
    };
    for (const c of [...(op.role ? [401, 403] : []), ...(op.body ? [400, 413] : []), ...(op.errors ?? [])]) {
      responses[c] = {
        description: STATUS_TEXT[c] ?? "Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    const body =
      op.body === "json"
        ? {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: Object.fromEntries(
                    Object.entries(op.bodySchema ?? {}).map(([k, d]) => [k, { description: d }]),
                  ),
                },
              },
            },
          }
        : op.body
          ? {
              required: true,
              content: {
                "multipart/form-data": {
                  schema: {
                    type: "object",
                    properties: Object.fromEntries(
                      (op.body === "images2" ? ["image1", "image2"] : ["image"]).map((f) => [
                        f,
                        { type: "string", format: "binary" },
                      ]),
                    ),
                  },
                },
                ...(op.body === "image" ? { "image/jpeg": { schema: { type: "string", format: "binary" } } } : {}),
              },
            }
          : undefined;
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      summary: op.summary,
      ...(op.role
        ? {
            security: [{ bearer: [] }, { session: [] }],
            "x-role": op.role,
            description: `Needs the ${op.role} role (or higher).`,
          }
        : { security: [] }),
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
        "Face recognition for video surveillance: persons, sightings, alerts. All /api/v1 calls need `Authorization: Bearer <token>` " +
        "or the console's session cookie " +
        "(roles admin > operator > viewer). Errors are `{error: {code, message}}`. Lists are newest first with cursor pagination " +
        "(`nextCursor` -> `?cursor=`).",
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
      schemas: { Error: ERROR },
    },
    paths,
  };
}

const esc = (v: unknown) =>
  String(v).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The API docs page, rendered on the server from the OpenAPI document (no script, no CDN). */
export function docsHtml(doc: ReturnType<typeof openApiDocument>): string {
  const ops: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        summary: string;
        "x-role"?: string;
        parameters?: Array<{ name: string; in: string; description?: string }>;
        requestBody?: {
          content: Record<string, { schema?: { properties?: Record<string, { description?: string }> } }>;
        };
        responses: Record<string, { description: string }>;
      };
      const params = (op.parameters ?? [])
        .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${esc(p.description ?? "")}</td></tr>`)
        .join("");
      const body = Object.entries(op.requestBody?.content ?? {})
        .map(
          ([type, c]) =>
            `<tr><td>body</td><td>${esc(type)}</td><td>${esc(
              Object.entries(c.schema?.properties ?? {})
                .map(([k, v]) => (v.description ? `${k}: ${v.description}` : k))
                .join("; "),
            )}</td></tr>`,
        )
        .join("");
      const codes = Object.entries(op.responses)
        .map(([c, r]) => `${c} ${r.description}`)
        .join(" · ");
      ops.push(
        `<div class="op"><span class="role">${op["x-role"] ? `role: ${op["x-role"]}` : "no token"}</span>` +
          `<span class="m ${method}">${method}</span> <code>${esc(path)}</code><div>${esc(op.summary)}</div>` +
          `<table>${params}${body}</table><div class="codes">${esc(codes)}</div></div>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Argus API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.patch{color:#ef6c00}.delete{color:#c62828}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}.role{float:right;color:#666;font-size:12px}
table{border-collapse:collapse;margin-top:.3rem}td{padding:.1rem .6rem .1rem 0;vertical-align:top;font-size:13px}
.codes{color:#666;font-size:12px}
</style></head><body><h1>Argus API</h1><p>${esc(doc.info.description)}</p>
<p>Version ${esc(doc.info.version)}. Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
${ops.join("\n")}
</body></html>`;
}
