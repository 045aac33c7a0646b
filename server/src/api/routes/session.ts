/**
 * Console sign-in and user management. Sign-in and sign-out sit outside the authenticated router
 * (no principal yet, or a stale one); users are managed by admins; anyone signed in may change their
 * own password.
 */
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { PASSWORD_MAX } from "../../users/passwords.ts";
import { SESSION_COOKIE } from "../../users/sessions.ts";
import { userView } from "../../views.ts";
import { assertFromConsole, principalOf, ROLES, requireRole } from "../auth.ts";
import { readJson } from "../body.ts";
import { ApiError } from "../errors.ts";

const role = z.enum(ROLES as ["admin", "operator", "viewer"]);
// Length rules are checked (with clear messages) by the session service; this only bounds the input.
const password = z.string().max(PASSWORD_MAX + 1);

function setCookie(s: Services, ctx: Context, value: string, maxAgeMs: number): void {
  const mode = s.config.console.secureCookies;
  const secure = mode === "always" || (mode === "auto" && ctx.secure);
  if (secure) ctx.cookies.secure = true; // behind a TLS proxy the socket itself is plain http
  ctx.cookies.set(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "strict",
    secure,
    path: "/",
    maxAge: maxAgeMs,
    overwrite: true,
  });
}

/** POST /api/v1/session (sign in), DELETE /api/v1/session (sign out): no principal needed. */
export function sessionRoutes(s: Services): Router {
  const r = new Router({ prefix: "/api/v1" });
  const json = s.config.http.maxJsonBytes;

  r.post("/session", async (ctx) => {
    assertFromConsole(ctx);
    const body = await readJson(
      ctx,
      z.object({ name: z.string().min(1, "must not be empty").max(64), password: password }).strict(),
      json,
    );
    try {
      const { user, secret } = await s.sessions.signIn(body.name, body.password, ctx.ip);
      setCookie(s, ctx, secret, s.sessions.maxMs);
      ctx.set("cache-control", "no-store");
      ctx.body = { user: { id: user.id, name: user.name, role: user.role } };
    } catch (e) {
      if (e instanceof ApiError && e.status === 429)
        ctx.set("retry-after", String((e.details?.retryAfterSeconds as number) ?? 60));
      throw e;
    }
  });

  r.delete("/session", async (ctx) => {
    assertFromConsole(ctx);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie) await s.sessions.signOut(cookie);
    setCookie(s, ctx, "", 0);
    ctx.status = 204;
  });

  return r;
}

/** Under the authenticated /api/v1 router. */
export function userRoutes(s: Services): Router {
  const r = new Router();
  const json = s.config.http.maxJsonBytes;

  r.post("/session/password", requireRole("viewer"), async (ctx) => {
    const p = principalOf(ctx);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (p.kind !== "session" || !cookie)
      throw new ApiError(400, "INVALID_ARGUMENT", "only a signed-in console user has a password to change");
    const body = await readJson(ctx, z.object({ current: password, password }).strict(), json);
    await s.sessions.changeOwnPassword(p.id, body.current, body.password, cookie);
    ctx.status = 204;
  });

  r.get("/users", requireRole("admin"), async (ctx) => {
    ctx.body = { items: (await s.store.accounts.listUsers()).map(userView) };
  });

  r.post("/users", requireRole("admin"), async (ctx) => {
    const body = await readJson(ctx, z.object({ name: z.string().max(64), role, password }).strict(), json);
    ctx.status = 201;
    ctx.body = userView(await s.sessions.createUser(body));
  });

  r.patch("/users/:id", requireRole("admin"), async (ctx) => {
    const body = await readJson(
      ctx,
      z
        .object({ role: role.optional(), password: password.optional(), disabled: z.boolean().optional() })
        .strict()
        .refine((b) => Object.keys(b).length > 0, "give at least one of role, password, disabled"),
      json,
    );
    const p = principalOf(ctx);
    const own = p.kind === "session" && p.id === ctx.params.id;
    // An admin changing their own password stays signed in here; any other change signs the user out.
    const keep =
      own && body.role === undefined && body.disabled === undefined ? ctx.cookies.get(SESSION_COOKIE) : undefined;
    ctx.body = userView(await s.sessions.updateUser(ctx.params.id, body, keep));
  });

  r.delete("/users/:id", requireRole("admin"), async (ctx) => {
    await s.sessions.deleteUser(ctx.params.id);
    ctx.status = 204;
  });

  return r;
}
