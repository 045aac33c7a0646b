/** Operations without persons: health and docs, sign-in, the caller. */
import { PasswordChangeSchema, SignInSchema } from "../requests.ts";
import { HealthSchema, PrincipalSchema, SignedInSchema } from "../responses.ts";
import { done, json, type Operation, ok, op } from "./types.ts";

export const systemOperations = {
  // ---------------------------------------------------------------- open
  health: op({
    method: "get",
    path: "/health",
    summary: "Liveness and dependencies (no credentials)",
    role: null,
    response: ok(HealthSchema),
    errors: [503],
  }),
  metrics: op({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (no credentials)",
    role: null,
    response: { status: 200, type: "text/plain" },
  }),
  openapi: op({
    method: "get",
    path: "/openapi.json",
    summary: "This API's OpenAPI 3.1 document",
    role: null,
    response: { status: 200, type: "application/json" },
  }),
  docs: op({
    method: "get",
    path: "/docs",
    summary: "This API's documentation page",
    role: null,
    response: { status: 200, type: "text/html" },
  }),
  signIn: op({
    method: "post",
    path: "/api/v1/session",
    summary: "Console sign-in",
    description:
      "Sets the httpOnly SameSite=Strict `argus_session` cookie. Needs the `X-Argus-CSRF: 1` header (as do all cookie-authenticated changes); failed attempts are rate-limited (429 with Retry-After).",
    role: null,
    body: json(SignInSchema),
    response: ok(SignedInSchema),
    errors: [401, 403, 429],
  }),
  signOut: op({
    method: "delete",
    path: "/api/v1/session",
    summary: "Sign out: ends the session on the server and clears the cookie",
    role: null,
    response: done,
    errors: [403],
  }),

  // ---------------------------------------------------------------- the caller
  me: op({
    method: "get",
    path: "/api/v1/me",
    summary: "The calling principal and its role",
    role: "viewer",
    response: ok(PrincipalSchema),
  }),
  changePassword: op({
    method: "post",
    path: "/api/v1/session/password",
    summary: "Change the signed-in user's own password (the user's other sessions end)",
    role: "viewer",
    body: json(PasswordChangeSchema),
    response: done,
  }),
} satisfies Record<string, Operation>;
